use sea_orm::entity::prelude::*;

use crate::policy::{BenefitKind, PolicyStatus};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_version")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub policy_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    pub status: PolicyStatus,
    pub title_zh: String,
    pub title_en: Option<String>,
    pub summary_zh: String,
    pub summary_en: Option<String>,
    pub body_zh: Option<String>,
    pub body_en: Option<String>,
    pub benefit_kind: BenefitKind,
    pub effective_from: Date,
    pub effective_to: Option<Date>,
    pub apply_deadline: Option<Date>,
    pub apply_url: Option<String>,
    pub auto_enjoy: bool,
    pub source_url: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub eligibility: Json,
    pub created_by: String,
    pub created_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
