use sea_orm::entity::prelude::*;

use crate::outreach::Response;

/// One row per (policy, firm) that was ever reached or responded: keeps reach figures cheap.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_firm_funnel")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub policy_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub firm_uscc: String,
    /// The firm's prefecture (province when registered at province level).
    pub prefecture_code: String,
    /// One bit per channel the firm was reached on ([`crate::outreach::Channel::bit`]).
    pub delivered_channels: i32,
    /// One bit per channel the firm answered on.
    pub acknowledged_channels: i32,
    pub first_delivered_at: Option<DateTimeUtc>,
    /// The highest version delivered: live versions only grow, so this tells whether the firm
    /// has seen the current one.
    pub last_delivered_version: Option<i32>,
    pub first_acknowledged_at: Option<DateTimeUtc>,
    pub acknowledged_by_firm: bool,
    pub latest_response: Option<Response>,
    pub latest_response_version: Option<i32>,
    pub latest_response_at: Option<DateTimeUtc>,
    pub latest_acknowledgement_id: Option<Uuid>,
    /// Whether the firm is in the policy's audience under the rule its kept count was made for
    /// (`outreach::audience`); none while the policy has no kept count.
    pub in_audience: Option<bool>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
