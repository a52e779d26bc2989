//! Which policies' reach changed, for `outreachChanged`. Filings, answers and recorded
//! deliveries note the policies they touched once they are stored; once a second the noted ones
//! are announced to this instance's subscribers and, on PostgreSQL, to every other instance
//! (`NOTIFY` with the ids only). An instance whose listening connection was lost announces
//! everything once it listens again, so its subscribers read the tables afresh.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::broadcast;
use uuid::Uuid;

use crate::db::Heard;

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
        let heard_by = Arc::downgrade(&changes);
        crate::db::listen(&db, CHANNEL, move |heard| {
            if let Some(changes) = heard_by.upgrade() {
                changes.hear(heard);
            }
            std::future::ready(())
        });
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

    /// Another instance's announcement, or the news that some may have been missed.
    fn hear(&self, heard: Heard<'_>) {
        let change = match heard {
            Heard::Said(payload) => {
                let Some((instance, policy)) = payload.split_once(':') else {
                    return;
                };
                if instance == self.instance.to_string() {
                    return;
                }
                let Ok(policy) = policy.parse() else {
                    return;
                };
                ReachChange::Policy(policy)
            }
            Heard::Missed => ReachChange::Everything,
        };
        let _ = self.announced.send(change);
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
        let payloads: Vec<String> = policies
            .iter()
            .map(|p| format!("{}:{p}", changes.instance))
            .collect();
        if let Err(err) = crate::db::notify(&db, CHANNEL, &payloads).await {
            tracing::warn!(error = %err, "could not announce reach changes");
        }
    }
}
