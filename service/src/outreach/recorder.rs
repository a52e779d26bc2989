//! The presentations of `applicablePolicies`, written by group commit: the filings waiting at
//! one moment share one transaction, and each answers once its own rows are stored.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{DatabaseBackend, DatabaseConnection};
use uuid::Uuid;

use super::deliveries::{self, NewDelivery, Recorded};
use super::group_commit::{GroupCommit, Job, Sink};
use crate::clock::Clock;
use crate::error::AppResult;

/// One filing's presentations, each (policy, firm) pair once.
pub struct Presentations(pub Vec<NewDelivery>);

impl Job for Presentations {
    type Answer = Vec<Recorded>;

    fn pairs(&self) -> impl Iterator<Item = (Uuid, &str)> {
        self.0.iter().map(|r| (r.policy_id, r.firm_uscc.as_str()))
    }

    fn rows(&self) -> usize {
        self.0.len()
    }
}

/// Where filings send their presentations.
pub type Recorder = GroupCommit<Presentations>;

/// Starts the writers of presentations: two on PostgreSQL, where a batch of a few thousand rows
/// keeps a backend busy for tens of milliseconds and the second writer's batch runs on the other
/// core (measured: 70 filings a second with one writer, 110 with two); one on SQLite, which
/// writes one transaction at a time anyway.
pub fn start(db: DatabaseConnection, clock: Arc<dyn Clock>, zone: Tz) -> Recorder {
    let writers = match db.get_database_backend() {
        DatabaseBackend::Postgres => 2,
        _ => 1,
    };
    GroupCommit::start(Deliveries { db, zone }, clock, writers)
}

struct Deliveries {
    db: DatabaseConnection,
    zone: Tz,
}

impl Sink for Deliveries {
    type Job = Presentations;

    async fn write(
        &self,
        jobs: &[Presentations],
        now: DateTime<Utc>,
    ) -> AppResult<Vec<AppResult<Vec<Recorded>>>> {
        let rows: Vec<&NewDelivery> = jobs.iter().flat_map(|j| &j.0).collect();
        // Where each (policy, firm) pair's delivery goes back to: (job, row). Pairs are unique
        // within a batch, and the keys borrow the jobs' rows.
        let slots: HashMap<(Uuid, &str), (usize, usize)> = jobs
            .iter()
            .enumerate()
            .flat_map(|(j, job)| job.pairs().enumerate().map(move |(i, pair)| (pair, (j, i))))
            .collect();
        let mut answers: Vec<Vec<Option<Recorded>>> =
            jobs.iter().map(|job| vec![None; job.0.len()]).collect();
        for recorded in deliveries::save(&self.db, &rows, now, self.zone).await? {
            if let Some(&(j, i)) = slots.get(&(recorded.policy_id, recorded.firm_uscc.as_str())) {
                answers[j][i] = Some(recorded);
            }
        }
        Ok(answers
            .into_iter()
            .map(|recorded| Ok(recorded.into_iter().flatten().collect()))
            .collect())
    }
}
