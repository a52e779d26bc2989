//! The presentations of `applicablePolicies`, written by group commit: the filings waiting at
//! one moment share one transaction, and each answers once its own rows are stored.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{DatabaseBackend, DatabaseConnection};
use uuid::Uuid;

use super::audience::KeptRules;
use super::deliveries::{self, NewFiling, Recorded};
use super::group_commit::{GroupCommit, Job, Sink};
use crate::clock::Clock;
use crate::error::AppResult;

/// One filing's presentations, each policy once.
pub struct Presentations(pub NewFiling);

impl Job for Presentations {
    type Answer = Vec<Recorded>;

    fn pairs(&self) -> impl Iterator<Item = (Uuid, &str)> {
        let firm = self.0.firm_uscc.as_str();
        self.0.presented.iter().map(move |s| (s.policy_id, firm))
    }

    fn rows(&self) -> usize {
        self.0.presented.len()
    }
}

/// Where filings send their presentations.
pub type Recorder = GroupCommit<Presentations>;

/// Starts the writers of presentations: two on PostgreSQL, where a batch of a few thousand rows
/// keeps a backend busy for tens of milliseconds and the second writer's batch runs on the other
/// core (measured: 70 filings a second with one writer, 110 with two); one on SQLite, which
/// writes one transaction at a time anyway.
pub fn start(
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    zone: Tz,
    rules: KeptRules,
) -> Recorder {
    let writers = match db.get_database_backend() {
        DatabaseBackend::Postgres => 2,
        _ => 1,
    };
    GroupCommit::start(Deliveries { db, zone, rules }, clock, writers)
}

struct Deliveries {
    db: DatabaseConnection,
    zone: Tz,
    rules: KeptRules,
}

impl Sink for Deliveries {
    type Job = Presentations;

    async fn write(
        &self,
        jobs: &[Presentations],
        now: DateTime<Utc>,
    ) -> AppResult<Vec<AppResult<Vec<Recorded>>>> {
        let filings: Vec<&NewFiling> = jobs.iter().map(|j| &j.0).collect();
        let recorded = deliveries::save(&self.db, &filings, now, self.zone, &self.rules).await?;
        Ok(recorded.into_iter().map(Ok).collect())
    }
}
