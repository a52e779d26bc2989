use sea_orm::entity::prelude::*;

/// Deliveries, first reaches and acknowledgements of a policy on one local day, as one writer
/// added them (`shard`, [`crate::outreach::funnel::DayShard`]): the day's figures are the sum
/// of its rows.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_daily_reach")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub policy_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    #[sea_orm(primary_key, auto_increment = false)]
    pub shard: i16,
    pub deliveries: i32,
    pub newly_reached: i32,
    pub acknowledgements: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
