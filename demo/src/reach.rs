//! Three months of reach for the demo: presentations on every channel and the firms' responses,
//! written through the same functions filings use.

use std::collections::HashMap;

use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait};
use uuid::Uuid;

use policy_outreach::auth::Role;
use policy_outreach::db::begin_write;
use policy_outreach::eligibility::{Facts, Outcome, stored_firm_facts};
use policy_outreach::entity::{acknowledgement, firm, firm_broker};
use policy_outreach::needs::TERMS_VERSION;
use policy_outreach::outreach::audience::KeptRules;
use policy_outreach::outreach::deliveries::{self, NewFiling, Shown};
use policy_outreach::outreach::{Channel, Response, answers};
use policy_outreach::policy::live::LiveCatalog;
use policy_outreach::region::RegionCatalog;

const DAYS: i64 = 90;

/// What the simulation wrote.
pub struct Simulated {
    pub deliveries: usize,
    pub acknowledgements: usize,
}

/// Presents each firm some of the policies it may qualify for and lets some of them answer.
pub async fn simulate(
    db: &DatabaseConnection,
    regions: &std::sync::Arc<RegionCatalog>,
    now: DateTime<Utc>,
    zone: chrono_tz::Tz,
) -> anyhow::Result<Simulated> {
    let now = now.duration_trunc(TimeDelta::microseconds(1))?;
    let mut rng = StdRng::seed_from_u64(90);
    let rules = KeptRules::new(regions.clone());
    let live = LiveCatalog::load(db, regions)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let snapshot = live.snapshot();
    let firms = firm::Entity::find().all(db).await?;
    let brokers: HashMap<String, String> = firm_broker::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|link| (link.firm_uscc, link.broker_uscc))
        .collect();
    let txn = begin_write(db).await?;
    let mut simulated = Simulated {
        deliveries: 0,
        acknowledgements: 0,
    };
    for model in &firms {
        let Some(facts) = stored_firm_facts(model, regions) else {
            continue;
        };
        if rng.random_bool(0.3) {
            continue;
        }
        let input = Facts {
            firm: &facts,
            declaration: None,
        };
        for policy in snapshot
            .newest_first()
            .filter(|p| p.rule.evaluate(input) != Outcome::False)
        {
            if !rng.random_bool(0.6) {
                continue;
            }
            let broker = brokers.get(&model.uscc).cloned();
            let channel = match rng.random_range(0..100) {
                0..=54 => Channel::SingleWindow,
                55..=74 if broker.is_some() => Channel::Broker,
                55..=84 => Channel::Sms,
                85..=92 => Channel::Paper,
                _ => Channel::Wechat,
            };
            let at = now - Duration::minutes(rng.random_range(30..DAYS * 24 * 60));
            let declaration_id = if channel == Channel::SingleWindow {
                format!("DEC-DEMO-{:06}", rng.random_range(0..1_000_000))
            } else {
                String::new()
            };
            let row = Shown {
                policy_id: policy.view.policy.id,
                version: policy.view.version.version,
                matched: None,
            };
            let filing = NewFiling {
                firm_uscc: model.uscc.clone(),
                channel,
                declaration_id,
                actor_role: if channel == Channel::Broker {
                    Role::Broker
                } else {
                    Role::System
                },
                actor_subject: Some("demo".to_owned()),
                broker_uscc: broker.clone().filter(|_| channel == Channel::Broker),
                note: None,
                decided: None,
                presented: vec![row],
            };
            deliveries::record(&txn, std::slice::from_ref(&filing), at, zone, &rules)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            simulated.deliveries += 1;
            if !rng.random_bool(0.45) {
                continue;
            }
            let answered = (at + Duration::hours(rng.random_range(1..240))).min(now);
            let response = match rng.random_range(0..100) {
                0..=29 => Response::Seen,
                30..=54 => Response::Interested,
                55..=69 => Response::WillApply,
                70..=79 => Response::Applied,
                80..=89 => Response::NotApplicable,
                _ => Response::Dismissed,
            };
            let through_broker = channel == Channel::Broker && rng.random_bool(0.5);
            let (role, subject, actor_uscc) = match (&broker, through_broker) {
                (Some(b), true) => (Role::Broker, format!("broker:{b}"), Some(b.clone())),
                _ => (
                    Role::Firm,
                    format!("firm:{}", model.uscc),
                    Some(model.uscc.clone()),
                ),
            };
            // What firms say they still need, as a share of them write it.
            let comment = (response != Response::Seen && rng.random_bool(0.3))
                .then(|| crate::COMMENTS[rng.random_range(0..crate::COMMENTS.len())].to_owned());
            let ack = acknowledgement::Model {
                id: Uuid::now_v7(),
                policy_id: row.policy_id,
                policy_version: row.version,
                firm_uscc: model.uscc.clone(),
                response,
                channel: if role == Role::Broker {
                    Channel::Broker
                } else {
                    Channel::SingleWindow
                },
                actor_role: role,
                actor_subject: subject,
                actor_uscc,
                comment: comment.clone(),
                terms_version: comment.as_ref().map(|_| TERMS_VERSION),
                declaration_id: None,
                idempotency_key: format!("demo-{}", Uuid::now_v7()),
                request_fingerprint: "demo".to_owned(),
                created_at: answered,
            };
            if answers::record(&txn, &ack, role == Role::Firm, zone, &rules)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
            {
                simulated.acknowledgements += 1;
            }
        }
    }
    // Each firm's last filing, as the filing path keeps it, so `activeLast30Days` counts the
    // firms the demo shows filing.
    txn.execute_unprepared(
        "UPDATE firm SET last_filed_at = (SELECT MAX(filing.filed_at) FROM filing \
         WHERE filing.firm_uscc = firm.uscc AND filing.channel IN ('SINGLE_WINDOW', 'BROKER'))",
    )
    .await?;
    txn.commit().await?;
    Ok(simulated)
}
