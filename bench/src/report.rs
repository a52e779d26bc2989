//! The table the benchmark prints, in Markdown so it can go into the README as it is.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use policy_outreach_demo::synthetic::Written;

use crate::cpu;
use crate::dataset::Backend;
use crate::load::Outcome;
use crate::server::Memory;
use crate::stalled::{self, Stalled};
use crate::{Args, Measured};

/// One workload's figures.
pub struct Row {
    name: &'static str,
    outcome: Outcome,
    cpu: Option<cpu::Use>,
}

impl Row {
    pub fn new(name: &'static str, measured: Measured) -> Row {
        Row {
            name,
            outcome: measured.outcome,
            cpu: measured.cpu,
        }
    }
}

/// What clients were told and what the database holds.
pub struct AckCheck {
    pub acknowledged: u64,
    pub stored: u64,
    pub duplicates: u64,
}

/// One aggregate query, called one at a time.
pub struct Aggregate {
    what: &'static str,
    /// The call before the timed ones (it fills what the server keeps, such as audiences).
    first_ms: f64,
    ms: Vec<f64>,
}

impl Aggregate {
    pub fn new(what: &'static str, first_ms: f64, mut ms: Vec<f64>) -> Aggregate {
        ms.sort_by(f64::total_cmp);
        Aggregate { what, first_ms, ms }
    }

    fn quantile(&self, q: f64) -> f64 {
        let last = self.ms.len().saturating_sub(1);
        // Nearest rank; the sample is small.
        let rank = (q * last as f64).round() as usize;
        self.ms.get(rank.min(last)).copied().unwrap_or(f64::NAN)
    }
}

pub struct Report {
    heading: String,
    load_set: String,
    big_set: Option<String>,
    rows: Vec<Row>,
    pub ack: Option<AckCheck>,
    pub aggregates: Vec<Aggregate>,
    pub memory_start: Option<Memory>,
    pub memory_load: Option<Memory>,
    pub memory_big: Option<Memory>,
    pub stalled: Option<Stalled>,
    /// Departments whose overview was read before the workloads, and how long that took.
    pub overviews: Option<(usize, Duration)>,
    policies: usize,
    big_policies: usize,
    seconds: u64,
    /// Policies `applicablePolicies` returned per filing, on average.
    pub presented_per_filing: f64,
    /// What first filings added to the database, per policy they presented.
    pub bytes_per_presentation: Option<f64>,
    /// What each relation grew by, per presentation, largest first.
    pub bytes_by_relation: Vec<(String, f64)>,
}

fn describe(written: &Written, took: Duration) -> String {
    format!(
        "{} firms ({} of them brokers), {} published policies, {} deliveries, {} acknowledgements \
         ({} of the flagship's with a comment), {} policies led by {}, loaded in {:.0} s",
        thousands(written.firms),
        thousands(written.brokers),
        thousands(written.policies),
        thousands(written.deliveries),
        thousands(written.acknowledgements),
        thousands(written.flagship_comments),
        thousands(written.busiest_department_policies),
        written.busiest_department,
        took.as_secs_f64()
    )
}

impl Report {
    pub fn new(args: &Args) -> Report {
        let cores = std::thread::available_parallelism().map_or(0, usize::from);
        let database = match args.db {
            Backend::Postgres => "PostgreSQL",
            Backend::Sqlite => "SQLite",
        };
        Report {
            heading: format!(
                "policy-outreach benchmark: {database}, {cores} cores, {} clients, {} s per \
                 workload after {} s of warm-up; server and clients on one machine",
                args.clients, args.seconds, args.warmup
            ),
            load_set: String::new(),
            overviews: None,
            big_set: None,
            rows: Vec::new(),
            ack: None,
            aggregates: Vec::new(),
            memory_start: None,
            memory_load: None,
            memory_big: None,
            stalled: None,
            policies: args.policies,
            big_policies: args.big_policies,
            seconds: args.seconds,
            presented_per_filing: 0.0,
            bytes_per_presentation: None,
            bytes_by_relation: Vec::new(),
        }
    }

    /// The bytes `presentations` added, in total and per relation, from the sizes before and
    /// after them.
    pub fn stored_growth(
        &mut self,
        before: &BTreeMap<String, i64>,
        after: &BTreeMap<String, i64>,
        presentations: u64,
    ) {
        let per = presentations.max(1) as f64;
        let mut grown: Vec<(String, f64)> = after
            .iter()
            .map(|(name, bytes)| {
                let added = bytes - before.get(name).copied().unwrap_or(0);
                (name.clone(), added as f64 / per)
            })
            .filter(|(_, bytes)| *bytes >= 0.5)
            .collect();
        grown.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let total: i64 = after.values().sum::<i64>() - before.values().sum::<i64>();
        self.bytes_per_presentation = Some(total as f64 / per);
        self.bytes_by_relation = grown;
    }

    pub fn loaded(&mut self, written: &Written, took: Duration) {
        self.load_set = describe(written, took);
    }

    pub fn loaded_big(&mut self, written: &Written, took: Duration) {
        self.big_set = Some(describe(written, took));
    }

    pub fn row(&mut self, row: Row) {
        crate::progress(&format!(
            "{}: {:.0}/s, p99 {:.1} ms, {} errors",
            row.name,
            row.outcome.per_second(),
            row.outcome.ms(0.99),
            row.outcome.errors
        ));
        self.rows.push(row);
    }

    /// CPU per request by process over each workload's measured seconds: what a request costs
    /// the machine, and how many a second its cores could serve at that cost were none idle.
    fn cpu_table(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let metered: Vec<(&Row, cpu::Use)> = self
            .rows
            .iter()
            .filter_map(|row| row.cpu.map(|cpu| (row, cpu)))
            .collect();
        if metered.is_empty() {
            return Ok(());
        }
        writeln!(
            f,
            "\nCPU per request, µs (from `/proc`; the database's column only when PostgreSQL runs \
             on this machine):\n"
        )?;
        writeln!(
            f,
            "| workload | server | database | clients | all | machine idle | per second at this \
             cost, no core idle |"
        )?;
        writeln!(f, "|---|---:|---:|---:|---:|---:|---:|")?;
        for (row, cpu) in metered {
            let database = cpu
                .database
                .map_or_else(|| "–".to_owned(), |us| format!("{us:.0}"));
            writeln!(
                f,
                "| {} | {:.0} | {database} | {:.0} | {:.0} | {:.0}% | {:.0} |",
                row.name,
                cpu.server,
                cpu.clients,
                cpu.total(),
                cpu.idle * 100.0,
                cpu.ceiling,
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}\n", self.heading)?;
        writeln!(f, "Load set: {}.\n", self.load_set)?;
        if let Some((departments, took)) = self.overviews {
            writeln!(
                f,
                "Before the workloads, every department's overview was read once ({departments} \
                 departments, {:.1} s), as their consoles do: the server keeps each policy's \
                 audience and each department's totals, and every filing and answer after it \
                 writes them.\n",
                took.as_secs_f64()
            )?;
        }
        writeln!(
            f,
            "| workload | requests | per second | p50 ms | p99 ms | errors | × `GET /healthz` |"
        )?;
        writeln!(f, "|---|---:|---:|---:|---:|---:|---:|")?;
        let floor = self
            .rows
            .iter()
            .find(|row| row.name == "GET /healthz")
            .map(|row| row.outcome.per_second());
        for row in &self.rows {
            let o = &row.outcome;
            // Without the floor (`--only` left it out) the ratio column says so.
            let ratio = floor.map_or_else(
                || "–".to_owned(),
                |floor| format!("{:.2}", o.per_second() / floor),
            );
            writeln!(
                f,
                "| {} | {} | {:.0} | {:.2} | {:.2} | {} | {ratio} |",
                row.name,
                thousands(usize::try_from(o.ok + o.errors).unwrap_or(usize::MAX)),
                o.per_second(),
                o.ms(0.5),
                o.ms(0.99),
                o.errors,
            )?;
        }
        self.cpu_table(f)?;
        writeln!(
            f,
            "\nEach first filing presented {:.1} policies on average, each recorded as a delivery.",
            self.presented_per_filing
        )?;
        if let Some(bytes) = self.bytes_per_presentation {
            writeln!(
                f,
                "Stored bytes per presented policy (what the first filings added to the tables and \
                 their indexes, decision facts included): {bytes:.0}."
            )?;
            if !self.bytes_by_relation.is_empty() {
                let parts: Vec<String> = self
                    .bytes_by_relation
                    .iter()
                    .map(|(name, bytes)| format!("{name} {bytes:.0}"))
                    .collect();
                writeln!(f, "By relation: {}.", parts.join(", "))?;
            }
        }
        for row in self.rows.iter().filter(|r| r.outcome.errors > 0) {
            let reason = row.outcome.first_error.as_deref().unwrap_or_default();
            let short: String = reason.chars().take(300).collect();
            writeln!(f, "\nFirst error of {}: {short}", row.name)?;
        }
        if let Some(ack) = &self.ack {
            let verdict = if ack.acknowledged == ack.stored && ack.duplicates == 0 {
                "none lost, none doubled"
            } else {
                "MISMATCH"
            };
            writeln!(
                f,
                "\nAcknowledgements (one request in ten repeats the key of one sent just before): \
                 {} acknowledged, {} stored, {} duplicates: {verdict}.",
                thousands(usize::try_from(ack.acknowledged).unwrap_or(usize::MAX)),
                thousands(usize::try_from(ack.stored).unwrap_or(usize::MAX)),
                ack.duplicates
            )?;
        }
        if let Some(big) = &self.big_set {
            writeln!(f, "\nAggregate set: {big}.\n")?;
            writeln!(
                f,
                "| figure | first call ms | median ms | min ms | max ms | calls |"
            )?;
            writeln!(f, "|---|---:|---:|---:|---:|---:|")?;
            for a in &self.aggregates {
                writeln!(
                    f,
                    "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {} |",
                    a.what,
                    a.first_ms,
                    a.quantile(0.5),
                    a.quantile(0.0),
                    a.quantile(1.0),
                    a.ms.len()
                )?;
            }
        }
        writeln!(f, "\n| server memory | resident MiB | peak MiB |")?;
        writeln!(f, "|---|---:|---:|")?;
        for (what, memory) in [
            (
                format!(
                    "ready, before any request, {} policies",
                    thousands(self.policies)
                ),
                &self.memory_start,
            ),
            (
                format!("after the load runs, {} policies", thousands(self.policies)),
                &self.memory_load,
            ),
            (
                format!(
                    "after the aggregates and {} s of filings, {} policies",
                    self.seconds,
                    thousands(self.big_policies)
                ),
                &self.memory_big,
            ),
        ] {
            if let Some(m) = memory {
                writeln!(f, "| {what} | {:.0} | {:.0} |", m.resident, m.peak)?;
            }
        }
        if let Some(stalled) = &self.stalled {
            writeln!(
                f,
                "\n| subscribers that stop reading ({} per round, each sent {} policies of {} kB; send timeout {} ms) | resident MiB | peak MiB |",
                stalled::PER_ROUND,
                stalled::PUBLISHED_PER_ROUND,
                stalled::BODY_BYTES / 1000,
                stalled::SEND_TIMEOUT_MS
            )?;
            writeln!(f, "|---|---:|---:|")?;
            let before = &stalled.before;
            writeln!(
                f,
                "| before | {:.0} | {:.0} |",
                before.resident, before.peak
            )?;
            for (round, m) in stalled.rounds.iter().enumerate() {
                writeln!(
                    f,
                    "| after round {} | {:.0} | {:.0} |",
                    round + 1,
                    m.resident,
                    m.peak
                )?;
            }
            writeln!(
                f,
                "\nstalled subscribers dropped by the server: {} of {}",
                stalled.dropped, stalled.opened
            )?;
        }
        Ok(())
    }
}

/// 1234567 as 1,234,567.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
