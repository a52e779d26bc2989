use std::sync::Mutex as StdMutex;
use std::time::Duration;

use tokio::sync::Notify;

use super::*;
use crate::clock::SystemClock;

/// A job writing the funnel row of (`policy`, `firm`); `bad` ones cannot be stored.
struct Probe {
    name: &'static str,
    policy: u128,
    firm: &'static str,
    bad: bool,
}

impl Job for Probe {
    type Answer = &'static str;

    fn pairs(&self) -> impl Iterator<Item = (Uuid, &str)> {
        std::iter::once((Uuid::from_u128(self.policy), self.firm))
    }

    fn rows(&self) -> usize {
        1
    }
}

/// Records each batch it is given; the first waits for `gate`, so the others queue behind it.
struct Recording {
    batches: Arc<StdMutex<Vec<Vec<&'static str>>>>,
    gate: Arc<Notify>,
}

impl Sink for Recording {
    type Job = Probe;

    async fn write(
        &self,
        jobs: &[Probe],
        _now: DateTime<Utc>,
        _writer: usize,
    ) -> AppResult<Vec<AppResult<&'static str>>> {
        let first = {
            let mut batches = self.batches.lock().unwrap_or_else(|e| e.into_inner());
            batches.push(jobs.iter().map(|j| j.name).collect());
            batches.len() == 1
        };
        if first {
            self.gate.notified().await;
        }
        if jobs.iter().any(|j| j.bad) {
            return Err(AppError::internal_msg("cannot store"));
        }
        Ok(jobs.iter().map(|j| Ok(j.name)).collect())
    }
}

fn probe(name: &'static str, policy: u128, firm: &'static str, bad: bool) -> Probe {
    Probe {
        name,
        policy,
        firm,
        bad,
    }
}

/// Starts one writer, submits `blocker` (which it holds until released), queues `jobs`
/// behind it, releases it and returns every answer and the batches written.
async fn run_behind_a_blocker(
    jobs: Vec<Probe>,
) -> (Vec<AppResult<&'static str>>, Vec<Vec<&'static str>>) {
    let batches = Arc::new(StdMutex::new(Vec::new()));
    let gate = Arc::new(Notify::new());
    let sink = Recording {
        batches: batches.clone(),
        gate: gate.clone(),
    };
    let writer = GroupCommit::start(sink, Arc::new(SystemClock), 1);
    let blocker = tokio::spawn({
        let writer = writer.clone();
        async move { writer.submit(probe("blocker", 0, "0", false)).await }
    });
    while batches.lock().unwrap_or_else(|e| e.into_inner()).is_empty() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let waiting: Vec<_> = jobs
        .into_iter()
        .map(|job| {
            let writer = writer.clone();
            tokio::spawn(async move { writer.submit(job).await })
        })
        .collect();
    while writer.queue.capacity() > QUEUE - waiting.len() {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    gate.notify_one();
    let _ = blocker.await;
    let mut answers = Vec::new();
    for task in waiting {
        answers.push(
            task.await
                .unwrap_or_else(|_| Err(AppError::internal_msg("panicked"))),
        );
    }
    let batches = batches.lock().unwrap_or_else(|e| e.into_inner()).clone();
    (answers, batches)
}

fn names(answers: &[AppResult<&'static str>]) -> Vec<Option<&'static str>> {
    answers.iter().map(|a| a.as_ref().ok().copied()).collect()
}

#[tokio::test]
async fn requests_waiting_together_are_written_in_one_batch_in_order() {
    let jobs = vec![
        probe("a", 1, "f1", false),
        probe("b", 2, "f1", false),
        probe("c", 1, "f2", false),
    ];
    let (answers, batches) = run_behind_a_blocker(jobs).await;
    assert_eq!(names(&answers), [Some("a"), Some("b"), Some("c")]);
    assert_eq!(batches, [vec!["blocker"], vec!["a", "b", "c"]]);
}

#[tokio::test]
async fn requests_sharing_a_policy_and_firm_never_share_a_batch() {
    let jobs = vec![
        probe("a", 1, "f1", false),
        probe("again", 1, "f1", false),
        probe("other", 2, "f2", false),
        probe("third", 1, "f1", false),
    ];
    let (answers, batches) = run_behind_a_blocker(jobs).await;
    assert!(answers.iter().all(Result::is_ok));
    assert_eq!(
        batches,
        [
            vec!["blocker"],
            vec!["a", "other"],
            vec!["again"],
            vec!["third"]
        ]
    );
}

#[tokio::test]
async fn a_request_that_cannot_be_stored_fails_alone_and_the_rest_of_its_batch_is_written() {
    let jobs = vec![
        probe("a", 1, "f1", false),
        probe("bad", 2, "f2", true),
        probe("c", 3, "f3", false),
    ];
    let (answers, batches) = run_behind_a_blocker(jobs).await;
    assert_eq!(names(&answers), [Some("a"), None, Some("c")]);
    assert_eq!(
        batches,
        [
            vec!["blocker"],
            vec!["a", "bad", "c"],
            vec!["a"],
            vec!["bad"],
            vec!["c"]
        ]
    );
}

/// Marks each batch's writer busy until `release` lets it finish.
struct Holding {
    busy: Arc<StdMutex<Vec<usize>>>,
    release: Arc<tokio::sync::Semaphore>,
}

impl Sink for Holding {
    type Job = Probe;

    async fn write(
        &self,
        jobs: &[Probe],
        _now: DateTime<Utc>,
        writer: usize,
    ) -> AppResult<Vec<AppResult<&'static str>>> {
        self.busy
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(writer);
        let _permit = self
            .release
            .acquire()
            .await
            .map_err(|_| AppError::internal_msg("released"))?;
        Ok(jobs.iter().map(|j| Ok(j.name)).collect())
    }
}

/// Batches written side by side come from different writers, each told its own index below the
/// number started: what lets a writer keep rows to itself (its day rows).
#[tokio::test]
async fn writers_side_by_side_each_know_which_they_are() {
    let busy = Arc::new(StdMutex::new(Vec::new()));
    let release = Arc::new(tokio::sync::Semaphore::new(0));
    let sink = Holding {
        busy: busy.clone(),
        release: release.clone(),
    };
    let writer = GroupCommit::start(sink, Arc::new(SystemClock), 3);
    let mut waiting = Vec::new();
    for (n, name) in ["a", "b", "c"].into_iter().enumerate() {
        let submitted = writer.clone();
        waiting.push(tokio::spawn(async move {
            submitted.submit(probe(name, n as u128, "f", false)).await
        }));
        // Each job is taken alone, by a writer that is not busy yet.
        while busy.lock().unwrap_or_else(|e| e.into_inner()).len() <= n {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
    let mut writers = busy.lock().unwrap_or_else(|e| e.into_inner()).clone();
    writers.sort_unstable();
    assert_eq!(writers, vec![0, 1, 2]);
    release.add_permits(3);
    for (task, name) in waiting.into_iter().zip(["a", "b", "c"]) {
        assert_eq!(task.await.unwrap().unwrap(), name);
    }
}
