//! Group commit for the writes of a filing peak: filings and acknowledgements are written by
//! writer tasks of their kind, each taking every request waiting at that moment into one
//! transaction. Each caller still waits until its own rows are committed before it answers, so
//! nothing is reported that is not stored; but a peak of concurrent requests costs one commit per
//! batch instead of one per request, and the requests never queue on each other's locks of the
//! shared funnel and daily rows.

use std::collections::{HashSet, VecDeque};
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use tokio::sync::{Mutex, mpsc, oneshot};
use uuid::Uuid;

use crate::clock::Clock;
use crate::error::{AppError, AppResult};

/// Requests that may wait for the writer before new ones wait to be queued.
const QUEUE: usize = 4_096;
/// Rows one batch takes, at most; a request is never split between batches.
const ROWS_PER_BATCH: usize = 5_000;

/// One request's share of a batch.
pub trait Job: Send + 'static {
    type Answer: Send + 'static;

    /// The (policy, firm) pairs whose funnel rows it writes: two jobs that share one never share
    /// a batch, since one statement may not update a row twice. A job that learns its policies
    /// only in the batch names its firm with the nil policy, and shares no batch with another job
    /// naming it so.
    fn pairs(&self) -> impl Iterator<Item = (Uuid, &str)>;

    /// How many rows it writes.
    fn rows(&self) -> usize;
}

/// What writes a batch.
pub trait Sink: Send + Sync + 'static {
    type Job: Job;

    /// Writes `jobs` in one transaction at `now`, as the `writer`th writer (of as many as were
    /// started; rows a writer keeps to itself never wait on another's): an answer for each, in
    /// order (an error for one that was refused), or an error when nothing was written.
    fn write(
        &self,
        jobs: &[Self::Job],
        now: DateTime<Utc>,
        writer: usize,
    ) -> impl Future<Output = AppResult<Vec<AppResult<<Self::Job as Job>::Answer>>>> + Send;
}

type Reply<J> = oneshot::Sender<AppResult<<J as Job>::Answer>>;

/// The handle requests submit their jobs to.
pub struct GroupCommit<J: Job> {
    queue: mpsc::Sender<(J, Reply<J>)>,
}

impl<J: Job> Clone for GroupCommit<J> {
    fn clone(&self) -> Self {
        GroupCommit {
            queue: self.queue.clone(),
        }
    }
}

impl<J: Job> GroupCommit<J> {
    /// Starts `writers` writers on the current runtime, each taking the next batch while the
    /// others write theirs. They stop once every handle is dropped, after writing what was queued.
    pub fn start<S: Sink<Job = J>>(
        sink: S,
        clock: Arc<dyn Clock>,
        writers: usize,
    ) -> GroupCommit<J> {
        let (queue, jobs) = mpsc::channel(QUEUE);
        let line = Arc::new(Mutex::new(Line {
            queue: jobs,
            held: VecDeque::new(),
        }));
        let sink = Arc::new(sink);
        for writer in 0..writers.max(1) {
            tokio::spawn(run(sink.clone(), clock.clone(), line.clone(), writer));
        }
        GroupCommit { queue }
    }

    /// Writes `job` with whatever else is waiting, and answers once it is committed.
    pub async fn submit(&self, job: J) -> AppResult<J::Answer> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((job, reply))
            .await
            .map_err(|_| AppError::internal_msg("a reach writer has stopped"))?;
        answer
            .await
            .map_err(|_| AppError::internal_msg("a reach writer dropped a request"))?
    }
}

/// The requests waiting, and those held back from a batch for sharing a pair with it.
struct Line<J: Job> {
    queue: mpsc::Receiver<(J, Reply<J>)>,
    held: VecDeque<(J, Reply<J>)>,
}

async fn run<S: Sink>(
    sink: Arc<S>,
    clock: Arc<dyn Clock>,
    line: Arc<Mutex<Line<S::Job>>>,
    writer: usize,
) {
    loop {
        let batch = {
            let mut line = line.lock().await;
            let Line { queue, held } = &mut *line;
            let first = match held.pop_front() {
                Some(first) => first,
                None => match queue.recv().await {
                    Some(first) => first,
                    None => break,
                },
            };
            take_batch(first, held, queue)
        };
        write(&*sink, clock.now_micros(), writer, batch).await;
    }
}

async fn write<S: Sink>(
    sink: &S,
    now: DateTime<Utc>,
    writer: usize,
    batch: Vec<(S::Job, Reply<S::Job>)>,
) {
    let (jobs, replies): (Vec<S::Job>, Vec<Reply<S::Job>>) = batch.into_iter().unzip();
    let started = std::time::Instant::now();
    let written = sink.write(&jobs, now, writer).await;
    tracing::debug!(
        requests = jobs.len(),
        rows = jobs.iter().map(Job::rows).sum::<usize>(),
        ms = started.elapsed().as_secs_f64() * 1e3,
        "batch written"
    );
    match written {
        Ok(answers) => {
            for (reply, answer) in replies.into_iter().zip(answers) {
                let _ = reply.send(answer);
            }
        }
        Err(err) if jobs.len() == 1 => {
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(Err(err));
            }
        }
        // Nothing of the batch was written: each request again on its own, so one that cannot
        // be stored fails alone, with its own error.
        Err(err) => {
            tracing::warn!(error = %err, requests = jobs.len(), "a batch failed; writing its requests one by one");
            for (job, reply) in jobs.into_iter().zip(replies) {
                let answer = match sink.write(std::slice::from_ref(&job), now, writer).await {
                    Ok(mut answers) => answers
                        .pop()
                        .unwrap_or_else(|| Err(AppError::internal_msg("a write gave no answer"))),
                    Err(err) => Err(err),
                };
                let _ = reply.send(answer);
            }
        }
    }
}

/// `first` and the jobs waiting behind it, up to [`ROWS_PER_BATCH`] rows. A job that shares a
/// (policy, firm) pair with the batch waits for the next one, keeping its place in line.
fn take_batch<J: Job>(
    first: (J, Reply<J>),
    held: &mut VecDeque<(J, Reply<J>)>,
    queue: &mut mpsc::Receiver<(J, Reply<J>)>,
) -> Vec<(J, Reply<J>)> {
    let mut pairs: HashSet<(Uuid, String)> =
        first.0.pairs().map(|(p, f)| (p, f.to_owned())).collect();
    let mut rows = first.0.rows();
    let mut batch = vec![first];
    let mut deferred = VecDeque::new();
    while rows < ROWS_PER_BATCH {
        let Some(next) = held.pop_front().or_else(|| queue.try_recv().ok()) else {
            break;
        };
        if rows + next.0.rows() > ROWS_PER_BATCH {
            deferred.push_back(next);
            break;
        }
        let keys: Vec<(Uuid, String)> = next.0.pairs().map(|(p, f)| (p, f.to_owned())).collect();
        if keys.iter().any(|key| pairs.contains(key)) {
            deferred.push_back(next);
            continue;
        }
        rows += next.0.rows();
        pairs.extend(keys);
        batch.push(next);
    }
    deferred.append(held);
    *held = deferred;
    batch
}

#[cfg(test)]
mod tests;
