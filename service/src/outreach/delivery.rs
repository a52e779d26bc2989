//! A filing's presentations to record, and a delivery as recorded.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use super::Channel;
use crate::auth::Role;
use crate::error::{AppError, AppResult};

/// One policy presented, as the ledger keeps it: `[policy id, version, conditions matched]`
/// (no count for external channels, which evaluate nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "(Uuid, i32, Option<i32>)", into = "(Uuid, i32, Option<i32>)")]
pub struct Shown {
    pub policy_id: Uuid,
    pub version: i32,
    pub matched: Option<i32>,
}

impl From<(Uuid, i32, Option<i32>)> for Shown {
    fn from((policy_id, version, matched): (Uuid, i32, Option<i32>)) -> Shown {
        Shown {
            policy_id,
            version,
            matched,
        }
    }
}

impl From<Shown> for (Uuid, i32, Option<i32>) {
    fn from(shown: Shown) -> Self {
        (shown.policy_id, shown.version, shown.matched)
    }
}

impl Shown {
    /// A ledger row's `presented`.
    pub fn read_all(presented: Value) -> AppResult<Vec<Shown>> {
        serde_json::from_value(presented)
            .map_err(|e| AppError::internal_msg(format!("a ledger row's presentations: {e}")))
    }

    /// `presented` as a ledger row keeps it.
    pub fn write_all(presented: &[Shown]) -> AppResult<Value> {
        serde_json::to_value(presented)
            .map_err(|e| AppError::internal_msg(format!("presentations to record: {e}")))
    }
}

/// What one filing presented to one firm: who, on which channel and declaration, the facts the
/// rules were TRUE on, and the policies, each once.
#[derive(Clone, Debug)]
pub struct NewFiling {
    pub firm_uscc: String,
    pub channel: Channel,
    /// Empty when there was no declaration.
    pub declaration_id: String,
    pub actor_role: Role,
    pub actor_subject: Option<String>,
    pub broker_uscc: Option<String>,
    pub note: Option<String>,
    /// The day the rules were evaluated and the facts (`{"firm", "declaration"}`); none for
    /// presentations on external channels.
    pub decided: Option<(NaiveDate, Value)>,
    pub presented: Vec<Shown>,
}

/// A delivery as recorded: `is_new` is false when the same presentation (policy, version, firm,
/// channel, declaration) was recorded before, and then it is that one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    pub id: Uuid,
    /// The ledger row that holds it.
    pub filing: Uuid,
    pub policy_id: Uuid,
    pub firm_uscc: String,
    pub policy_version: i32,
    pub channel: Channel,
    pub declaration_id: String,
    pub delivered_at: DateTime<Utc>,
    pub is_new: bool,
}

/// A delivery's id: the same for every read of it, made from the ledger row that recorded it and
/// the presentation's policy and version.
pub fn delivery_id(filing: Uuid, policy: Uuid, version: i32) -> Uuid {
    let mut name = [0u8; 20];
    name[..16].copy_from_slice(policy.as_bytes());
    name[16..].copy_from_slice(&version.to_be_bytes());
    Uuid::new_v5(&filing, &name)
}
