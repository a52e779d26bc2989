//! Each firm's last filing time, for `activeLast30Days`: written at most hourly per firm, in
//! batches, by a background task, so a filing never waits for it.

use std::collections::HashSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use tokio::sync::mpsc;

use crate::entity::firm;

/// How stale a recorded filing time may get before it is written again.
pub const RESOLUTION: chrono::TimeDelta = chrono::TimeDelta::hours(1);
const QUEUE: usize = 10_000;
const FLUSH_EVERY: Duration = Duration::from_secs(1);

/// The queue of firms seen filing. A batch is written with the latest filing time in it: the
/// times are exact to the flush interval (a second).
#[derive(Clone)]
pub struct Activity {
    queue: mpsc::Sender<(String, DateTime<Utc>)>,
}

impl Activity {
    /// Starts the writer on the current runtime.
    pub fn start(db: DatabaseConnection) -> Activity {
        let (queue, mut seen) = mpsc::channel::<(String, DateTime<Utc>)>(QUEUE);
        tokio::spawn(async move {
            let mut batch = HashSet::new();
            let mut latest: Option<DateTime<Utc>> = None;
            let mut ticks = tokio::time::interval(FLUSH_EVERY);
            loop {
                tokio::select! {
                    next = seen.recv() => match next {
                        Some((uscc, at)) => {
                            batch.insert(uscc);
                            latest = latest.max(Some(at));
                        }
                        None => break,
                    },
                    _ = ticks.tick() => {
                        if let Some(at) = latest.take() {
                            flush(&db, std::mem::take(&mut batch), at).await;
                        }
                    }
                }
            }
            if let Some(at) = latest {
                flush(&db, batch, at).await;
            }
        });
        Activity { queue }
    }

    /// Notes that `uscc` filed now, unless its recorded time is recent enough.
    pub fn filed(&self, uscc: &str, last_recorded: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        if last_recorded.is_some_and(|at| now - at < RESOLUTION) {
            return;
        }
        // A full queue only delays the record until the firm's next filing.
        let _ = self.queue.try_send((uscc.to_owned(), now));
    }
}

async fn flush(db: &DatabaseConnection, usccs: HashSet<String>, now: DateTime<Utc>) {
    let usccs: Vec<String> = usccs.into_iter().collect();
    for chunk in crate::db::in_pieces(&usccs, crate::db::KEYS_PER_LIST) {
        let written = firm::Entity::update_many()
            .col_expr(firm::Column::LastFiledAt, Expr::val(now))
            .filter(firm::Column::Uscc.is_in(chunk.iter().map(String::as_str)))
            .exec(db)
            .await;
        if let Err(err) = written {
            tracing::warn!(error = %err, firms = chunk.len(), "could not record filing activity");
        }
    }
}
