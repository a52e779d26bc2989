//! Which policies' reach changed, for `outreachChanged`. Filings, answers and recorded
//! deliveries note the policies they touched once they are stored; once a second the noted ones
//! are announced to this instance's subscribers and, on PostgreSQL, to every other instance
//! (`NOTIFY` with the ids only). An instance whose listening connection was lost announces
//! everything once it listens again, so its subscribers read the tables afresh.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use tokio::sync::broadcast;
use uuid::Uuid;

/// The notification channel; each payload is `<instance id>:<policy id>`.
const CHANNEL: &str = "policy_outreach_reach";
/// How often noted changes are announced: no policy is announced twice a second.
const EVERY: Duration = Duration::from_secs(1);

/// A change subscribers hear of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReachChange {
    /// This policy's reach or answers changed.
    Policy(Uuid),
    /// Changes may have been missed: every figure is to be read again.
    Everything,
}

/// The noted changes of this instance, and what every subscriber hears.
pub struct ReachChanges {
    noted: Mutex<HashSet<Uuid>>,
    announced: broadcast::Sender<ReachChange>,
    instance: Uuid,
}

impl ReachChanges {
    /// Starts announcing (and, on PostgreSQL, listening to the other instances).
    pub fn start(db: DatabaseConnection) -> Arc<ReachChanges> {
        let changes = Arc::new(ReachChanges {
            noted: Mutex::new(HashSet::new()),
            announced: broadcast::channel(1024).0,
            instance: Uuid::new_v4(),
        });
        tokio::spawn(announce(Arc::downgrade(&changes), db.clone()));
        if db.get_database_backend() == DatabaseBackend::Postgres {
            tokio::spawn(listen(Arc::downgrade(&changes), db));
        }
        changes
    }

    /// Notes that these policies' reach changed (after the change is stored).
    pub fn note(&self, policies: impl IntoIterator<Item = Uuid>) {
        let mut noted = self
            .noted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        noted.extend(policies);
    }

    /// What subscribers hear from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<ReachChange> {
        self.announced.subscribe()
    }

    fn take(&self) -> Vec<Uuid> {
        let mut noted = self
            .noted
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        noted.drain().collect()
    }
}

/// Once a second: the noted policies, to this instance's subscribers and to the others.
async fn announce(changes: std::sync::Weak<ReachChanges>, db: DatabaseConnection) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(changes) = changes.upgrade() else {
            return;
        };
        let policies = changes.take();
        if policies.is_empty() {
            continue;
        }
        for policy in &policies {
            let _ = changes.announced.send(ReachChange::Policy(*policy));
        }
        if db.get_database_backend() == DatabaseBackend::Postgres {
            let payloads: Vec<String> = policies
                .iter()
                .map(|p| format!("'{}:{p}'", changes.instance))
                .collect();
            // Uuids only: nothing here comes from a caller.
            let sql = format!(
                "SELECT pg_notify('{CHANNEL}', payload) FROM unnest(ARRAY[{}]) AS payload",
                payloads.join(",")
            );
            if let Err(err) = db.execute_unprepared(&sql).await {
                tracing::warn!(error = %err, "could not announce reach changes");
            }
        }
    }
}

/// Hears the other instances' announcements; after a lost connection, announces everything.
async fn listen(changes: std::sync::Weak<ReachChanges>, db: DatabaseConnection) {
    let pool = db.get_postgres_connection_pool().clone();
    loop {
        let mut listener = match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %err, "could not listen for reach changes");
                tokio::time::sleep(EVERY).await;
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %err, "could not listen for reach changes");
            tokio::time::sleep(EVERY).await;
            continue;
        }
        loop {
            let heard = listener.try_recv().await;
            let Some(changes) = changes.upgrade() else {
                return;
            };
            match heard {
                Ok(Some(notification)) => {
                    let Some((instance, policy)) = notification.payload().split_once(':') else {
                        continue;
                    };
                    if instance == changes.instance.to_string() {
                        continue;
                    }
                    if let Ok(policy) = policy.parse() {
                        let _ = changes.announced.send(ReachChange::Policy(policy));
                    }
                }
                // The connection was lost and is back: whatever was said meanwhile is unheard.
                Ok(None) => {
                    let _ = changes.announced.send(ReachChange::Everything);
                }
                Err(err) => {
                    tracing::warn!(error = %err, "lost the reach notifications; listening again");
                    let _ = changes.announced.send(ReachChange::Everything);
                    tokio::time::sleep(EVERY).await;
                    break;
                }
            }
        }
    }
}
