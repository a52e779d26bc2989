//! The filing ledger read back as deliveries, each with its decision record (DESIGN §7): the
//! version presented, the outcome, how many conditions matched, the day and the facts. The ledger
//! row holds the facts once per filing and the (policy, version, matched) pairs it presented; the
//! outcome is the stored version's rule evaluated again on those facts.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, NaiveDate, Utc};
use rules::{CompiledRule, DeclarationFacts, Facts, FirmFacts};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Channel;
use super::delivery::{Shown, delivery_id};
use crate::auth::Role;
use crate::eligibility::service::compile;
use crate::entity::filing;
use crate::error::{AppError, AppResult};
use crate::policy::catalog;
use crate::region::RegionCatalog;

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
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    firm: Option<&str>,
) -> AppResult<Vec<StoredDelivery>> {
    let mut query = filing::Entity::find()
        .order_by_asc(filing::Column::FiledAt)
        .order_by_asc(filing::Column::Id);
    if let Some(firm) = firm {
        query = query.filter(filing::Column::FirmUscc.eq(firm));
    }
    let mut found = Vec::new();
    let mut rules = Rules::default();
    for row in query.all(db).await? {
        let shown = Shown::read_all(row.presented.clone())?;
        let facts = match (&row.facts, row.evaluated_on) {
            (Some(stored), Some(day)) => Some((Recorded::read(stored, regions)?, stored, day)),
            _ => None,
        };
        for s in shown {
            let decision = match &facts {
                Some((recorded, stored, day)) => {
                    let rule = rules.of(db, regions, s.policy_id, s.version).await?;
                    Some(decision(rule, recorded, stored, *day, s))
                }
                None => None,
            };
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
                decision,
            });
        }
    }
    Ok(found)
}

/// The facts a filing was evaluated on, read back from its ledger row.
struct Recorded {
    firm: FirmFacts,
    declaration: Option<DeclarationFacts>,
}

impl Recorded {
    fn read(stored: &Value, regions: &RegionCatalog) -> AppResult<Recorded> {
        let unreadable = |e: String| AppError::internal_msg(format!("stored filing facts: {e}"));
        let firm = FirmFacts::from_record(&stored["firm"], regions).map_err(unreadable)?;
        let declaration = match &stored["declaration"] {
            Value::Null => None,
            value => Some(DeclarationFacts::from_record(value).map_err(unreadable)?),
        };
        Ok(Recorded { firm, declaration })
    }
}

/// The compiled rule of each stored version read so far.
#[derive(Default)]
struct Rules(HashMap<(Uuid, i32), CompiledRule>);

impl Rules {
    async fn of(
        &mut self,
        db: &DatabaseConnection,
        regions: &RegionCatalog,
        policy: Uuid,
        version: i32,
    ) -> AppResult<&CompiledRule> {
        Ok(match self.0.entry((policy, version)) {
            Entry::Occupied(known) => known.into_mut(),
            Entry::Vacant(slot) => slot.insert(stored_rule(db, regions, policy, version).await?),
        })
    }
}

/// The rule of `policy` at `version` as stored: its eligibility and its region scope.
async fn stored_rule(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    policy: Uuid,
    version: i32,
) -> AppResult<CompiledRule> {
    let view = catalog::stored_version(db, regions, policy, version)
        .await?
        .ok_or_else(|| {
            AppError::internal_msg(format!("policy {policy} has no version {version}"))
        })?;
    compile(&view, regions)
}

/// The decision record of one presentation: the stored version's rule evaluated on the facts
/// the filing recorded, with the number of conditions that matched then.
fn decision(
    rule: &CompiledRule,
    recorded: &Recorded,
    stored: &Value,
    day: NaiveDate,
    shown: Shown,
) -> Value {
    let facts = Facts {
        firm: &recorded.firm,
        declaration: recorded.declaration.as_ref(),
    };
    json!({
        "policyVersion": shown.version,
        "outcome": rule.evaluate(facts),
        "matchedConditions": shown.matched,
        "evaluatedOn": day,
        "facts": stored,
    })
}
