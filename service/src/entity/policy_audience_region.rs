use sea_orm::entity::prelude::*;

/// A policy's kept audience in one prefecture (the province for firms registered at province
/// level), counted and kept with `policy_audience` (see `outreach::audience`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_audience_region")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub policy_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub prefecture_code: String,
    pub audience: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
