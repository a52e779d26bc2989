//! The filings of `applicablePolicies`, evaluated and written by group commit: the filings waiting
//! at one moment share one transaction, which holds their firms, reads their firm rows and funnel
//! rows in one statement each, evaluates each filing on them and records what it presents. A
//! filing costs its request no statement of its own, and each answers once its rows are stored.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::{DatabaseBackend, DatabaseConnection};
use serde_json::json;
use uuid::Uuid;

use super::Channel;
use super::audience::KeptRules;
use super::choice::choose;
use super::deliveries::{self, Moment, NewFiling, Recorded, Shown};
use super::funnel::DayShard;
use super::group_commit::{GroupCommit, Job, Sink};
use super::seen::{self, FirmFunnel, has_seen};
use crate::auth::Role;
use crate::clock::Clock;
use crate::db::begin_write;
use crate::eligibility::service::firm_not_synced;
use crate::eligibility::{DeclarationFacts, Facts, FirmFacts, synced_firm_facts};
use crate::entity::{acknowledgement, firm};
use crate::error::{AppError, AppResult};
use crate::firm::service as firms;
use crate::policy::live::{LivePolicy, Snapshot};
use crate::region::RegionCatalog;

/// What a filing's presentations are counted as when a batch is sized: they are known only once
/// it is evaluated (the benchmark's filings present 43).
const ROWS_PER_FILING: usize = 50;

/// A filing waiting to be evaluated and recorded.
pub struct Filing {
    pub firm: String,
    pub declaration: DeclarationFacts,
    pub channel: Channel,
    pub broker_uscc: Option<String>,
    pub actor_role: Role,
    pub actor_subject: Option<String>,
    /// Present policies the firm's latest answer closed too.
    pub include_dismissed: bool,
    /// The catalog and the day the request evaluates on.
    pub snapshot: Arc<Snapshot>,
    pub today: NaiveDate,
}

impl Job for Filing {
    type Answer = Filed;

    /// The firm's: its presentations are known only once evaluated, so two filings of one firm
    /// never share a batch.
    fn pairs(&self) -> impl Iterator<Item = (Uuid, &str)> {
        std::iter::once((Uuid::nil(), self.firm.as_str()))
    }

    fn rows(&self) -> usize {
        ROWS_PER_FILING
    }
}

/// A filing as recorded: the firm as held, its facts and what it was presented, in order.
pub struct Filed {
    pub firm: firm::Model,
    pub facts: FirmFacts,
    pub presented: Vec<Made>,
}

/// One presentation of a filing.
pub struct Made {
    pub policy: Arc<LivePolicy>,
    /// The firm had never been shown this version, on any channel.
    pub is_new: bool,
    pub delivery: Recorded,
    /// The firm's latest response to the policy.
    pub acknowledgement: Option<acknowledgement::Model>,
}

/// Where filings are sent to be evaluated and recorded.
pub type Recorder = GroupCommit<Filing>;

/// Writers of filings on PostgreSQL. Each batch spends most of its time waiting: on its
/// statements' round trips and on the commit's WAL flush (each writer adds to day rows of its
/// own, so none waits on another's). More writers overlap those waits. Measured with the
/// benchmark (repeat and first filings a second, 2026-12-04, 2 cores, before day rows per
/// writer): 1 writer 2,440 and 1,227; 2 writers 2,427 and 1,108; 3 writers 2,933 and 1,434;
/// 4 writers 3,075 and 1,401; 6 writers 2,666 and 1,297. Again with day rows per writer (22:02,
/// two runs each): 2 writers 2,110–2,276 and 945–965; 3 writers 2,341–2,475 and 1,075–1,102;
/// 4 writers 2,231–2,573 and 944–1,129; 6 writers 1,908–2,244 and 913–1,029.
const POSTGRES_WRITERS: usize = 4;

/// Starts the writers of filings: [`POSTGRES_WRITERS`] on PostgreSQL; one on SQLite, which
/// writes one transaction at a time anyway.
pub fn start(
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    zone: Tz,
    rules: KeptRules,
    regions: Arc<RegionCatalog>,
) -> Recorder {
    let writers = match db.get_database_backend() {
        DatabaseBackend::Postgres => POSTGRES_WRITERS,
        _ => 1,
    };
    let sink = Filings {
        db,
        zone,
        rules,
        regions,
    };
    GroupCommit::start(sink, clock, writers)
}

struct Filings {
    db: DatabaseConnection,
    zone: Tz,
    rules: KeptRules,
    regions: Arc<RegionCatalog>,
}

/// A filing evaluated: what it records, and with what it is answered.
struct Decided {
    firm: firm::Model,
    facts: FirmFacts,
    /// Each policy presented, and whether its live version is new to the firm.
    chosen: Vec<(Arc<LivePolicy>, bool)>,
    filing: NewFiling,
}

impl Sink for Filings {
    type Job = Filing;

    async fn write(
        &self,
        jobs: &[Filing],
        now: DateTime<Utc>,
        writer: usize,
    ) -> AppResult<Vec<AppResult<Filed>>> {
        let txn = begin_write(&self.db).await?;
        let mut usccs: Vec<&str> = jobs.iter().map(|j| j.firm.as_str()).collect();
        usccs.sort_unstable();
        usccs.dedup();
        // Held until commit: what is read and evaluated below stays true until the presentations
        // are stored, and no other writer records presentations to these firms meanwhile.
        let held = firms::hold_firms_exclusively(&txn, &usccs).await?;
        let funnels = seen::of_firms(&txn, &usccs).await?;
        let empty = FirmFunnel::new();
        let decided: Vec<AppResult<Decided>> = jobs
            .iter()
            .map(|job| {
                let funnel = funnels.get(&job.firm).unwrap_or(&empty);
                self.decide(job, held.get(&job.firm), funnel)
            })
            .collect();
        let filings: Vec<&NewFiling> = decided
            .iter()
            .filter_map(|d| d.as_ref().ok().map(|d| &d.filing))
            .collect();
        let at = Moment {
            now,
            zone: self.zone,
            shard: DayShard::filings(writer),
        };
        let recorded = deliveries::write(&txn, &filings, &held, &funnels, at, &self.rules).await?;
        let answered: Vec<Uuid> = decided
            .iter()
            .filter_map(|d| d.as_ref().ok())
            .flat_map(|d| {
                let funnel = funnels.get(&d.firm.uscc).unwrap_or(&empty);
                d.chosen
                    .iter()
                    .filter_map(|(p, _)| funnel.get(&p.view.policy.id)?.latest_acknowledgement_id)
            })
            .collect();
        let mut acknowledgements = seen::acknowledgements(&txn, &answered).await?;
        txn.commit().await?;

        let mut recorded = recorded.into_iter();
        Ok(decided
            .into_iter()
            .map(|d| {
                let d = d?;
                let deliveries = recorded.next().ok_or_else(|| {
                    AppError::internal_msg("a filing's presentations were not recorded")
                })?;
                let funnel = funnels.get(&d.firm.uscc).unwrap_or(&empty);
                let presented = d
                    .chosen
                    .into_iter()
                    .zip(deliveries)
                    .map(|((policy, is_new), delivery)| Made {
                        acknowledgement: funnel
                            .get(&policy.view.policy.id)
                            .and_then(|s| s.latest_acknowledgement_id)
                            .and_then(|id| acknowledgements.remove(&id)),
                        policy,
                        is_new,
                        delivery,
                    })
                    .collect();
                Ok(Filed {
                    firm: d.firm,
                    facts: d.facts,
                    presented,
                })
            })
            .collect())
    }
}

impl Filings {
    /// Evaluates `job` on the firm as held and its funnel rows; `NOT_FOUND` when the firm was
    /// never synced.
    fn decide(
        &self,
        job: &Filing,
        firm: Option<&firm::Model>,
        funnel: &FirmFunnel,
    ) -> AppResult<Decided> {
        let firm = firm.ok_or_else(|| firm_not_synced(&job.firm))?;
        let facts = synced_firm_facts(firm, &self.regions)?;
        let input = Facts {
            firm: &facts,
            declaration: Some(&job.declaration),
        };
        let matches = choose(
            &job.snapshot,
            job.today,
            input,
            funnel,
            job.include_dismissed,
        );
        let filing = NewFiling {
            firm_uscc: job.firm.clone(),
            channel: job.channel,
            declaration_id: job.declaration.id.clone().unwrap_or_default(),
            actor_role: job.actor_role,
            actor_subject: job.actor_subject.clone(),
            broker_uscc: job.broker_uscc.clone(),
            note: None,
            decided: Some((
                job.today,
                json!({"firm": facts, "declaration": job.declaration}),
            )),
            presented: matches
                .iter()
                .map(|(p, matched)| Shown {
                    policy_id: p.view.policy.id,
                    version: p.view.version.version,
                    matched: i32::try_from(*matched).ok(),
                })
                .collect(),
        };
        let chosen = matches
            .into_iter()
            .map(|(p, _)| {
                let is_new = !has_seen(funnel, p.view.policy.id, p.view.version.version);
                (p, is_new)
            })
            .collect();
        Ok(Decided {
            firm: firm.clone(),
            facts,
            chosen,
            filing,
        })
    }
}
