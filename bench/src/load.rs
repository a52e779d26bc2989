//! A closed-loop load generator: a fixed number of clients, each sending its next request as soon
//! as the last one is answered, for a fixed time. Every answer is checked; latency goes into an
//! HDR histogram.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// What one run measured.
pub struct Outcome {
    pub ok: u64,
    pub errors: u64,
    pub seconds: f64,
    pub latency: Histogram<u64>,
    pub first_error: Option<String>,
}

impl Outcome {
    pub fn per_second(&self) -> f64 {
        (self.ok + self.errors) as f64 / self.seconds
    }

    /// A quantile of the latency, in milliseconds.
    pub fn ms(&self, quantile: f64) -> f64 {
        self.latency.value_at_quantile(quantile) as f64 / 1000.0
    }
}

/// Runs `request(n)` (n counting from `first`) from `clients` clients for `time`. A request
/// answers `Err(reason)` when the response was not a success, whatever its status.
pub async fn drive<F, Fut>(clients: usize, time: Duration, first: u64, request: F) -> Outcome
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let request = Arc::new(request);
    let next = Arc::new(AtomicU64::new(first));
    let started = Instant::now();
    let deadline = started + time;
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (request, next) = (request.clone(), next.clone());
            tokio::spawn(async move {
                // 1 µs to 60 s, three significant digits.
                let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)
                    .unwrap_or_else(|_| unreachable!("valid bounds"));
                let (mut ok, mut errors, mut first_error) = (0, 0, None);
                while Instant::now() < deadline {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let sent = Instant::now();
                    let answer = request(n).await;
                    let took = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
                    let _ = latency.record(took.max(1));
                    match answer {
                        Ok(()) => ok += 1,
                        Err(reason) => {
                            errors += 1;
                            first_error.get_or_insert(reason);
                        }
                    }
                }
                (ok, errors, first_error, latency)
            })
        })
        .collect();
    let mut outcome = Outcome {
        ok: 0,
        errors: 0,
        seconds: 0.0,
        latency: Histogram::new_with_bounds(1, 60_000_000, 3)
            .unwrap_or_else(|_| unreachable!("valid bounds")),
        first_error: None,
    };
    for task in tasks {
        let Ok((ok, errors, first_error, latency)) = task.await else {
            outcome.errors += 1;
            continue;
        };
        outcome.ok += ok;
        outcome.errors += errors;
        if outcome.first_error.is_none() {
            outcome.first_error = first_error;
        }
        let _ = outcome.latency.add(latency);
    }
    outcome.seconds = started.elapsed().as_secs_f64();
    outcome
}
