//! The load benchmark of DESIGN §9, one command that prints one table:
//!
//! ```sh
//! cargo run --release -p policy-outreach-bench -- --db postgres
//! ```
//!
//! It loads a synthetic data set, starts the release server as a process of its own, drives it
//! at a fixed number of clients (checking every answer), then loads a million firms for the
//! aggregate figures, and prints throughput, latency, errors, aggregate times and memory.

mod cpu;
mod dataset;
mod load;
mod report;
mod server;
mod stalled;
mod workloads;

use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use policy_outreach_demo::synthetic::Size;

use crate::cpu::Meter;
use crate::dataset::{Backend, Dataset};
use crate::load::drive;
use crate::report::{Aggregate, Report, Row};
use crate::server::Server;
use crate::workloads::Target;

/// Measures the figures of DESIGN §9 against a fresh synthetic data set.
#[derive(Parser, Debug)]
#[command(name = "bench")]
pub struct Args {
    /// The database to measure.
    #[arg(long, value_enum, default_value = "postgres")]
    db: Backend,
    /// A PostgreSQL server to create the data sets' databases on (they are dropped afterwards).
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres_url: String,
    /// Firms of the set the load runs use.
    #[arg(long, default_value_t = 100_000)]
    firms: usize,
    /// Published policies of that set.
    #[arg(long, default_value_t = 2_000)]
    policies: usize,
    /// Firms of the set for the aggregate figures (0: skip them).
    #[arg(long, default_value_t = 1_000_000)]
    big_firms: usize,
    /// Published policies of that set (the memory figure is taken on it).
    #[arg(long, default_value_t = 5_000)]
    big_policies: usize,
    /// Deliveries the big set is generated with (duplicates of a firm and day are dropped).
    #[arg(long, default_value_t = 2_200_000)]
    big_deliveries: usize,
    /// About how many comments the big set's flagship policy is answered with.
    #[arg(long, default_value_t = 100_000)]
    big_comments: usize,
    /// Keep the aggregate set's database afterwards (its URL is printed), to inspect its
    /// queries; the next run replaces it.
    #[arg(long)]
    keep: bool,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Seconds each workload is measured for, after as many seconds of warm-up.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// Measure only these load workloads (comma-separated; all when absent), e.g. to profile
    /// one: repeat filings need the first filings, which run (unreported) when left out.
    #[arg(long, value_enum, value_delimiter = ',')]
    only: Vec<Workload>,
}

/// The load workloads, as `--only` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Workload {
    Healthz,
    Me,
    First,
    Repeat,
    Policies,
    Acknowledge,
    /// Subscribers that stop reading (after the others, on the same server).
    Stalled,
}

impl Args {
    fn runs(&self, workload: Workload) -> bool {
        self.only.is_empty() || self.only.contains(&workload)
    }
}

fn main() -> std::process::ExitCode {
    if std::env::args().nth(1).as_deref() == Some(server::SERVE) {
        return match policy_outreach_cli::run_from(["policy-outreach", "serve"]) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(err) => {
                let _ = writeln!(std::io::stderr(), "bench server: {err:#}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    let args = Args::parse();
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run(args)));
    match outcome {
        Ok(report) => {
            let _ = writeln!(std::io::stdout(), "{report}");
            std::process::ExitCode::SUCCESS
        }
        Err(err) => {
            let _ = writeln!(std::io::stderr(), "bench: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn progress(message: &str) {
    let _ = writeln!(std::io::stderr(), "bench: {message}");
}

/// Firms the load runs draw from: more than the first filings of one run can reach.
const SAMPLED_FIRMS: usize = 50_000;

async fn run(args: Args) -> anyhow::Result<Report> {
    let zone = chrono_tz::Asia::Shanghai;
    let mut report = Report::new(&args);
    progress(&format!(
        "loading {} firms and {} policies",
        args.firms, args.policies
    ));
    let loaded = Instant::now();
    let small = Dataset::create(
        args.db,
        &args.postgres_url,
        "load",
        Size {
            firms: args.firms,
            policies: args.policies,
            deliveries: args.firms * 2,
            comments: args.firms / 20,
            seed: 7,
            zone,
        },
    )
    .await?;
    report.loaded(&small.written, loaded.elapsed());
    let samples = Arc::new(small.samples(SAMPLED_FIRMS).await?);
    let server = Server::start("load", &small.url).await?;
    report.memory_start = Some(server.memory()?);
    let meter = Meter::new(server.pid()?, args.db, &args.postgres_url);
    let target = Target {
        client: reqwest::Client::builder()
            .pool_max_idle_per_host(args.clients)
            .build()?,
        base: server.base.clone(),
        samples,
    };
    let (warmup, time) = (
        Duration::from_secs(args.warmup),
        Duration::from_secs(args.seconds),
    );
    let system = Arc::new(workloads::system_token("bench-filing")?);
    // As the service runs once departments use the console: every policy's audience kept, so
    // each new funnel row is written with its audience flag and its departments' totals.
    let kept = Instant::now();
    let departments = workloads::every_overview(&target, &system)
        .await
        .map_err(|e| anyhow::anyhow!("reading every department's overview: {e}"))?;
    report.overviews = Some((departments, kept.elapsed()));

    if args.runs(Workload::Healthz) {
        let t = target.clone();
        let healthz = measure(args.clients, warmup, time, &meter, move |_| {
            let t = t.clone();
            async move { workloads::healthz(&t).await }
        })
        .await;
        report.row(Row::new("GET /healthz", healthz));
    }
    if args.runs(Workload::Me) {
        let (t, token) = (target.clone(), system.clone());
        let me = measure(args.clients, warmup, time, &meter, move |_| {
            let (t, token) = (t.clone(), token.clone());
            async move { workloads::me(&t, &token).await }
        })
        .await;
        report.row(Row::new("me (GraphQL, no database)", me));
    }
    // Every filing a first: each from a firm that has not filed in this run, presenting what it
    // was never shown; the stored bytes they add, per presentation. Always run: the repeat
    // filings are those firms filing again.
    let bytes_before = small.stored_bytes().await?;
    let presented = Arc::new(AtomicU64::new(0));
    let firms_filed = Arc::new(AtomicU64::new(0));
    let first = {
        let (t, token) = (target.clone(), system.clone());
        let (presented, filed) = (presented.clone(), firms_filed.clone());
        measure(args.clients, warmup, time, &meter, move |_| {
            let (t, token) = (t.clone(), token.clone());
            let (presented, filed) = (presented.clone(), filed.clone());
            async move {
                let firm = filed.fetch_add(1, Ordering::Relaxed);
                let shown =
                    workloads::applicable(&t, &token, firm, &format!("FIRST-{firm}")).await?;
                presented.fetch_add(u64::try_from(shown).unwrap_or(0), Ordering::Relaxed);
                Ok(())
            }
        })
        .await
    };
    let firsts = presented.load(Ordering::Relaxed);
    // Counted over warm-up and measurement alike.
    report.presented_per_filing =
        firsts as f64 / (first.outcome.ok + first.outcome.errors).max(1) as f64;
    report.stored_growth(&bytes_before, &small.stored_bytes().await?, firsts);
    anyhow::ensure!(
        firms_filed.load(Ordering::Relaxed) <= target.samples.usccs.len() as u64,
        "more first filings than sampled firms: raise the sample"
    );
    // The common case: those firms file again, a new declaration, every version already shown.
    if args.runs(Workload::Repeat) {
        let (t, token) = (target.clone(), system.clone());
        let filed = firms_filed.load(Ordering::Relaxed).max(1);
        let repeat = measure(args.clients, warmup, time, &meter, move |n| {
            let (t, token) = (t.clone(), token.clone());
            async move {
                let firm = n % filed;
                workloads::applicable(&t, &token, firm, &format!("REPEAT-{n}"))
                    .await
                    .map(|_| ())
            }
        })
        .await;
        report.row(Row::new("applicablePolicies (repeat)", repeat));
    }
    if args.runs(Workload::First) {
        report.row(Row::new("applicablePolicies (first)", first));
    }
    if args.runs(Workload::Policies) {
        let t = target.clone();
        let catalog = measure(args.clients, warmup, time, &meter, move |_| {
            let t = t.clone();
            async move { workloads::catalog(&t).await }
        })
        .await;
        report.row(Row::new("policies", catalog));
    }
    if args.runs(Workload::Acknowledge) {
        let (check, outcome) = acknowledgements(&args, &target, &small, &meter).await?;
        report.row(Row::new("acknowledgePolicy", outcome));
        report.ack = Some(check);
    }
    report.memory_load = Some(server.memory()?);
    if args.runs(Workload::Stalled) {
        progress("stalling subscribers");
        let admin = workloads::admin_token("bench-stalled")?;
        report.stalled = Some(stalled::measure(&target, &server, &admin).await?);
    }
    server.stop().await?;
    small.remove().await?;

    if args.big_firms > 0 {
        progress(&format!(
            "loading {} firms, {} policies and {} deliveries",
            args.big_firms, args.big_policies, args.big_deliveries
        ));
        let loaded = Instant::now();
        let big = Dataset::create(
            args.db,
            &args.postgres_url,
            "aggregates",
            Size {
                firms: args.big_firms,
                policies: args.big_policies,
                deliveries: args.big_deliveries,
                comments: args.big_comments,
                seed: 7,
                zone,
            },
        )
        .await?;
        report.loaded_big(&big.written, loaded.elapsed());
        let server = Server::start("aggregates", &big.url).await?;
        let target = Target {
            base: server.base.clone(),
            samples: Arc::new(big.samples(20_000).await?),
            ..target
        };
        let token = workloads::system_token("bench-reports")?;
        let flagship = big.written.flagship.to_string();
        report.aggregates.push(
            timed("audienceEstimate over every firm", 10, || {
                workloads::audience(&target, &token)
            })
            .await?,
        );
        // The first call counts the flagship's audience and flags its 100,000 funnel rows, whose
        // pages are then not all-visible: the calls right after it read the table beside the
        // key. Autovacuum passes within a minute of that (migration 14); the vacuum here stands
        // for it, and the calls after it are the steady state.
        report.aggregates.push(
            timed(
                "outreach of the flagship policy, right after its first count",
                20,
                || workloads::outreach(&target, &token, &flagship),
            )
            .await?,
        );
        big.vacuum("policy_firm_funnel").await?;
        report.aggregates.push(
            timed(
                "outreach of the flagship policy, after autovacuum's pass",
                20,
                || workloads::outreach(&target, &token, &flagship),
            )
            .await?,
        );
        report.aggregates.push(
            timed("needs of the flagship policy", 20, || {
                workloads::needs(&target, &token, &flagship)
            })
            .await?,
        );
        let busiest = big.written.busiest_department.clone();
        report.aggregates.push(
            timed(
                "departmentOutreach of a department with 500 policies",
                3,
                || workloads::department_outreach(&target, &token, &busiest),
            )
            .await?,
        );
        // Serving filings with every published policy live, the state the memory target names.
        let filing = Arc::new(token.clone());
        let t = target.clone();
        let _ = drive(args.clients, time, 0, move |n| {
            let (t, token) = (t.clone(), filing.clone());
            async move {
                workloads::applicable(&t, &token, n, &format!("BIG-{n}"))
                    .await
                    .map(|_| ())
            }
        })
        .await;
        report.memory_big = Some(server.memory()?);
        server.stop().await?;
        if args.keep {
            progress(&format!("kept the aggregate set at {}", big.url));
        } else {
            big.remove().await?;
        }
    }
    Ok(report)
}

/// Warms up, then measures.
async fn measure<F, Fut>(
    clients: usize,
    warmup: Duration,
    time: Duration,
    meter: &Meter,
    request: F,
) -> Measured
where
    F: Fn(u64) -> Fut + Send + Sync + Clone + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let _ = drive(clients, warmup, 0, request.clone()).await;
    metered(meter, drive(clients, time, 1 << 40, request)).await
}

/// A measured run and the CPU it took.
pub struct Measured {
    pub outcome: load::Outcome,
    pub cpu: Option<cpu::Use>,
}

/// Runs `run`, reading the CPU counters before and after it.
async fn metered(meter: &Meter, run: impl Future<Output = load::Outcome>) -> Measured {
    let before = meter.read();
    let outcome = run.await;
    let cpu = before
        .zip(meter.read())
        .map(|(before, after)| meter.between(before, after, outcome.ok + outcome.errors));
    Measured { outcome, cpu }
}

/// Sustained acknowledgements under one subject, one in ten a retry of an earlier key, then the
/// database counted: every key a client was told succeeded must be stored exactly once.
async fn acknowledgements(
    args: &Args,
    target: &Target,
    dataset: &Dataset,
    meter: &Meter,
) -> anyhow::Result<(report::AckCheck, Measured)> {
    let subject = "bench-acknowledgements";
    let token = Arc::new(workloads::system_token(subject)?);
    let warm = Arc::new(workloads::system_token("bench-warmup")?);
    let t = target.clone();
    let _ = drive(
        args.clients,
        Duration::from_secs(args.warmup),
        0,
        move |k| {
            let (t, token) = (t.clone(), warm.clone());
            async move { workloads::acknowledge(&t, &token, k).await }
        },
    )
    .await;
    let succeeded = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let (t, told) = (target.clone(), succeeded.clone());
    let outcome = metered(
        meter,
        drive(
            args.clients,
            Duration::from_secs(args.seconds),
            0,
            move |n| {
                let (t, token, told) = (t.clone(), token.clone(), told.clone());
                // Every tenth request repeats the key of one sent a moment before, maybe still in flight.
                let key = if n % 10 == 9 { n - 5 } else { n };
                async move {
                    workloads::acknowledge(&t, &token, key).await?;
                    told.lock().map_err(|e| e.to_string())?.insert(key);
                    Ok(())
                }
            },
        ),
    )
    .await;
    let stored = dataset.stored(subject).await?;
    let acknowledged = u64::try_from(succeeded.lock().map_err(|e| anyhow::anyhow!("{e}"))?.len())?;
    let check = report::AckCheck {
        acknowledged,
        stored: stored.rows,
        duplicates: stored.duplicate_keys,
    };
    Ok((check, outcome))
}

/// Calls `request` once to warm up, then `times` times, one at a time; each call is timed.
async fn timed<F, Fut>(what: &'static str, times: usize, request: F) -> anyhow::Result<Aggregate>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let started = Instant::now();
    request()
        .await
        .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
    let first = started.elapsed().as_secs_f64() * 1000.0;
    let mut took = Vec::with_capacity(times);
    for _ in 0..times {
        let started = Instant::now();
        request()
            .await
            .map_err(|e| anyhow::anyhow!("{what}: {e}"))?;
        took.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Aggregate::new(what, first, took))
}
