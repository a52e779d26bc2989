//! The filing ledger read back as deliveries, each with its decision record (DESIGN §7): the
//! version presented, the outcome, how many conditions matched, the day and the facts, rebuilt
//! from the ledger row that recorded it.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Channel;
use super::delivery::{Shown, delivery_id};
use crate::auth::Role;
use crate::entity::filing;
use crate::error::AppResult;

/// One delivery as the ledger keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredDelivery {
    pub id: Uuid,
    pub policy_id: Uuid,
    pub policy_version: i32,
    pub firm_uscc: String,
    pub channel: Channel,
    /// Empty when there was no declaration.
    pub declaration_id: String,
    pub actor_role: Role,
    pub actor_subject: Option<String>,
    pub broker_uscc: Option<String>,
    pub note: Option<String>,
    pub impressions: i32,
    pub delivered_at: DateTime<Utc>,
    pub last_shown_at: DateTime<Utc>,
    /// Why it was made; none on external channels.
    pub decision: Option<Value>,
}

/// Every delivery to `firm` (to every firm when `None`), oldest first.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    firm: Option<&str>,
) -> AppResult<Vec<StoredDelivery>> {
    let mut query = filing::Entity::find()
        .order_by_asc(filing::Column::FiledAt)
        .order_by_asc(filing::Column::Id);
    if let Some(firm) = firm {
        query = query.filter(filing::Column::FirmUscc.eq(firm));
    }
    let mut found = Vec::new();
    for row in query.all(db).await? {
        let shown = Shown::read_all(row.presented.clone())?;
        for s in shown {
            found.push(StoredDelivery {
                id: delivery_id(row.id, s.policy_id, s.version),
                policy_id: s.policy_id,
                policy_version: s.version,
                firm_uscc: row.firm_uscc.clone(),
                channel: row.channel,
                declaration_id: row.declaration_id.clone(),
                actor_role: row.actor_role,
                actor_subject: row.actor_subject.clone(),
                broker_uscc: row.broker_uscc.clone(),
                note: row.note.clone(),
                impressions: row.impressions,
                delivered_at: row.filed_at,
                last_shown_at: row.last_shown_at,
                decision: decision(&row.facts, row.evaluated_on, s),
            });
        }
    }
    Ok(found)
}

/// The decision record of one presentation: every policy a filing presents was TRUE on its facts.
fn decision(facts: &Option<Value>, day: Option<NaiveDate>, shown: Shown) -> Option<Value> {
    let facts = facts.as_ref()?;
    Some(json!({
        "policyVersion": shown.version,
        "outcome": "TRUE",
        "matchedConditions": shown.matched,
        "evaluatedOn": day,
        "facts": facts,
    }))
}
