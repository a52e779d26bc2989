//! Deliveries (in the filing ledger), acknowledgements, and the funnel rows and daily series that
//! follow from them.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use sea_orm::DatabaseConnection;
use sea_orm::sea_query::Value as SqlValue;
use uuid::Uuid;

use policy_outreach::auth::Role;
use policy_outreach::needs::TERMS_VERSION;
use policy_outreach::needs::terms::terms as extract;
use policy_outreach::outreach::{Channel, Response, answered_by_firm};

use super::shape::{DAYS_OF_HISTORY, FLAGSHIP_SHARE};
use crate::bulk;

/// A ledger row per synthetic delivery: each is a filing (or an external presentation) of its own.
pub(super) const FILING_COLUMNS: [&str; 12] = [
    "id",
    "firm_uscc",
    "channel",
    "declaration_id",
    "actor_role",
    "actor_subject",
    "broker_uscc",
    "note",
    "presented",
    "impressions",
    "filed_at",
    "last_shown_at",
];
pub(super) const FUNNEL_COLUMNS: [&str; 13] = [
    "policy_id",
    "firm_uscc",
    "prefecture_code",
    "delivered_channels",
    "acknowledged_channels",
    "first_delivered_at",
    "last_delivered_version",
    "first_acknowledged_at",
    "acknowledged_by_firm",
    "latest_response",
    "latest_response_version",
    "latest_response_at",
    "latest_acknowledgement_id",
];
pub(super) const ACK_COLUMNS: [&str; 15] = [
    "id",
    "policy_id",
    "policy_version",
    "firm_uscc",
    "response",
    "channel",
    "actor_role",
    "actor_subject",
    "actor_uscc",
    "comment",
    "declaration_id",
    "idempotency_key",
    "request_fingerprint",
    "created_at",
    "terms_version",
];
const TERM_COLUMNS: [&str; 6] = [
    "acknowledgement_id",
    "term",
    "policy_id",
    "firm_uscc",
    "response",
    "created_at",
];

/// The share of reached firms that answer a policy.
const ANSWERING: f64 = 0.35;

#[derive(Default)]
pub(super) struct Pair {
    deliveries: i32,
    channels: i32,
    first: Option<DateTime<Utc>>,
}

/// Deliveries over the last months (most to the flagship), then answers from a third of the
/// firms reached, some of them twice; the funnel rows follow from both.
#[expect(
    clippy::too_many_arguments,
    reason = "the parts of one generated data set"
)]
pub(super) async fn write_reach(
    db: &DatabaseConnection,
    rng: &mut StdRng,
    firms: &[String],
    prefectures: &[String],
    brokers: usize,
    flagship_firms: &[usize],
    broker_of: &HashMap<usize, usize>,
    policies: &[(Uuid, i32)],
    n: usize,
    comments: usize,
    anchor: DateTime<Utc>,
    zone: chrono_tz::Tz,
) -> anyhow::Result<(usize, usize, usize)> {
    let mut days: HashMap<(usize, NaiveDate), [i32; 3]> = HashMap::new();
    let day_of = |at: DateTime<Utc>| at.with_timezone(&zone).date_naive();
    if policies.is_empty() || firms.len() <= brokers {
        return Ok((0, 0, 0));
    }
    let mut pairs: HashMap<(usize, usize), Pair> = HashMap::new();
    let mut rows: Vec<Vec<SqlValue>> = Vec::with_capacity(n.min(1 << 20));
    let mut external = std::collections::HashSet::new();
    for i in 0..n {
        let p = if rng.random_bool(FLAGSHIP_SHARE) || policies.len() == 1 {
            0
        } else {
            1 + ((rng.random::<f64>().powi(2) * (policies.len() - 1) as f64) as usize)
                .min(policies.len() - 2)
        };
        let f = if p == 0 && !flagship_firms.is_empty() {
            flagship_firms[rng.random_range(0..flagship_firms.len())]
        } else {
            rng.random_range(brokers..firms.len())
        };
        let channel = match rng.random_range(0..100) {
            0..=59 => Channel::SingleWindow,
            60..=74 if broker_of.contains_key(&f) => Channel::Broker,
            60..=84 => Channel::Sms,
            85..=92 => Channel::Paper,
            _ => Channel::Wechat,
        };
        // An external channel delivers once per (policy, version, firm, channel); a repeat is skipped.
        if channel != Channel::SingleWindow && !external.insert((p, f, channel)) {
            continue;
        }
        let at = anchor - Duration::seconds(rng.random_range(60..DAYS_OF_HISTORY * 86_400));
        days.entry((p, day_of(at))).or_default()[0] += 1;
        let pair = pairs.entry((p, f)).or_default();
        pair.deliveries += 1;
        pair.channels |= channel.bit();
        pair.first = pair.first.min(Some(at)).or(Some(at));
        let broker = broker_of
            .get(&f)
            .filter(|_| channel == Channel::Broker)
            .map(|b| firms[*b].clone());
        // Each single-window delivery has its own declaration, so its key never repeats.
        let declaration = if channel == Channel::SingleWindow {
            format!("SYN-DEC-{i:09}")
        } else {
            String::new()
        };
        let role = if channel == Channel::Broker {
            Role::Broker
        } else {
            Role::System
        };
        let presented = serde_json::json!([[policies[p].0, policies[p].1, null]]);
        rows.push(vec![
            Uuid::from_u128(rng.random()).into(),
            firms[f].clone().into(),
            channel.as_str().into(),
            declaration.into(),
            role.as_str().into(),
            Some("synthetic".to_owned()).into(),
            broker.into(),
            Option::<String>::None.into(),
            presented.into(),
            1.into(),
            at.into(),
            at.into(),
        ]);
        if rows.len() == 1 << 18 {
            bulk::write(db, "filing", &FILING_COLUMNS, &std::mem::take(&mut rows)).await?;
        }
    }
    bulk::write(db, "filing", &FILING_COLUMNS, &rows).await?;
    drop(rows);
    drop(external);

    let mut keys: Vec<(usize, usize)> = pairs.keys().copied().collect();
    keys.sort_unstable();
    let delivered: usize = pairs.values().map(|p| p.deliveries as usize).sum();
    let mut funnel_rows = Vec::with_capacity(keys.len());
    let mut acks = Vec::new();
    let mut terms = Vec::new();
    let pool: Vec<Vec<String>> = crate::COMMENTS.iter().map(|c| extract(c)).collect();
    // A third of the flagship's firms answer, each often enough for about `comments` comments.
    let flagship_pairs = keys.iter().filter(|(p, _)| *p == 0).count().max(1);
    let per_answering = comments as f64 / (ANSWERING * flagship_pairs as f64);
    let mut flagship_comments = 0;
    for (p, f) in keys {
        let Some(pair) = pairs.remove(&(p, f)) else {
            continue;
        };
        if let Some(first) = pair.first {
            days.entry((p, day_of(first))).or_default()[1] += 1;
        }
        let (policy_id, version) = policies[p];
        let mut answer = Answer::default();
        if rng.random_bool(ANSWERING) {
            let times = if p == 0 && comments > 0 {
                per_answering.floor() as usize + usize::from(rng.random_bool(per_answering.fract()))
            } else if rng.random_bool(0.15) {
                2
            } else {
                1
            };
            let mut at = pair.first.unwrap_or(anchor);
            for _ in 0..times {
                at = (at + Duration::minutes(rng.random_range(30..300 * 60))).min(anchor);
                let through_broker = broker_of.get(&f).filter(|_| rng.random_bool(0.3));
                let (role, actor, channel) = match through_broker {
                    Some(b) => (Role::Broker, firms[*b].clone(), Channel::Broker),
                    None => (Role::Firm, firms[f].clone(), Channel::SingleWindow),
                };
                let response = Response::ALL[rng.random_range(0..Response::ALL.len())];
                let id = Uuid::from_u128(rng.random());
                let said = (p == 0 && comments > 0 || rng.random_bool(0.1))
                    .then(|| rng.random_range(0..pool.len()));
                if let Some(c) = said {
                    flagship_comments += usize::from(p == 0);
                    for term in &pool[c] {
                        terms.push(vec![
                            id.into(),
                            term.clone().into(),
                            policy_id.into(),
                            firms[f].clone().into(),
                            response.as_str().into(),
                            at.into(),
                        ]);
                    }
                }
                acks.push(vec![
                    id.into(),
                    policy_id.into(),
                    version.into(),
                    firms[f].clone().into(),
                    response.as_str().into(),
                    channel.as_str().into(),
                    role.as_str().into(),
                    format!("{}:{actor}", role.as_str().to_ascii_lowercase()).into(),
                    Some(actor).into(),
                    said.map(|c| crate::COMMENTS[c].to_owned()).into(),
                    Option::<String>::None.into(),
                    format!("syn-{id}").into(),
                    "synthetic".into(),
                    at.into(),
                    said.map(|_| TERMS_VERSION).into(),
                ]);
                days.entry((p, day_of(at))).or_default()[2] += 1;
                answer.first = answer.first.or(Some(at));
                answer.by_firm |= answered_by_firm(role, channel);
                answer.channels |= channel.bit();
                answer.latest = Some((response, at, id));
            }
        }
        funnel_rows.push(vec![
            policy_id.into(),
            firms[f].clone().into(),
            prefectures[f].clone().into(),
            pair.channels.into(),
            answer.channels.into(),
            pair.first.into(),
            Some(version).into(),
            answer.first.into(),
            answer.by_firm.into(),
            answer.latest.map(|(r, _, _)| r.as_str().to_owned()).into(),
            answer.latest.map(|_| version).into(),
            answer.latest.map(|(_, at, _)| at).into(),
            answer.latest.map(|(_, _, id)| id).into(),
        ]);
    }
    bulk::write(db, "policy_firm_funnel", &FUNNEL_COLUMNS, &funnel_rows).await?;
    bulk::write(db, "acknowledgement", &ACK_COLUMNS, &acks).await?;
    bulk::write(db, "need_term", &TERM_COLUMNS, &terms).await?;
    let daily: Vec<Vec<SqlValue>> = days
        .into_iter()
        .map(|((p, day), [deliveries, newly, answers])| {
            vec![
                policies[p].0.into(),
                day.into(),
                deliveries.into(),
                newly.into(),
                answers.into(),
            ]
        })
        .collect();
    let columns = [
        "policy_id",
        "day",
        "deliveries",
        "newly_reached",
        "acknowledgements",
    ];
    bulk::write(db, "policy_daily_reach", &columns, &daily).await?;
    Ok((delivered, acks.len(), flagship_comments))
}

/// A firm's answers to one policy, as its funnel row records them.
#[derive(Default)]
pub(super) struct Answer {
    first: Option<DateTime<Utc>>,
    by_firm: bool,
    channels: i32,
    latest: Option<(Response, DateTime<Utc>, Uuid)>,
}
