//! Each policy's audience, counted once and kept true (`policy_audience`, migration 9).
//!
//! Counting an audience scans the firms, about a tenth of a second for a nationwide policy at a
//! million firms; a department's overview of hundreds of policies cannot do that on every read.
//! So a count is kept with the rule it was counted for (scope and eligibility, and their digest):
//! a reader uses the kept count while the policy's rule is the same, and counts and keeps it
//! otherwise. The audience depends on nothing but the firms' facts and the rule, so the only
//! other writer that can change it is a firm sync, which adds, in its own transaction, the firms
//! it moved into and out of every kept audience, evaluated in memory by the same rule engine the
//! SQL condition is proven equal to (`tests/api/rules_sql.rs`).
//!
//! A kept count also keeps, on each of the policy's funnel rows, whether that firm is in the
//! audience (`in_audience`, migration 11): the count flags every row when it is made, a writer
//! of a new funnel row flags it under the kept rule, and a sync flags again the rows of the firms
//! it moved. So how much of each audience was reached and answered is one pass over the funnel
//! rows, whatever the number of policies, with no firm read.
//!
//! On PostgreSQL counts and syncs exclude each other by the lock each takes on the table before
//! reading firms: a count sees every sync committed before it, every later sync sees the count,
//! and a sync reads the facts it starts from with no other sync under way. Writers of new funnel
//! rows take a weaker lock ([`KeptRules::hold`]) that excludes counts and syncs but not each
//! other: a row is flagged under the rule kept when it commits, and a count or a sync that
//! follows sees it. Writers and syncs both lock their firms first and the table second. On
//! SQLite every writer is already serialized.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use rules::{CompiledRule, Facts, FirmFacts, Outcome, RegionCode};
use sea_orm::sea_query::{Alias, CaseStatement, Expr, ExprTrait, OnConflict, Query, UnionType};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::{self, KEYS_PER_LIST, begin_write, per_policy, read_count};
use crate::entity::{
    department_reach_policy as listing_of, firm, policy_audience as kept,
    policy_audience_region as kept_region, policy_firm_funnel as funnel,
};
use crate::error::{AppError, AppResult};
use crate::firm::service::prefecture_of_row;
use crate::region::RegionCatalog;

/// Policies per `UPDATE` of the kept counts.
const UPDATES: usize = 200;

/// Policies counted and flagged in one transaction, at most (no more than `db::UNION_BRANCHES`).
const COUNTED_TOGETHER: usize = 50;

/// A policy's audience to count: its rule as stored and the SQL condition it compiles to.
pub struct Asked<'a> {
    pub policy: Uuid,
    pub scope: &'a [RegionCode],
    pub eligibility: &'a Value,
    pub condition: Expr,
}

impl Asked<'_> {
    fn scope_text(&self) -> String {
        scope_text(self.scope)
    }

    fn key(&self) -> String {
        rule_key(&self.scope_text(), &self.eligibility.to_string())
    }
}

fn scope_text(scope: &[RegionCode]) -> String {
    scope
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// What a kept count was counted for: the digest of the scope and the eligibility.
fn rule_key(scope: &str, eligibility: &str) -> String {
    let mut digest = Sha256::new();
    digest.update(scope.as_bytes());
    digest.update(b"\n");
    digest.update(eligibility.as_bytes());
    format!("{:x}", digest.finalize())
}

/// The audience of each policy asked about: the kept count where its rule is the one asked
/// about, the others counted now (a statement and a transaction per [`COUNTED_TOGETHER`] policies) and kept.
pub async fn audiences(
    db: &DatabaseConnection,
    asked: &[Asked<'_>],
    now: DateTime<Utc>,
) -> AppResult<HashMap<Uuid, i64>> {
    let keys: Vec<String> = asked.iter().map(Asked::key).collect();
    let mut found = kept_counts(db, asked.iter().map(|a| a.policy).zip(&keys).collect()).await?;
    if found.len() == asked.len() {
        return Ok(found);
    }
    let missing: Vec<(&Asked, &String)> = asked
        .iter()
        .zip(&keys)
        .filter(|(a, _)| !found.contains_key(&a.policy))
        .collect();
    // A transaction per few policies: each keeps the writers of new funnel rows waiting while
    // it counts and flags, so none keeps them long.
    for chunk in missing.chunks(COUNTED_TOGETHER) {
        let txn = begin_write(db).await?;
        hold(&txn).await?;
        // Counted meanwhile by another reader?
        let meanwhile =
            kept_counts(&txn, chunk.iter().map(|(a, k)| (a.policy, *k)).collect()).await?;
        let left: Vec<(&Asked, &String)> = chunk
            .iter()
            .filter(|(a, _)| !meanwhile.contains_key(&a.policy))
            .copied()
            .collect();
        found.extend(meanwhile);
        if left.is_empty() {
            txn.commit().await?;
            continue;
        }
        let counted = count(&txn, left.iter().map(|(a, _)| *a)).await?;
        let rows = left.iter().map(|(a, key)| kept::ActiveModel {
            policy_id: Set(a.policy),
            rule_key: Set((*key).clone()),
            scope: Set(a.scope_text()),
            eligibility: Set(a.eligibility.to_string()),
            audience: Set(counted.get(&a.policy).map_or(0, |r| r.values().sum())),
            counted_at: Set(now),
        });
        kept::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(kept::Column::PolicyId)
                    .update_columns([
                        kept::Column::RuleKey,
                        kept::Column::Scope,
                        kept::Column::Eligibility,
                        kept::Column::Audience,
                        kept::Column::CountedAt,
                    ])
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
        let policies: Vec<Uuid> = left.iter().map(|(a, _)| a.policy).collect();
        keep_regions(&txn, &policies, &counted).await?;
        for (asked, _) in &left {
            flag_all(&txn, asked).await?;
        }
        txn.commit().await?;
        found.extend(
            counted
                .into_iter()
                .map(|(policy, regions)| (policy, regions.values().sum())),
        );
    }
    Ok(found)
}

/// Replaces the kept prefectures of `policies` with those `counted`.
async fn keep_regions(
    txn: &impl ConnectionTrait,
    policies: &[Uuid],
    counted: &HashMap<Uuid, BTreeMap<String, i64>>,
) -> AppResult<()> {
    kept_region::Entity::delete_many()
        .filter(kept_region::Column::PolicyId.is_in(policies.iter().copied()))
        .exec(txn)
        .await?;
    let rows: Vec<kept_region::ActiveModel> = counted
        .iter()
        .flat_map(|(policy, regions)| {
            regions
                .iter()
                .map(move |(prefecture, audience)| kept_region::ActiveModel {
                    policy_id: Set(*policy),
                    prefecture_code: Set(prefecture.clone()),
                    audience: Set(*audience),
                })
        })
        .collect();
    if !rows.is_empty() {
        db::insert_models(txn, rows, |_| {}).await?;
    }
    Ok(())
}

/// The kept audience of `policy` per prefecture, where it holds any firm (as of the last
/// [`audiences`] of it).
pub async fn regions_of(
    db: &impl ConnectionTrait,
    policy: Uuid,
) -> AppResult<BTreeMap<String, i64>> {
    let rows: Vec<(String, i64)> = kept_region::Entity::find()
        .select_only()
        .columns([
            kept_region::Column::PrefectureCode,
            kept_region::Column::Audience,
        ])
        .filter(kept_region::Column::PolicyId.eq(policy))
        .filter(kept_region::Column::Audience.gt(0))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Flags every funnel row of the policy asked about under its rule: in the audience or not. A
/// row already flagged so is left as it is: a rewritten row is no longer all-visible on
/// PostgreSQL, so the index-only passes over the policy's rows would read the table until the
/// next vacuum.
async fn flag_all(txn: &impl ConnectionTrait, asked: &Asked<'_>) -> AppResult<()> {
    let mut in_audience = Query::select();
    in_audience
        .expr(Expr::val(1))
        .from(firm::Entity)
        .and_where(
            Expr::col((firm::Entity, firm::Column::Uscc))
                .equals((funnel::Entity, funnel::Column::FirmUscc)),
        )
        .and_where(asked.condition.clone());
    let flag = Expr::exists(in_audience);
    let flagged = Expr::col((funnel::Entity, funnel::Column::InAudience));
    let mut update = Query::update();
    update
        .table(funnel::Entity)
        .value(funnel::Column::InAudience, flag.clone())
        .and_where(Expr::col((funnel::Entity, funnel::Column::PolicyId)).eq(asked.policy))
        .and_where(flagged.clone().is_null().or(flagged.ne(flag)));
    txn.execute(&update).await?;
    Ok(())
}

/// The kept counts of the policies asked about whose rule is still the one counted.
async fn kept_counts(
    db: &impl ConnectionTrait,
    wanted: HashMap<Uuid, &String>,
) -> AppResult<HashMap<Uuid, i64>> {
    let rows: Vec<(Uuid, String, i64)> = kept::Entity::find()
        .select_only()
        .columns([
            kept::Column::PolicyId,
            kept::Column::RuleKey,
            kept::Column::Audience,
        ])
        .filter(kept::Column::PolicyId.is_in(wanted.keys().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|(policy, key, _)| wanted.get(policy).is_some_and(|k| *k == key))
        .map(|(policy, _, audience)| (policy, audience))
        .collect())
}

/// Counts the audiences of `asked` over the firms, per prefecture: one branch of a `UNION ALL`
/// each. A policy with no firm has an empty entry.
async fn count<'a>(
    db: &impl ConnectionTrait,
    asked: impl Iterator<Item = &'a Asked<'a>>,
) -> AppResult<HashMap<Uuid, BTreeMap<String, i64>>> {
    let mut found = HashMap::new();
    let branches = asked
        .map(|a| {
            found.insert(a.policy, BTreeMap::new());
            let mut branch = Query::select();
            branch
                .expr_as(prefecture_of_row(), Alias::new("prefecture"))
                .expr_as(Expr::cust("COUNT(*)"), Alias::new("audience"))
                .from(firm::Entity)
                .and_where(a.condition.clone())
                .group_by_col(Alias::new("prefecture"));
            (a.policy, branch)
        })
        .collect();
    for (policy, row) in per_policy(db, branches).await? {
        let prefecture: String = row.try_get("", "prefecture")?;
        found
            .entry(policy)
            .or_default()
            .insert(prefecture, read_count(&row, "audience")?);
    }
    Ok(found)
}

/// Called in a firm sync's transaction once it holds the firms it syncs, before it writes one: on
/// PostgreSQL, waits for a count, another sync or a writer of new funnel rows under way and keeps
/// them waiting until this one commits. The facts the sync read are its own until then: its
/// firms are held.
pub async fn before_sync(txn: &impl ConnectionTrait) -> AppResult<()> {
    hold(txn).await
}

/// Counts and syncs exclude each other, and themselves (SQLite's single writer already does).
pub(super) async fn hold(txn: &impl ConnectionTrait) -> AppResult<()> {
    lock(txn, "SHARE ROW EXCLUSIVE").await
}

/// Locks `policy_audience` in `mode` until the transaction ends (PostgreSQL; SQLite's single
/// writer already holds everything).
async fn lock(txn: &impl ConnectionTrait, mode: &str) -> AppResult<()> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(&format!("LOCK TABLE policy_audience IN {mode} MODE"))
            .await?;
    }
    Ok(())
}

/// A synced firm: its USCC, its facts and prefecture before (none for a new firm) and after.
pub type FactsChange = (String, Option<(FirmFacts, String)>, (FirmFacts, String));

/// Adds to every kept count, and to its prefectures, the firms a sync moved into or out of the
/// audience or between prefectures, in the sync's transaction. A kept rule that no longer
/// compiles is dropped, to be counted again when read.
pub async fn follow_sync(
    txn: &impl ConnectionTrait,
    regions: &RegionCatalog,
    changes: &[FactsChange],
) -> AppResult<()> {
    let changes: Vec<&FactsChange> = changes
        .iter()
        .filter(|(_, before, after)| before.as_ref() != Some(after))
        .collect();
    if changes.is_empty() {
        return Ok(());
    }
    let rows: Vec<(Uuid, String, String)> = kept::Entity::find()
        .select_only()
        .columns([
            kept::Column::PolicyId,
            kept::Column::Scope,
            kept::Column::Eligibility,
        ])
        .into_tuple()
        .all(txn)
        .await?;
    let mut by_region: BTreeMap<(Uuid, String), i64> = BTreeMap::new();
    let mut unreadable: Vec<Uuid> = Vec::new();
    // The (policy, firm) funnel rows to flag again, by their new flag: a firm synced before
    // may have been reached (a new firm has no funnel rows).
    let mut moved: [Vec<(Uuid, &str)>; 2] = [Vec::new(), Vec::new()];
    for (policy, scope, eligibility) in rows {
        let Some(rule) = compiled(&scope, &eligibility, regions) else {
            unreadable.push(policy);
            continue;
        };
        for (uscc, before, (after, prefecture)) in &changes {
            let now_in = in_audience(&rule, after);
            let was_in = before.as_ref().map(|(b, _)| in_audience(&rule, b));
            if was_in.is_some_and(|was| was != now_in) {
                moved[usize::from(now_in)].push((policy, uscc.as_str()));
            }
            if let (Some(true), Some((_, was_at))) = (was_in, before) {
                *by_region.entry((policy, was_at.clone())).or_default() -= 1;
            }
            if now_in {
                *by_region.entry((policy, prefecture.clone())).or_default() += 1;
            }
        }
    }
    // A policy's total moves by what its prefectures moved.
    let mut totals: BTreeMap<Uuid, i64> = BTreeMap::new();
    for ((policy, _), delta) in &by_region {
        *totals.entry(*policy).or_default() += delta;
    }
    let deltas: Vec<(Uuid, i64)> = totals.into_iter().filter(|(_, d)| *d != 0).collect();
    for (flag, pairs) in moved.iter().enumerate() {
        flag_pairs(txn, pairs, flag == 1).await?;
    }
    for chunk in deltas.chunks(UPDATES) {
        let mut by_policy = CaseStatement::new();
        for (policy, delta) in chunk {
            by_policy = by_policy.case(kept::Column::PolicyId.eq(*policy), Expr::val(*delta));
        }
        let delta: Expr = by_policy.finally(0i64).into();
        let mut update = Query::update();
        update
            .table(kept::Entity)
            .value(
                kept::Column::Audience,
                Expr::col(kept::Column::Audience).add(delta),
            )
            .and_where(kept::Column::PolicyId.is_in(chunk.iter().map(|(p, _)| *p)));
        txn.execute(&update).await?;
    }
    add_to_regions(txn, by_region).await?;
    drop_unreadable(txn, unreadable).await
}

/// Adds `deltas` to the kept prefectures of their policies.
async fn add_to_regions(
    txn: &impl ConnectionTrait,
    deltas: BTreeMap<(Uuid, String), i64>,
) -> AppResult<()> {
    use kept_region::Column as R;
    let values: Vec<Vec<sea_orm::Value>> = deltas
        .into_iter()
        .filter(|(_, delta)| *delta != 0)
        .map(|((policy, prefecture), delta)| vec![policy.into(), prefecture.into(), delta.into()])
        .collect();
    let columns = [R::PolicyId, R::PrefectureCode, R::Audience];
    db::insert_all(txn, kept_region::Entity, &columns, values, |insert| {
        insert.on_conflict(
            OnConflict::columns([R::PolicyId, R::PrefectureCode])
                .value(
                    R::Audience,
                    Expr::col((kept_region::Entity, R::Audience)).add(db::excluded(R::Audience)),
                )
                .to_owned(),
        );
    })
    .await?;
    Ok(())
}

/// Drops the kept counts whose rule no longer compiles, to be counted (and their rows flagged)
/// again when read.
async fn drop_unreadable(txn: &impl ConnectionTrait, policies: Vec<Uuid>) -> AppResult<()> {
    if !policies.is_empty() {
        tracing::warn!(?policies, "kept audience rules no longer compile; dropped");
        kept_region::Entity::delete_many()
            .filter(kept_region::Column::PolicyId.is_in(policies.iter().copied()))
            .exec(txn)
            .await?;
        kept::Entity::delete_many()
            .filter(kept::Column::PolicyId.is_in(policies))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Flags the funnel rows of `pairs` (policy, firm), where they exist.
async fn flag_pairs(
    txn: &impl ConnectionTrait,
    pairs: &[(Uuid, &str)],
    flag: bool,
) -> AppResult<()> {
    for chunk in pairs.chunks(KEYS_PER_LIST / 2) {
        let keys = chunk
            .iter()
            .map(|(policy, firm)| (*policy, (*firm).to_owned()));
        let mut update = Query::update();
        update
            .table(funnel::Entity)
            .value(funnel::Column::InAudience, flag)
            .and_where(
                Expr::tuple([
                    Expr::col(funnel::Column::PolicyId),
                    Expr::col(funnel::Column::FirmUscc),
                ])
                .in_tuples(keys),
            );
        txn.execute(&update).await?;
    }
    Ok(())
}

/// Whether the firm is in the audience: in scope, and its facts do not rule it out.
fn in_audience(rule: &CompiledRule, firm: &FirmFacts) -> bool {
    rule.evaluate(Facts {
        firm,
        declaration: None,
    }) != Outcome::False
}

fn compiled(scope: &str, eligibility: &str, regions: &RegionCatalog) -> Option<CompiledRule> {
    let scope = scope
        .split(',')
        .filter(|code| !code.is_empty())
        .map(|code| regions.parse(code).ok())
        .collect::<Option<Vec<_>>>()?;
    let eligibility: Value = serde_json::from_str(eligibility).ok()?;
    CompiledRule::compile(scope, &eligibility, "eligibility", regions).ok()
}

/// Forgets every kept count, for writers that change firms without a sync (the seeders).
pub async fn forget_all(db: &DatabaseConnection) -> AppResult<()> {
    kept::Entity::delete_many().exec(db).await?;
    kept_region::Entity::delete_many().exec(db).await?;
    Ok(())
}

/// The kept rules, as the writers of funnel rows flag new rows with them: each compiled once.
#[derive(Clone)]
pub struct KeptRules {
    regions: Arc<RegionCatalog>,
    /// By rule key: the digest of the scope and the eligibility.
    compiled: Arc<Mutex<HashMap<String, Arc<CompiledRule>>>>,
}

/// What a writer of new funnel rows writes them with: whether each (policy, firm) is in the
/// policy's kept audience, and the departments whose kept totals list each policy.
#[derive(Default)]
pub struct Flagged {
    pub flags: HashMap<(Uuid, String), bool>,
    pub departments: HashMap<Uuid, Vec<String>>,
}

/// What a row of [`KeptRules::of`] holds: a kept rule's key, or a department listing the policy.
const RULE: &str = "rule";
const LISTING: &str = "listing";

/// Rules kept compiled at most; past it the cache starts again.
const COMPILED: usize = 20_000;

impl KeptRules {
    pub fn new(regions: Arc<RegionCatalog>) -> KeptRules {
        KeptRules {
            regions,
            compiled: Arc::default(),
        }
    }

    /// Taken by a writer of new funnel rows once it holds their firms and before it reads the
    /// kept rules: on PostgreSQL, waits for a count or a sync under way and keeps new ones waiting
    /// until the writer commits (writers do not wait for each other), so the rules read by
    /// [`KeptRules::of`] stay the kept ones until then. A writer with nothing new to flag (a
    /// repeat filing) never takes it. Syncs lock their firms before the table, as writers do, so
    /// neither waits for the other in the opposite order.
    pub async fn hold(txn: &impl ConnectionTrait) -> AppResult<()> {
        lock(txn, "ROW EXCLUSIVE").await
    }

    /// The kept rule of each of `policies` that has a kept count, and the departments whose
    /// kept totals list each (`department_reach`), read in one statement after
    /// [`KeptRules::hold`].
    async fn of(
        &self,
        txn: &impl ConnectionTrait,
        policies: &HashSet<Uuid>,
    ) -> AppResult<(HashMap<Uuid, Arc<CompiledRule>>, HashMap<Uuid, Vec<String>>)> {
        let mut found = HashMap::new();
        let mut departments: HashMap<Uuid, Vec<String>> = HashMap::new();
        if policies.is_empty() {
            return Ok((found, departments));
        }
        let mut ids: Vec<Uuid> = policies.iter().copied().collect();
        ids.sort_unstable();
        let mut unknown: Vec<(Uuid, String)> = Vec::new();
        for chunk in db::in_pieces(&ids, KEYS_PER_LIST) {
            let mut keys = Query::select();
            keys.column(kept::Column::PolicyId)
                .expr_as(Expr::col(kept::Column::RuleKey), Alias::new("value"))
                .expr_as(Expr::val(RULE), Alias::new("kind"))
                .from(kept::Entity)
                .and_where(kept::Column::PolicyId.is_in(chunk.iter().copied()));
            let mut listed = Query::select();
            listed
                .column(listing_of::Column::PolicyId)
                .column(listing_of::Column::DepartmentCode)
                .expr(Expr::val(LISTING))
                .from(listing_of::Entity)
                .and_where(listing_of::Column::PolicyId.is_in(chunk.iter().copied()));
            keys.union(UnionType::All, listed);
            let rows = txn.query_all(&keys).await?;
            let cache = self.lock()?;
            for row in rows {
                let policy: Uuid = row.try_get("", "policy_id")?;
                let value: String = row.try_get("", "value")?;
                let kind: String = row.try_get("", "kind")?;
                if kind == LISTING {
                    departments.entry(policy).or_default().push(value);
                    continue;
                }
                match cache.get(&value) {
                    Some(rule) => {
                        found.insert(policy, rule.clone());
                    }
                    None => unknown.push((policy, value)),
                }
            }
        }
        for chunk in unknown.chunks(KEYS_PER_LIST) {
            let rows: Vec<(Uuid, String, String, String)> = kept::Entity::find()
                .select_only()
                .columns([
                    kept::Column::PolicyId,
                    kept::Column::RuleKey,
                    kept::Column::Scope,
                    kept::Column::Eligibility,
                ])
                .filter(kept::Column::PolicyId.is_in(chunk.iter().map(|(p, _)| *p)))
                .into_tuple()
                .all(txn)
                .await?;
            let mut unreadable: Vec<Uuid> = Vec::new();
            {
                let mut cache = self.lock()?;
                if cache.len() + rows.len() > COMPILED {
                    cache.clear();
                }
                for (policy, key, scope, eligibility) in rows {
                    match compiled(&scope, &eligibility, &self.regions) {
                        Some(rule) => {
                            let rule = Arc::new(rule);
                            cache.insert(key, rule.clone());
                            found.insert(policy, rule);
                        }
                        None => unreadable.push(policy),
                    }
                }
            }
            // As a sync does; the writer's rows stay unflagged until the policy is counted again.
            drop_unreadable(txn, unreadable).await?;
        }
        Ok((found, departments))
    }

    /// Whether each firm of `pairs` (policy, firm) is in the policy's kept audience, its facts
    /// read from `held` (the firms the writer holds); pairs whose policy has no kept count, or
    /// whose firm is not held, are left out. Takes [`KeptRules::hold`] first (when there are
    /// pairs), which the writer keeps until it commits.
    pub async fn flags<'a>(
        &self,
        txn: &impl ConnectionTrait,
        held: &HashMap<String, firm::Model>,
        pairs: impl Iterator<Item = (Uuid, &'a str)>,
    ) -> AppResult<Flagged> {
        let pairs: Vec<(Uuid, &str)> = pairs.collect();
        if pairs.is_empty() {
            return Ok(Flagged::default());
        }
        Self::hold(txn).await?;
        let policies: HashSet<Uuid> = pairs.iter().map(|(p, _)| *p).collect();
        let (rules, departments) = self.of(txn, &policies).await?;
        let mut facts: HashMap<&str, Option<FirmFacts>> = HashMap::new();
        let mut found = HashMap::new();
        for (policy, uscc) in pairs {
            let Some(rule) = rules.get(&policy) else {
                continue;
            };
            let facts = facts.entry(uscc).or_insert_with(|| {
                held.get(uscc)
                    .and_then(|m| crate::eligibility::stored_firm_facts(m, &self.regions))
            });
            if let Some(facts) = facts {
                found.insert((policy, uscc.to_owned()), in_audience(rule, facts));
            }
        }
        Ok(Flagged {
            flags: found,
            departments,
        })
    }

    fn lock(&self) -> AppResult<std::sync::MutexGuard<'_, HashMap<String, Arc<CompiledRule>>>> {
        self.compiled
            .lock()
            .map_err(|_| AppError::internal_msg("the kept rules' cache was poisoned"))
    }
}
