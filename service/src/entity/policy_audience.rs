use sea_orm::entity::prelude::*;

/// A policy's audience as last counted, with the rule it was counted for; kept true by every firm
/// sync (see `outreach::audience`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_audience")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub policy_id: Uuid,
    /// SHA-256 of the scope and the eligibility, in hex.
    pub rule_key: String,
    /// The scope's region codes, comma-separated (empty: everywhere).
    pub scope: String,
    /// The eligibility rule as JSON.
    pub eligibility: String,
    pub audience: i64,
    pub counted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
