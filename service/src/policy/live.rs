//! The live catalog: every published policy with its compiled rule, held in memory and swapped
//! whole when the catalog changes. Filing-time matching reads it and never the policies table.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::assemble::assemble;
use super::view::PolicyView;
use crate::eligibility::{CompiledRule, Facts, RuleIndex};
use crate::entity::{catalog_state, policy};
use crate::error::{AppError, AppResult};
use crate::region::RegionCatalog;

/// A published policy as filings see it.
#[derive(Debug)]
pub struct LivePolicy {
    pub view: Arc<PolicyView>,
    pub rule: CompiledRule,
}

impl LivePolicy {
    /// Whether `day` lies within the policy's effective dates.
    pub fn in_effect_on(&self, day: NaiveDate) -> bool {
        self.view.in_effect_on(day)
    }
}

/// Every published policy at one catalog version. Effective dates are checked when read, so a
/// policy starts and ends at midnight without a reload.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub version: i64,
    /// Newest first, as the catalog lists them: by creation time, then id, descending.
    policies: Vec<Arc<LivePolicy>>,
    /// The same policies, by id.
    by_id: HashMap<Uuid, Arc<LivePolicy>>,
    /// Their rules, filed by the values they admit: positions in `policies`.
    index: RuleIndex,
}

impl Snapshot {
    fn new(version: i64, mut policies: Vec<Arc<LivePolicy>>) -> Snapshot {
        policies.sort_by(|a, b| {
            let key = |p: &LivePolicy| (p.view.policy.created_at, p.view.policy.id);
            key(b).cmp(&key(a))
        });
        let by_id = policies
            .iter()
            .map(|p| (p.view.policy.id, p.clone()))
            .collect();
        let index = RuleIndex::new(policies.iter().map(|p| &p.rule));
        Snapshot {
            version,
            policies,
            by_id,
            index,
        }
    }

    /// The published policy `id`, if it is live.
    pub fn get(&self, id: Uuid) -> Option<&Arc<LivePolicy>> {
        self.by_id.get(&id)
    }

    /// Every policy, newest first.
    pub fn newest_first(&self) -> impl Iterator<Item = &Arc<LivePolicy>> {
        self.policies.iter()
    }

    /// The policies in effect on `day` whose rule is TRUE on `facts`, found through the rule
    /// index: only the candidates it leaves are evaluated.
    pub fn matching<'a>(
        &'a self,
        facts: Facts<'a>,
        day: NaiveDate,
    ) -> impl Iterator<Item = &'a Arc<LivePolicy>> + 'a {
        self.index
            .matches(facts)
            .map(|position| &self.policies[position])
            .filter(move |p| p.in_effect_on(day))
    }

    /// The policies in effect on `day`.
    pub fn in_effect_on(&self, day: NaiveDate) -> impl Iterator<Item = &Arc<LivePolicy>> {
        self.policies.iter().filter(move |p| p.in_effect_on(day))
    }
}

/// How a published policy changed between two snapshots.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatalogChangeKind {
    /// Published for the first time, or again after it was retired.
    Published,
    /// A new version of a published policy went live.
    Versioned,
    /// No longer published.
    Retired,
}

/// A policy that changed in the published catalog: ids and the regions it covers (empty:
/// nationwide), never its content, which readers fetch as they may.
#[derive(Clone, Debug)]
pub struct CatalogChange {
    pub policy_id: Uuid,
    pub version: i32,
    pub kind: CatalogChangeKind,
    pub regions: Arc<[crate::region::RegionCode]>,
}

/// How many changes a subscriber may fall behind before it is closed (to read the catalog
/// again): one that stopped reading, or a burst larger than this (a bulk import).
pub const CHANGE_BUFFER: usize = 256;

/// The snapshot of this instance, and the changes each new snapshot brought.
pub struct LiveCatalog {
    current: ArcSwap<Snapshot>,
    changes: tokio::sync::broadcast::Sender<CatalogChange>,
}

impl LiveCatalog {
    /// Loads the published catalog.
    pub async fn load(db: &DatabaseConnection, regions: &RegionCatalog) -> AppResult<LiveCatalog> {
        Ok(LiveCatalog {
            current: ArcSwap::from_pointee(read(db, regions).await?),
            changes: tokio::sync::broadcast::channel(CHANGE_BUFFER).0,
        })
    }

    /// The changes every later snapshot brings, whichever instance made them: this one's at
    /// once, another's when this one reloads (on its notification, or by the poll).
    pub fn changes(&self) -> tokio::sync::broadcast::Receiver<CatalogChange> {
        self.changes.subscribe()
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Reloads now (after this instance changed the catalog).
    pub async fn refresh(&self, db: &DatabaseConnection, regions: &RegionCatalog) -> AppResult<()> {
        let fresh = Arc::new(read(db, regions).await?);
        // Two refreshes may race: never replace a snapshot by an older one.
        let previous = self.current.rcu(|current| {
            if fresh.version >= current.version {
                fresh.clone()
            } else {
                current.clone()
            }
        });
        if fresh.version > previous.version {
            for change in differences(&previous, &fresh) {
                // Nobody listening is not an error.
                let _ = self.changes.send(change);
            }
        }
        Ok(())
    }

    /// Serves a change this instance committed at once. Should the reload fail, the change
    /// stands and the catalog poll picks it up within a second; the caller is not told otherwise.
    pub async fn changed(&self, db: &DatabaseConnection, regions: &RegionCatalog) {
        if let Err(err) = self.refresh(db, regions).await {
            tracing::warn!(error = %err, "could not refresh the live catalog after a change");
        }
    }

    /// Reloads when another instance changed the catalog: polls the catalog version every
    /// `interval` until the process ends.
    pub fn watch(
        self: Arc<Self>,
        db: DatabaseConnection,
        regions: Arc<RegionCatalog>,
        interval: Duration,
    ) {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match catalog_version(&db).await {
                    Ok(version) if version != self.current.load().version => {
                        if let Err(err) = self.refresh(&db, &regions).await {
                            tracing::warn!(error = %err, "could not refresh the live catalog");
                        }
                    }
                    Ok(_) => {}
                    Err(err) => tracing::warn!(error = %err, "could not read the catalog version"),
                }
            }
        });
    }
}

/// What changed from `before` to `after`: policies published, versioned and retired.
fn differences(before: &Snapshot, after: &Snapshot) -> Vec<CatalogChange> {
    let change = |live: &LivePolicy, kind| CatalogChange {
        policy_id: live.view.policy.id,
        version: live.view.version.version,
        kind,
        regions: live.view.regions.clone().into(),
    };
    let mut changes: Vec<CatalogChange> = after
        .policies
        .iter()
        .filter_map(|now| match before.get(now.view.policy.id) {
            None => Some(change(now, CatalogChangeKind::Published)),
            Some(then) if then.view.version.version != now.view.version.version => {
                Some(change(now, CatalogChangeKind::Versioned))
            }
            Some(_) => None,
        })
        .collect();
    changes.extend(
        before
            .policies
            .iter()
            .filter(|then| after.get(then.view.policy.id).is_none())
            .map(|then| change(then, CatalogChangeKind::Retired)),
    );
    changes
}

/// On PostgreSQL, reloads as soon as another instance says the catalog changed (`NOTIFY` on
/// [`CHANNEL`], sent by [`bump_catalog`] when its transaction commits), and again each time the
/// listening connection comes back after it was lost, to catch up with what it missed. The poll
/// of [`LiveCatalog::watch`] stays the safety net.
pub fn listen(catalog: Arc<LiveCatalog>, db: DatabaseConnection, regions: Arc<RegionCatalog>) {
    let reader = db.clone();
    // A change, or the connection lost and found again: either way, read the tables.
    crate::db::listen(&db, CHANNEL, move |_| {
        let (catalog, db, regions) = (catalog.clone(), reader.clone(), regions.clone());
        async move { catalog.changed(&db, &regions).await }
    });
}

/// The notification channel of catalog changes; its payload is empty (readers read the tables).
pub const CHANNEL: &str = "policy_outreach_catalog";

async fn catalog_version(db: &DatabaseConnection) -> AppResult<i64> {
    Ok(catalog_state::Entity::find_by_id(1)
        .one(db)
        .await?
        .map_or(0, |state| state.version))
}

/// The catalog version, then every published policy at its live version. Reading the version
/// first means a change that lands in between is seen again by the next poll.
async fn read(db: &DatabaseConnection, regions: &RegionCatalog) -> AppResult<Snapshot> {
    let version = catalog_version(db).await?;
    let rows = policy::Entity::find()
        .filter(policy::Column::Status.eq(super::PolicyStatus::Published))
        .all(db)
        .await?;
    let keys: Vec<_> = rows
        .iter()
        .filter_map(|p| Some((p.id, p.live_version?)))
        .collect();
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|p| p.live_version.is_some())
        .collect();
    let views = assemble(db, regions, rows, &keys).await?;
    let policies = views
        .into_iter()
        .map(|view| {
            let rule = CompiledRule::compile(
                view.regions.clone(),
                &view.version.eligibility,
                "eligibility",
                regions,
            )
            .map_err(|e| {
                AppError::internal_msg(format!(
                    "published rule of {} is invalid: {e:?}",
                    view.policy.id
                ))
            })?;
            Ok(Arc::new(LivePolicy {
                view: Arc::new(view),
                rule,
            }))
        })
        .collect::<AppResult<Vec<_>>>()?;
    Ok(Snapshot::new(version, policies))
}

/// Tells every instance that the published catalog changed.
pub async fn bump_catalog(db: &impl ConnectionTrait) -> AppResult<()> {
    catalog_state::Entity::update_many()
        .col_expr(
            catalog_state::Column::Version,
            Expr::col(catalog_state::Column::Version).add(1),
        )
        .filter(catalog_state::Column::Id.eq(1))
        .exec(db)
        .await?;
    // Delivered when the transaction commits, and not at all if it rolls back.
    crate::db::notify(db, CHANNEL, &[String::new()]).await?;
    Ok(())
}
