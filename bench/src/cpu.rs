//! Where the machine's CPU went during a measured run, read from Linux's `/proc`: the server, the
//! PostgreSQL server's processes when it runs on this machine, and the load clients (this
//! process). Given per request, so one workload's cost reads against another's, and with the
//! share of the machine left idle, which tells a run bound by CPU from one bound by waiting.

use std::path::Path;

use crate::dataset::Backend;

/// `/proc` counts CPU time in ticks of `USER_HZ`, which Linux fixes at 100 for user space.
const TICKS_PER_SECOND: f64 = 100.0;

/// Whose CPU a run counts.
pub struct Meter {
    server: u32,
    /// PostgreSQL's processes are counted when the server runs on this machine; SQLite runs inside
    /// the service.
    postgres: bool,
    cores: f64,
}

/// CPU seconds used so far, by whom, and seconds the machine's cores have idled.
#[derive(Clone, Copy)]
pub struct Reading {
    server: f64,
    database: f64,
    clients: f64,
    idle: f64,
    at: std::time::Instant,
}

/// A run's CPU per request, in microseconds, and the share of the machine left idle.
#[derive(Clone, Copy)]
pub struct Use {
    pub server: f64,
    /// None when the database runs inside the service (SQLite) or on another machine.
    pub database: Option<f64>,
    pub clients: f64,
    pub idle: f64,
    /// Requests a second the machine's cores could serve at this cost, none of them idle.
    pub ceiling: f64,
}

impl Use {
    /// All the CPU one request took on this machine.
    pub fn total(&self) -> f64 {
        self.server + self.database.unwrap_or(0.0) + self.clients
    }
}

impl Meter {
    /// A meter of the server process `server`; PostgreSQL's processes are counted when
    /// `backend` is PostgreSQL on this machine (`url`).
    pub fn new(server: u32, backend: Backend, url: &str) -> Meter {
        Meter {
            server,
            postgres: matches!(backend, Backend::Postgres) && on_this_machine(url),
            cores: std::thread::available_parallelism().map_or(1.0, |n| n.get() as f64),
        }
    }

    /// The counters now; None where `/proc` cannot be read (not Linux, or the server is gone).
    pub fn read(&self) -> Option<Reading> {
        let server = process_seconds(&format!("/proc/{}/stat", self.server))?;
        let clients = process_seconds("/proc/self/stat")?;
        let database = if self.postgres {
            postgres_seconds()
        } else {
            0.0
        };
        Some(Reading {
            server,
            database,
            clients,
            idle: idle_seconds()?,
            at: std::time::Instant::now(),
        })
    }

    /// CPU per request between two readings that `requests` requests were served between.
    pub fn between(&self, before: Reading, after: Reading, requests: u64) -> Use {
        let per = 1e6 / requests.max(1) as f64;
        let elapsed = after.at.duration_since(before.at).as_secs_f64().max(1e-9);
        let mut used = Use {
            server: (after.server - before.server) * per,
            database: self
                .postgres
                .then(|| (after.database - before.database).max(0.0) * per),
            clients: (after.clients - before.clients) * per,
            idle: ((after.idle - before.idle) / (elapsed * self.cores)).clamp(0.0, 1.0),
            ceiling: 0.0,
        };
        used.ceiling = self.cores * 1e6 / used.total().max(1e-9);
        used
    }
}

/// Whether the PostgreSQL URL `url` names this machine: a loopback host, or a Unix socket (no
/// host, or a `host=` directory).
fn on_this_machine(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    let host = match host.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host.split(':').next().unwrap_or_default(),
    };
    matches!(host, "" | "localhost" | "127.0.0.1" | "::1") || url.contains("host=/")
}

/// User and system CPU seconds of the process whose `stat` file is `path`, all its threads.
fn process_seconds(path: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name, in parentheses, may hold spaces: the fields follow its last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    // utime and stime are the 14th and 15th fields, the 12th and 13th after the name.
    let user: f64 = fields.get(11)?.parse().ok()?;
    let system: f64 = fields.get(12)?.parse().ok()?;
    Some((user + system) / TICKS_PER_SECOND)
}

/// CPU seconds of every process named `postgres` (the postmaster, its backends and workers).
/// A backend that exits between two readings takes its time with it: the service's pool keeps
/// its connections through a run.
fn postgres_seconds() -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| is_postgres(&e.path()))
        .filter_map(|e| process_seconds(&format!("{}/stat", e.path().display())))
        .sum()
}

fn is_postgres(process: &Path) -> bool {
    std::fs::read_to_string(process.join("comm")).is_ok_and(|name| name.trim() == "postgres")
}

/// Seconds the machine's cores have idled (idle and waiting on I/O), from `/proc/stat`.
fn idle_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu: Vec<f64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .map(|n| n.parse().unwrap_or(0.0))
        .collect();
    Some((cpu.get(3)? + cpu.get(4)?) / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_time_is_read_past_a_name_with_spaces_and_parentheses() {
        let dir = std::env::temp_dir().join(format!("bench-cpu-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("stat");
        // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
        std::fs::write(
            &path,
            "42 (a (b) c) S 1 42 42 0 -1 4194560 10 0 0 0 250 75 0 0 20 0",
        )
        .unwrap();
        let seconds = process_seconds(path.to_str().unwrap()).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!((seconds - 3.25).abs() < 1e-9, "{seconds}");
    }

    #[test]
    fn the_database_is_counted_only_on_this_machine() {
        for here in [
            "postgres://postgres@127.0.0.1:5432/test",
            "postgres://localhost/test",
            "postgres://u:p@[::1]:5433/test",
            "postgres:///test?host=/var/run/postgresql",
        ] {
            assert!(on_this_machine(here), "{here}");
        }
        for there in [
            "postgres://postgres@db.internal:5432/test",
            "postgres://u:p@10.0.0.7/test",
            "postgres://u@127.0.0.1.example.org/test",
        ] {
            assert!(!on_this_machine(there), "{there}");
        }
    }

    #[test]
    fn cpu_per_request_divides_by_the_requests_and_idle_by_the_cores() {
        let meter = Meter {
            server: 1,
            postgres: true,
            cores: 2.0,
        };
        let at = std::time::Instant::now();
        let before = Reading {
            server: 1.0,
            database: 2.0,
            clients: 0.5,
            idle: 10.0,
            at,
        };
        let after = Reading {
            server: 1.5,
            database: 2.8,
            clients: 0.6,
            idle: 11.0,
            at: at + std::time::Duration::from_secs(2),
        };
        let used = meter.between(before, after, 1_000);
        assert!((used.server - 500.0).abs() < 1e-6);
        assert!((used.database.unwrap() - 800.0).abs() < 1e-6);
        assert!((used.clients - 100.0).abs() < 1e-6);
        assert!((used.total() - 1_400.0).abs() < 1e-6);
        assert!((used.idle - 0.25).abs() < 1e-9);
    }
}
