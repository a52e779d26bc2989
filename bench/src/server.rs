//! The service under load: this same release binary re-run as `bench __serve`, a process of its
//! own so its memory is its own.

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::process::{Child, Command};

/// The argument that makes the bench binary serve instead of measure.
pub const SERVE: &str = "__serve";

/// The settings both the server and the tokens use.
pub const SECRET: &str = "policy-outreach-benchmark-secret-of-48-characters";
pub const ISSUER: &str = "policy-outreach-bench";
pub const AUDIENCE: &str = "policy-outreach";
/// How long a subscription message may wait to leave (`SUBSCRIPTION_SEND_TIMEOUT_MS`): short, so
/// the stalled subscribers' rounds are short.
pub const SEND_TIMEOUT_MS: u64 = 2_000;

pub struct Server {
    child: Child,
    pub base: String,
}

/// Resident memory now and at its peak, in MiB.
pub struct Memory {
    pub resident: f64,
    pub peak: f64,
}

impl Server {
    /// Starts the service on `database_url` (already migrated) and waits until it is ready; its
    /// log goes to `target/bench/server-{name}.log`.
    pub async fn start(name: &str, database_url: &str) -> anyhow::Result<Server> {
        // A free port: bound, read and released for the child to take.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        std::fs::create_dir_all("target/bench")?;
        let log_path = format!("target/bench/server-{name}.log");
        let log =
            std::fs::File::create(&log_path).with_context(|| format!("creating {log_path}"))?;
        let child = Command::new(std::env::current_exe()?)
            .arg(SERVE)
            .env("POLICY_OUTREACH_DATABASE_URL", database_url)
            .env("POLICY_OUTREACH_LISTEN", format!("127.0.0.1:{port}"))
            .env("POLICY_OUTREACH_JWT_HS256_SECRET", SECRET)
            .env("POLICY_OUTREACH_JWT_ISSUER", ISSUER)
            .env("POLICY_OUTREACH_JWT_AUDIENCE", AUDIENCE)
            // One client address and a few subjects make every request: no rate limits here.
            .env("POLICY_OUTREACH_RATE_LIMIT_PER_IP", "0")
            .env("POLICY_OUTREACH_RATE_LIMIT_PER_SUBJECT", "0")
            .env("POLICY_OUTREACH_MIGRATE_ON_START", "false")
            .env(
                "POLICY_OUTREACH_SUBSCRIPTION_SEND_TIMEOUT_MS",
                SEND_TIMEOUT_MS.to_string(),
            )
            // An overview of 500 policies counts every audience at a million firms: tens of s.
            .env("POLICY_OUTREACH_REQUEST_TIMEOUT_SECONDS", "300")
            .stdout(log.try_clone()?)
            .stderr(log)
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting the server")?;
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = client.get(format!("{}/readyz", server.base)).send().await;
            if ready.is_ok_and(|r| r.status().is_success()) {
                return Ok(server);
            }
            anyhow::ensure!(
                started.elapsed() < Duration::from_secs(120),
                "the server did not become ready; see {log_path}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> anyhow::Result<u32> {
        self.child.id().context("the server has exited")
    }

    /// The server's resident memory, from /proc.
    pub fn memory(&self) -> anyhow::Result<Memory> {
        let pid = self.pid()?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let field = |name: &str| -> anyhow::Result<f64> {
            let line = status
                .lines()
                .find(|l| l.starts_with(name))
                .with_context(|| format!("no {name} in /proc/{pid}/status"))?;
            let kib: f64 = line.split_whitespace().nth(1).context("a size")?.parse()?;
            Ok(kib / 1024.0)
        };
        Ok(Memory {
            resident: field("VmRSS:")?,
            peak: field("VmHWM:")?,
        })
    }

    /// Stops the server as an operator would (SIGTERM), killing it if it lingers.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            let _ = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status();
        }
        if tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .is_err()
        {
            self.child.kill().await?;
        }
        Ok(())
    }
}
