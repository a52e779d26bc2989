//! The filing ledger read back as deliveries, each with its decision record (DESIGN §7): the
//! version presented, the outcome, how many conditions matched, the day and the facts. The ledger
//! row holds the facts once per filing and the (policy, version, matched) pairs it presented; the
//! outcome and the reasons are the stored version's rule evaluated again on those facts.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rules::{CompiledRule, DeclarationFacts, Facts, FirmFacts, Outcome, Reason};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::{Value, json};
use uuid::Uuid;

use super::Channel;
use super::delivery::{Shown, delivery_id};
use super::window::Window;
use crate::auth::Role;
use crate::db::read_count;
use crate::eligibility::service::compile;
use crate::entity::filing;
use crate::error::{AppError, AppResult};
use crate::lang::Lang;
use crate::policy::catalog;
use crate::region::RegionCatalog;

/// One delivery as the ledger keeps it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredDelivery {
    pub id: Uuid,
    /// The ledger row that recorded it.
    pub filing: Uuid,
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

/// A delivery with its decision record, ready to be worded.
#[derive(Clone)]
pub struct Decided {
    pub delivery: StoredDelivery,
    pub decision: Option<Arc<Decision>>,
}

/// Why a presentation was made: the stored version's rule on the facts the filing recorded.
pub struct Decision {
    pub policy_version: i32,
    pub outcome: Outcome,
    pub evaluated_on: NaiveDate,
    /// How many conditions matched when it was presented.
    pub matched_conditions: Option<i32>,
    /// `{"firm": …, "declaration": …}` as recorded.
    pub facts: Arc<Value>,
    rule: Arc<CompiledRule>,
    recorded: Arc<RecordedFacts>,
}

impl Decision {
    /// One reason per condition of the stored version's rule, worded in `lang`.
    pub fn reasons(&self, regions: &RegionCatalog, lang: Lang) -> Vec<Reason> {
        self.rule
            .explain(self.recorded.facts(), regions, lang.into())
    }

    /// The facts under the names the rule language gives them (`exportValuePrevYearUsd`), as
    /// the reasons name them: `{"firm": …, "declaration": …}`.
    pub fn facts_as_named(&self) -> Value {
        rule_names(&self.facts)
    }

    /// The record as JSON, as the delivery table once kept it.
    pub fn to_json(&self) -> Value {
        json!({
            "policyVersion": self.policy_version,
            "outcome": self.outcome,
            "matchedConditions": self.matched_conditions,
            "evaluatedOn": self.evaluated_on,
            "facts": *self.facts,
        })
    }
}

/// `value` with every object key in camel case (`export_value_prev_year_usd` becomes
/// `exportValuePrevYearUsd`); values are kept as they are.
fn rule_names(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, inner)| (camel(key), rule_names(inner)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(rule_names).collect()),
        other => other.clone(),
    }
}

fn camel(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Which deliveries to list.
#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    pub policy: Option<Uuid>,
    pub firm: Option<String>,
    pub channel: Option<Channel>,
    pub window: Window,
}

/// Where a page resumes: after presentation `position` of the ledger row filed at this time with
/// this id.
pub type DeliveryCursor = (DateTime<Utc>, Uuid, u32);

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
        for (_, decided) in expand(db, regions, &mut rules, row, None).await? {
            let mut delivery = decided.delivery;
            delivery.decision = decided.decision.map(|d| d.to_json());
            found.push(delivery);
        }
    }
    Ok(found)
}

/// The ledger rows holding deliveries that `filter` keeps.
fn rows_of(backend: DatabaseBackend, filter: &DeliveryFilter) -> Condition {
    let mut condition = Condition::all();
    if let Some(policy) = filter.policy {
        condition = condition.add(presenting(backend, policy));
    }
    if let Some(firm) = &filter.firm {
        condition = condition.add(filing::Column::FirmUscc.eq(firm.as_str()));
    }
    if let Some(channel) = filter.channel {
        condition = condition.add(filing::Column::Channel.eq(channel));
    }
    condition.add(
        filter
            .window
            .holds(Expr::col((filing::Entity, filing::Column::FiledAt))),
    )
}

/// Ledger rows that presented `policy`. A uuid's text is hex digits and hyphens: written into
/// the SQL, it stays a literal.
pub fn presenting(backend: DatabaseBackend, policy: Uuid) -> Expr {
    let policy = policy.hyphenated();
    Expr::cust(match backend {
        // Served by the GIN index on `presented`.
        DatabaseBackend::Postgres => format!("filing.presented @> '[[\"{policy}\"]]'::jsonb"),
        _ => format!(
            "EXISTS (SELECT 1 FROM json_each(filing.presented) AS p \
             WHERE json_extract(p.value, '$[0]') = '{policy}')"
        ),
    })
}

/// The next `limit` deliveries `filter` keeps after `after`, newest first (a filing's own
/// presentations in the order it made them), each with its cursor.
pub async fn page(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    filter: &DeliveryFilter,
    after: Option<DeliveryCursor>,
    limit: usize,
) -> AppResult<Vec<(DeliveryCursor, Decided)>> {
    let mut query = filing::Entity::find().filter(rows_of(db.get_database_backend(), filter));
    if let Some((at, id, _)) = after {
        query = query.filter(
            Condition::any().add(filing::Column::FiledAt.lt(at)).add(
                Condition::all()
                    .add(filing::Column::FiledAt.eq(at))
                    .add(filing::Column::Id.lte(id)),
            ),
        );
    }
    // Each row holds at least one delivery the filter keeps: `limit` rows are enough, and one
    // more when resuming, since the row resumed in may have none left.
    let rows = query
        .order_by_desc(filing::Column::FiledAt)
        .order_by_desc(filing::Column::Id)
        .limit(limit as u64 + u64::from(after.is_some()))
        .all(db)
        .await?;
    let mut rules = Rules::default();
    let mut found = Vec::new();
    for row in rows {
        let resumed = after.filter(|(_, id, _)| *id == row.id);
        for (cursor, decided) in expand(db, regions, &mut rules, row, filter.policy).await? {
            if resumed.is_some_and(|(_, _, position)| cursor.2 <= position) {
                continue;
            }
            found.push((cursor, decided));
            if found.len() == limit {
                return Ok(found);
            }
        }
    }
    Ok(found)
}

/// How many deliveries `filter` keeps.
pub async fn count(db: &DatabaseConnection, filter: &DeliveryFilter) -> AppResult<u64> {
    let backend = db.get_database_backend();
    // With a policy, each row holds one delivery of it; without, as many as it presented.
    let counted = match (filter.policy, backend) {
        (Some(_), _) => "COUNT(*)",
        (None, DatabaseBackend::Postgres) => "COALESCE(SUM(jsonb_array_length(presented)), 0)",
        (None, _) => "COALESCE(SUM(json_array_length(presented)), 0)",
    };
    let mut query = sea_orm::sea_query::Query::select();
    query
        .expr(Expr::cust(counted))
        .from(filing::Entity)
        .cond_where(rows_of(backend, filter));
    match db.query_one(&query).await? {
        Some(row) => Ok(u64::try_from(read_count(&row, 0)?).unwrap_or_default()),
        None => Ok(0),
    }
}

/// The delivery of `policy` at `version` that ledger row `filing` recorded.
pub async fn one(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    filing: Uuid,
    policy: Uuid,
    version: i32,
) -> AppResult<Option<Decided>> {
    let Some(row) = filing::Entity::find_by_id(filing).one(db).await? else {
        return Ok(None);
    };
    let mut rules = Rules::default();
    Ok(expand(db, regions, &mut rules, row, Some(policy))
        .await?
        .into_iter()
        .map(|(_, decided)| decided)
        .find(|d| d.delivery.policy_version == version))
}

/// The deliveries a ledger row holds (of `only` when given), with their decision records.
async fn expand(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    rules: &mut Rules,
    row: filing::Model,
    only: Option<Uuid>,
) -> AppResult<Vec<(DeliveryCursor, Decided)>> {
    let shown = Shown::read_all(row.presented.clone())?;
    let facts = match (&row.facts, row.evaluated_on) {
        (Some(stored), Some(day)) => Some((
            Arc::new(RecordedFacts::read(stored, regions)?),
            Arc::new(stored.clone()),
            day,
        )),
        _ => None,
    };
    let mut found = Vec::new();
    for (position, s) in shown.into_iter().enumerate() {
        if only.is_some_and(|p| p != s.policy_id) {
            continue;
        }
        let decision = match &facts {
            Some((recorded, stored, day)) => {
                let rule = rules.of(db, regions, s.policy_id, s.version).await?;
                Some(Arc::new(Decision {
                    policy_version: s.version,
                    outcome: rule.evaluate(recorded.facts()),
                    evaluated_on: *day,
                    matched_conditions: s.matched,
                    facts: stored.clone(),
                    rule,
                    recorded: recorded.clone(),
                }))
            }
            None => None,
        };
        let cursor = (row.filed_at, row.id, position as u32);
        let delivery = StoredDelivery {
            id: delivery_id(row.id, s.policy_id, s.version),
            filing: row.id,
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
            decision: None,
        };
        found.push((cursor, Decided { delivery, decision }));
    }
    Ok(found)
}

/// The facts a filing was evaluated on, read back from its ledger row.
struct RecordedFacts {
    firm: FirmFacts,
    declaration: Option<DeclarationFacts>,
}

impl RecordedFacts {
    fn read(stored: &Value, regions: &RegionCatalog) -> AppResult<RecordedFacts> {
        let unreadable = |e: String| AppError::internal_msg(format!("stored filing facts: {e}"));
        let firm = FirmFacts::from_record(&stored["firm"], regions).map_err(unreadable)?;
        let declaration = match &stored["declaration"] {
            Value::Null => None,
            value => Some(DeclarationFacts::from_record(value).map_err(unreadable)?),
        };
        Ok(RecordedFacts { firm, declaration })
    }

    fn facts(&self) -> Facts<'_> {
        Facts {
            firm: &self.firm,
            declaration: self.declaration.as_ref(),
        }
    }
}

/// The compiled rule of each stored version read so far.
#[derive(Default)]
struct Rules(HashMap<(Uuid, i32), Arc<CompiledRule>>);

impl Rules {
    async fn of(
        &mut self,
        db: &DatabaseConnection,
        regions: &RegionCatalog,
        policy: Uuid,
        version: i32,
    ) -> AppResult<Arc<CompiledRule>> {
        Ok(match self.0.entry((policy, version)) {
            Entry::Occupied(known) => known.get().clone(),
            Entry::Vacant(slot) => slot
                .insert(Arc::new(stored_rule(db, regions, policy, version).await?))
                .clone(),
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
