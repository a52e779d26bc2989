//! Recording presentations in the filing ledger. A filing writes one ledger row holding the facts
//! once and the (policy, version) pairs it presented for the first time on its channel and
//! declaration; a repeat of a declaration's presentations counts an impression on the row that
//! first made them. A (policy, firm) funnel row is written only when the filing changes it (a
//! first reach, a new channel, a newer version), and the daily counts once per policy and batch:
//! a bounded number of statements per batch, and rows in proportion to what changed.

use std::borrow::Borrow;
use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use super::Channel;
use super::audience::KeptRules;
pub use super::delivery::{NewFiling, Recorded, Shown, delivery_id};
use super::department_reach::{self, Touched};
use super::funnel::{self, DayShard, DayTally, Reach, ReachState, Reached};
use super::seen::{self, FirmFunnel};
use crate::db::{self, KEYS_PER_LIST, begin_write, in_pieces};
use crate::entity::{filing, firm};
use crate::error::AppResult;
use crate::firm::service as firms;

/// [`record`] in a transaction of its own; nothing to write, nothing done.
pub async fn save(
    db: &DatabaseConnection,
    filings: &[impl Borrow<NewFiling> + Sync],
    now: DateTime<Utc>,
    zone: Tz,
    rules: &KeptRules,
) -> AppResult<Vec<Vec<Recorded>>> {
    if filings.iter().all(|f| f.borrow().presented.is_empty()) {
        return Ok(filings.iter().map(|_| Vec::new()).collect());
    }
    let txn = begin_write(db).await?;
    let recorded = record(&txn, filings, now, zone, rules).await?;
    txn.commit().await?;
    Ok(recorded)
}

/// When a batch of filings is recorded: its time, the zone its day is counted in, and the day
/// rows its writer adds to.
#[derive(Clone, Copy, Debug)]
pub struct Moment {
    pub now: DateTime<Utc>,
    pub zone: Tz,
    pub shard: DayShard,
}

/// A presentation made before: the ledger row that made it, and when.
type Earlier = (Uuid, DateTime<Utc>);

/// Where a presentation is kept apart from others: firm, channel and declaration.
type Key = (String, Channel, String);

/// A ledger row as a repeat is matched with it: id, firm, channel, declaration, presented, time.
type LedgerEntry = (
    Uuid,
    String,
    Channel,
    String,
    serde_json::Value,
    DateTime<Utc>,
);

/// Records the filings at `now`: for each, its deliveries in the order presented.
pub async fn record(
    txn: &DatabaseTransaction,
    filings: &[impl Borrow<NewFiling> + Sync],
    now: DateTime<Utc>,
    zone: Tz,
    rules: &KeptRules,
) -> AppResult<Vec<Vec<Recorded>>> {
    let filings: Vec<&NewFiling> = filings.iter().map(Borrow::borrow).collect();
    let usccs = firms_of(&filings);
    // Held until commit: two writers never record presentations to one firm at once, so what
    // is read below stays true until this transaction commits.
    let held = firms::hold_firms_exclusively(txn, &usccs).await?;
    let mut policies: Vec<Uuid> = filings
        .iter()
        .flat_map(|f| f.presented.iter().map(|s| s.policy_id))
        .collect();
    policies.sort_unstable();
    policies.dedup();
    let funnels = seen::of_pairs(txn, &usccs, Some(&policies)).await?;
    let at = Moment {
        now,
        zone,
        shard: DayShard::SHARED,
    };
    write(txn, &filings, &held, &funnels, at, rules).await
}

/// The filings' firms, each once, in key order.
fn firms_of<'a>(filings: &[&'a NewFiling]) -> Vec<&'a str> {
    let mut usccs: Vec<&str> = filings.iter().map(|f| f.firm_uscc.as_str()).collect();
    usccs.sort_unstable();
    usccs.dedup();
    usccs
}

/// [`record`] for firms the transaction already holds exclusively (`held`), with their funnel
/// rows as read under that hold (at least those of the policies presented; a pair without one
/// was never reached).
pub async fn write(
    txn: &DatabaseTransaction,
    filings: &[&NewFiling],
    held: &HashMap<String, firm::Model>,
    funnels: &HashMap<String, FirmFunnel>,
    at: Moment,
    rules: &KeptRules,
) -> AppResult<Vec<Vec<Recorded>>> {
    let now = at.now;
    if filings.iter().all(|f| f.presented.is_empty()) {
        return Ok(filings.iter().map(|_| Vec::new()).collect());
    }
    let usccs = firms_of(filings);
    let mut earlier = earlier_presentations(txn, filings, &usccs).await?;

    // Each pair's reach as this batch advances it, starting from its funnel row.
    let mut reach: HashMap<(Uuid, &str), ReachState> = HashMap::new();
    let mut answers = Vec::with_capacity(filings.len());
    let mut ledger = Vec::new();
    let mut repeated: HashSet<Uuid> = HashSet::new();
    let mut changed = Reached::default();
    let mut today = DayTally::default();
    for filing in filings {
        let key: Key = (
            filing.firm_uscc.clone(),
            filing.channel,
            filing.declaration_id.clone(),
        );
        let made = earlier.entry(key).or_default();
        let id = Uuid::now_v7();
        let mut fresh = Vec::new();
        let mut recorded = Vec::with_capacity(filing.presented.len());
        for shown in &filing.presented {
            let pair = (shown.policy_id, shown.version);
            let (row, at, is_new) = match made.get(&pair) {
                Some(&(row, at)) => {
                    repeated.insert(row);
                    (row, at, false)
                }
                None => {
                    made.insert(pair, (id, now));
                    fresh.push(*shown);
                    (id, now, true)
                }
            };
            recorded.push(Recorded {
                id: delivery_id(row, shown.policy_id, shown.version),
                filing: row,
                policy_id: shown.policy_id,
                firm_uscc: filing.firm_uscc.clone(),
                policy_version: shown.version,
                channel: filing.channel,
                declaration_id: filing.declaration_id.clone(),
                delivered_at: at,
                is_new,
            });
            if !is_new {
                continue;
            }
            let firm = filing.firm_uscc.as_str();
            let state = reach.entry((shown.policy_id, firm)).or_insert_with(|| {
                funnels
                    .get(firm)
                    .and_then(|rows| rows.get(&shown.policy_id))
                    .map(|seen| seen.reach)
                    .unwrap_or_default()
            });
            let day = today.entry(shown.policy_id);
            day.deliveries += 1;
            if !state.reached {
                day.newly_reached += 1;
            }
            if state.advance(filing.channel, shown.version) {
                changed.add(Reach {
                    policy_id: shown.policy_id,
                    firm_uscc: filing.firm_uscc.clone(),
                    prefecture: held
                        .get(&filing.firm_uscc)
                        .map(|f| firms::prefecture(f).to_owned())
                        .unwrap_or_default(),
                    channels: filing.channel.bit(),
                    version: shown.version,
                    at: now,
                    in_audience: None,
                });
            }
        }
        if !fresh.is_empty() {
            ledger.push(ledger_row(id, filing, fresh, now)?);
        }
        answers.push(recorded);
    }
    insert_ledger(txn, ledger).await?;
    count_impressions(txn, repeated, now).await?;
    let flags = rules.flags(txn, held, changed.pairs()).await?;
    changed.flag(&flags.flags);
    funnel::reached(txn, &changed).await?;
    let touched: Vec<Touched<'_>> = changed
        .pairs()
        .map(|(policy, firm)| Touched {
            policy,
            firm,
            reached: true,
            acknowledged: false,
        })
        .collect();
    department_reach::follow(txn, &touched, &flags.departments).await?;
    // The day rows last, once: every writer takes funnel rows before day rows, so a large batch
    // and a single filing never wait on each other in opposite orders.
    let day = now.with_timezone(&at.zone).date_naive();
    funnel::add_to_day(txn, at.shard, day, &today.into_counts()).await?;
    Ok(answers)
}

fn ledger_row(
    id: Uuid,
    filing: &NewFiling,
    presented: Vec<Shown>,
    now: DateTime<Utc>,
) -> AppResult<filing::ActiveModel> {
    let (evaluated_on, facts) = match &filing.decided {
        Some((day, facts)) => (Some(*day), Some(facts.clone())),
        None => (None, None),
    };
    Ok(filing::ActiveModel::from(filing::Model {
        id,
        firm_uscc: filing.firm_uscc.clone(),
        channel: filing.channel,
        declaration_id: filing.declaration_id.clone(),
        actor_role: filing.actor_role,
        actor_subject: filing.actor_subject.clone(),
        broker_uscc: filing.broker_uscc.clone(),
        note: filing.note.clone(),
        evaluated_on,
        facts,
        presented: Shown::write_all(&presented)?,
        impressions: 1,
        filed_at: now,
        last_shown_at: now,
    }))
}

/// What the ledger already holds for the filings' firms, channels and declarations, by
/// (firm, channel, declaration) and (policy, version).
async fn earlier_presentations(
    txn: &DatabaseTransaction,
    filings: &[&NewFiling],
    usccs: &[&str],
) -> AppResult<HashMap<Key, HashMap<(Uuid, i32), Earlier>>> {
    let mut declarations: Vec<&str> = filings.iter().map(|f| f.declaration_id.as_str()).collect();
    declarations.sort_unstable();
    declarations.dedup();
    let wanted: HashSet<(&str, Channel, &str)> = filings
        .iter()
        .map(|f| (f.firm_uscc.as_str(), f.channel, f.declaration_id.as_str()))
        .collect();
    let mut found: HashMap<Key, HashMap<(Uuid, i32), Earlier>> = HashMap::new();
    for firms in in_pieces(usccs, KEYS_PER_LIST) {
        for declarations in in_pieces(&declarations, KEYS_PER_LIST) {
            let rows: Vec<LedgerEntry> = filing::Entity::find()
                .select_only()
                .columns([
                    filing::Column::Id,
                    filing::Column::FirmUscc,
                    filing::Column::Channel,
                    filing::Column::DeclarationId,
                    filing::Column::Presented,
                    filing::Column::FiledAt,
                ])
                .filter(filing::Column::FirmUscc.is_in(firms.iter().copied()))
                .filter(filing::Column::DeclarationId.is_in(declarations.iter().copied()))
                .into_tuple()
                .all(txn)
                .await?;
            for (id, firm, channel, declaration, presented, at) in rows {
                if !wanted.contains(&(firm.as_str(), channel, declaration.as_str())) {
                    continue;
                }
                let shown = Shown::read_all(presented)?;
                let made = found.entry((firm, channel, declaration)).or_default();
                for s in shown {
                    made.entry((s.policy_id, s.version)).or_insert((id, at));
                }
            }
        }
    }
    Ok(found)
}

async fn insert_ledger(txn: &DatabaseTransaction, rows: Vec<filing::ActiveModel>) -> AppResult<()> {
    if !rows.is_empty() {
        db::insert_models(txn, rows, |_| {}).await?;
    }
    Ok(())
}

/// A repeat shows again what ledger rows hold: one more impression each.
async fn count_impressions(
    txn: &DatabaseTransaction,
    rows: HashSet<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let mut rows: Vec<Uuid> = rows.into_iter().collect();
    rows.sort_unstable();
    for chunk in in_pieces(&rows, KEYS_PER_LIST) {
        filing::Entity::update_many()
            .col_expr(
                filing::Column::Impressions,
                Expr::col(filing::Column::Impressions).add(1),
            )
            .col_expr(filing::Column::LastShownAt, Expr::val(now))
            .filter(filing::Column::Id.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    Ok(())
}
