use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "firm_broker")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub firm_uscc: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub broker_uscc: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
