use sea_orm::entity::prelude::*;

use crate::firm::{CustomsCredit, FirmSize};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "firm")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub uscc: String,
    pub customs_code: Option<String>,
    pub name: String,
    pub region_code: String,
    /// Denormalised from `region_code` so region conditions compile to indexed equality.
    pub province_code: String,
    pub prefecture_code: Option<String>,
    pub size: Option<FirmSize>,
    pub industry: Option<String>,
    pub customs_credit: Option<CustomsCredit>,
    #[sea_orm(column_type = "Double")]
    pub export_value_prev_year_usd: Option<f64>,
    #[sea_orm(column_type = "Double")]
    pub import_value_prev_year_usd: Option<f64>,
    pub foreign_invested: Option<bool>,
    pub registered_on: Option<Date>,
    pub last_filed_at: Option<DateTimeUtc>,
    /// How many brokers the firm entrusted (kept with `firm_broker`).
    pub broker_count: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
