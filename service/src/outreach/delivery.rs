//! A presentation to record, and one as recorded.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::Channel;
use crate::auth::Role;

/// One presentation to record.
#[derive(Clone, Debug)]
pub struct NewDelivery {
    pub policy_id: Uuid,
    pub policy_version: i32,
    pub firm_uscc: String,
    pub channel: Channel,
    /// Empty when there was no declaration.
    pub declaration_id: String,
    pub actor_role: Role,
    pub actor_subject: Option<String>,
    pub broker_uscc: Option<String>,
    pub decision: Option<Value>,
    pub note: Option<String>,
}

/// A delivery as recorded: `is_new` is false when the same presentation was recorded before (its
/// impressions grew instead).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub id: Uuid,
    pub policy_id: Uuid,
    pub firm_uscc: String,
    pub policy_version: i32,
    pub channel: Channel,
    pub declaration_id: String,
    pub delivered_at: DateTime<Utc>,
    pub is_new: bool,
}
