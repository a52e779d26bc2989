//! `seed --synthetic`: a large, reproducible data set for measuring the service — firms weighted
//! like China's trading provinces, log-normal export values, brokers serving many firms, policies of
//! realistic shape, and deliveries and acknowledgements spread over months. Written in batched
//! multi-row inserts; the same seed gives the same rows (times are relative to today, UTC).

use std::collections::HashMap;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, TimeDelta, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::sea_query::Value as SqlValue;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, Set};
use serde_json::json;
use uuid::Uuid;

use policy_outreach::auth::Role;
use policy_outreach::db::begin_write;
use policy_outreach::eligibility::parse_rule;
use policy_outreach::entity::{policy, policy_issuer, policy_region, policy_version};
use policy_outreach::firm::{CustomsCredit, FirmSize, Uscc};
use policy_outreach::outreach::{Channel, Response};
use policy_outreach::policy::{BenefitKind, PolicyStatus, live};
use policy_outreach::region::{RegionCatalog, RegionCode};
use rules::sample::realistic_rule;

use crate::{bulk, log_normal};

const ROWS_PER_STATEMENT: usize = 1_000;
const DAYS_OF_HISTORY: i64 = 120;
/// The share of deliveries that go to the first policy, so one policy has most of them.
pub const FLAGSHIP_SHARE: f64 = 0.6;

/// (province, weight): roughly their share of China's foreign-trade firms.
const PROVINCES: &[(&str, u32)] = &[
    ("440000", 240),
    ("330000", 140),
    ("320000", 120),
    ("310000", 80),
    ("370000", 70),
    ("350000", 60),
    ("110000", 40),
    ("120000", 20),
    ("210000", 20),
    ("420000", 20),
    ("510000", 20),
    ("340000", 20),
    ("430000", 20),
    ("410000", 20),
    ("130000", 20),
    ("500000", 15),
    ("450000", 15),
    ("360000", 15),
    ("530000", 10),
    ("610000", 10),
];
const INDUSTRIES: &[&str] = &[
    "C3971", "C3921", "C2110", "C1810", "C2451", "C3389", "C3872", "C3421", "C1371", "F5179",
    "F5181", "C3581",
];

/// Where the flagship policy applies: Shenzhen, with about one firm in twelve (on top of its
/// share of Guangdong), as befits China's largest exporting city.
const SHENZHEN: &str = "440300";
const SHENZHEN_WEIGHT: u32 = 90;

fn localities_under(regions: &RegionCatalog, prefecture: RegionCode) -> Vec<RegionCode> {
    regions
        .localities_in(regions.province_of(prefecture))
        .into_iter()
        .filter(|place| regions.is_within(*place, prefecture))
        .collect()
}

/// A city (prefecture) of `province`, picked among its localities so that cities with more
/// districts come up more often; the province itself if it has none.
fn city_in(rng: &mut StdRng, regions: &RegionCatalog, province: RegionCode) -> RegionCode {
    let places = regions.localities_in(province);
    if places.is_empty() {
        return province;
    }
    let place = places[rng.random_range(0..places.len())];
    regions.prefecture_of(place).unwrap_or(province)
}

/// How much to generate.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub firms: usize,
    pub policies: usize,
    pub deliveries: usize,
    pub seed: u64,
    /// The zone the daily series counts days in (`TIME_ZONE`).
    pub zone: chrono_tz::Tz,
}

/// What was written, and how long it took.
#[derive(Debug)]
pub struct Written {
    pub firms: usize,
    pub brokers: usize,
    pub policies: usize,
    pub deliveries: usize,
    pub acknowledgements: usize,
    pub flagship: Uuid,
    pub seconds: f64,
}

/// Generates and writes the data set into a migrated database with departments.
pub async fn seed(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    departments: &[&str],
    size: Size,
) -> anyhow::Result<Written> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(size.seed);
    let today = Utc::now().date_naive();
    let anchor = today.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let mut population = generate_firms(&mut rng, regions, size.firms, anchor)?;
    let broker_count = (size.firms / 100).max(1).min(population.usccs.len());
    let entrustments = entrust(&mut rng, &population.provinces, broker_count);
    let mut brokers_per_firm = vec![0i32; population.usccs.len()];
    for (f, _) in &entrustments {
        brokers_per_firm[*f] += 1;
    }
    for (row, count) in population.rows.iter_mut().zip(&brokers_per_firm) {
        row.push((*count).into());
    }
    let firms = &population.usccs;
    bulk::write(db, "firm", &FIRM_COLUMNS, &population.rows).await?;
    tracing::info!(
        firms = firms.len(),
        seconds = started.elapsed().as_secs_f64(),
        "firms written"
    );
    let links: Vec<Vec<SqlValue>> = entrustments
        .iter()
        .map(|(f, b)| {
            vec![
                firms[*f].clone().into(),
                firms[*b].clone().into(),
                anchor.into(),
            ]
        })
        .collect();
    bulk::write(
        db,
        "firm_broker",
        &["firm_uscc", "broker_uscc", "created_at"],
        &links,
    )
    .await?;
    let txn = begin_write(db).await?;
    let policies = write_policies(
        &txn,
        &mut rng,
        regions,
        departments,
        size.policies,
        today,
        anchor,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        policies = policies.len(),
        seconds = started.elapsed().as_secs_f64(),
        "policies written"
    );
    let broker_of: HashMap<usize, usize> = entrustments.iter().map(|(f, b)| (*f, *b)).collect();
    let (deliveries, acknowledgements) = write_reach(
        db,
        &mut rng,
        firms,
        &population.prefectures,
        broker_count,
        &population.in_flagship,
        &broker_of,
        &policies,
        size.deliveries,
        anchor,
        size.zone,
    )
    .await?;
    live::bump_catalog(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // Fresh statistics and visibility maps: the planner knows the new tables and can read
        // the covering indexes alone.
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    Ok(Written {
        firms: firms.len(),
        brokers: broker_count,
        policies: policies.len(),
        deliveries,
        acknowledgements,
        flagship: policies.first().map(|p| p.0).unwrap_or_default(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn pick_weighted<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|i| i.1).sum();
    let mut n = rng.random_range(0..total);
    for (item, weight) in items {
        if n < *weight {
            return item;
        }
        n -= weight;
    }
    &items[0].0
}

/// The firms (brokers first), with their codes and provinces for the steps that follow.
struct Population {
    rows: Vec<Vec<SqlValue>>,
    usccs: Vec<String>,
    provinces: Vec<String>,
    /// Each firm's prefecture (its province when registered at province level).
    prefectures: Vec<String>,
    /// Firms (not brokers) registered where the flagship policy applies.
    in_flagship: Vec<usize>,
}

const FIRM_COLUMNS: [&str; 17] = [
    "uscc",
    "customs_code",
    "name",
    "region_code",
    "province_code",
    "prefecture_code",
    "size",
    "industry",
    "customs_credit",
    "export_value_prev_year_usd",
    "import_value_prev_year_usd",
    "foreign_invested",
    "registered_on",
    "last_filed_at",
    "created_at",
    "updated_at",
    "broker_count",
];
const DELIVERY_COLUMNS: [&str; 13] = [
    "id",
    "policy_id",
    "policy_version",
    "firm_uscc",
    "channel",
    "declaration_id",
    "actor_role",
    "actor_subject",
    "broker_uscc",
    "impressions",
    "note",
    "delivered_at",
    "last_shown_at",
];
const FUNNEL_COLUMNS: [&str; 15] = [
    "policy_id",
    "firm_uscc",
    "prefecture_code",
    "deliveries",
    "delivered_channels",
    "acknowledged_channels",
    "first_delivered_at",
    "last_delivered_at",
    "last_delivered_version",
    "first_acknowledged_at",
    "acknowledged_by_firm",
    "latest_response",
    "latest_response_version",
    "latest_response_at",
    "latest_acknowledgement_id",
];
const ACK_COLUMNS: [&str; 14] = [
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
];

fn generate_firms(
    rng: &mut StdRng,
    regions: &RegionCatalog,
    n: usize,
    anchor: DateTime<Utc>,
) -> anyhow::Result<Population> {
    let places: Vec<(Vec<RegionCode>, u32)> = PROVINCES
        .iter()
        .filter_map(|(code, weight)| {
            let province = regions.parse(code).ok()?;
            Some((regions.localities_in(province), *weight))
        })
        .filter(|(places, _)| !places.is_empty())
        .chain(
            regions
                .parse(SHENZHEN)
                .ok()
                .map(|shenzhen| (localities_under(regions, shenzhen), SHENZHEN_WEIGHT)),
        )
        .collect();
    let brokers = (n / 100).max(1);
    let mut population = Population {
        rows: Vec::with_capacity(n),
        usccs: Vec::with_capacity(n),
        provinces: Vec::with_capacity(n),
        prefectures: Vec::with_capacity(n),
        in_flagship: Vec::new(),
    };
    let shenzhen = regions.parse(SHENZHEN).ok();
    for i in 0..n {
        {
            let localities = pick_weighted(rng, &places);
            let region = localities[rng.random_range(0..localities.len())];
            let uscc = synthetic_uscc(region, i)?;
            let broker = i < brokers;
            let export =
                (!broker && rng.random_bool(0.95)).then(|| log_normal(rng, 14.5, 1.6).round());
            let size = export.map(|v| match v {
                v if v < 1e6 => FirmSize::Micro,
                v if v < 8e6 => FirmSize::Small,
                v if v < 6e7 => FirmSize::Medium,
                _ => FirmSize::Large,
            });
            let last_filed_at = match rng.random_range(0..100) {
                0..=44 => Some(anchor - Duration::minutes(rng.random_range(0..30 * 24 * 60))),
                45..=69 => Some(anchor - Duration::days(rng.random_range(31..365))),
                _ => None,
            };
            if !broker && shenzhen.is_some_and(|s| regions.is_within(region, s)) {
                population.in_flagship.push(i);
            }
            population.prefectures.push(
                regions
                    .prefecture_of(region)
                    .unwrap_or(regions.province_of(region))
                    .to_string(),
            );
            population.usccs.push(uscc.to_string());
            population
                .provinces
                .push(regions.province_of(region).to_string());
            let credit = match rng.random_range(0..100) {
                0..=7 => CustomsCredit::AdvancedCertified,
                8..=24 => CustomsCredit::GeneralCertified,
                25..=97 => CustomsCredit::General,
                _ => CustomsCredit::Dishonest,
            };
            let industry = if broker {
                "L7299"
            } else {
                INDUSTRIES[rng.random_range(0..INDUSTRIES.len())]
            };
            let size = if broker { Some(FirmSize::Small) } else { size };
            population.rows.push(vec![
                uscc.to_string().into(),
                Some(format!("{}{:06}", &region.to_string()[..4], i % 1_000_000)).into(),
                format!("{}{}号外贸企业", regions.name(region), i).into(),
                region.to_string().into(),
                regions.province_of(region).to_string().into(),
                regions.prefecture_of(region).map(|p| p.to_string()).into(),
                size.map(|s| s.as_str().to_owned()).into(),
                Some(industry.to_owned()).into(),
                Some(credit.as_str().to_owned()).into(),
                export.or(broker.then_some(0.0)).into(),
                export
                    .map(|v| (v * rng.random_range(0.0..0.8)).round())
                    .into(),
                Some(rng.random_bool(0.15)).into(),
                NaiveDate::from_yo_opt(rng.random_range(1990..=2025), rng.random_range(1..=365))
                    .into(),
                last_filed_at.into(),
                anchor.into(),
                anchor.into(),
            ]);
        }
    }
    Ok(population)
}

/// A valid code, unique per `n`, registered in `region`.
fn synthetic_uscc(region: RegionCode, n: usize) -> anyhow::Result<Uscc> {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let digits: Vec<u32> = format!("{:08}", n % 100_000_000)
        .bytes()
        .map(|b| u32::from(b - b'0'))
        .collect();
    let check = match 11 - digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum::<u32>() % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).unwrap_or('0'),
    };
    let org: String = digits
        .iter()
        .filter_map(|d| char::from_digit(*d, 10))
        .collect();
    Uscc::with_check_character(&format!("91{region}{org}{check}")).map_err(|e| anyhow::anyhow!(e))
}

/// Most firms entrust one broker of their province, some two, some none; popular brokers serve
/// many (the pick is skewed towards the first brokers of each province).
fn entrust(rng: &mut StdRng, provinces: &[String], brokers: usize) -> Vec<(usize, usize)> {
    let mut by_province: HashMap<&str, Vec<usize>> = HashMap::new();
    for (b, province) in provinces.iter().enumerate().take(brokers) {
        by_province.entry(province.as_str()).or_default().push(b);
    }
    let mut links = Vec::new();
    for (f, province) in provinces.iter().enumerate().skip(brokers) {
        let Some(local) = by_province.get(province.as_str()) else {
            continue;
        };
        let count = match rng.random_range(0..100) {
            0..=14 => 0,
            15..=84 => 1,
            _ => 2,
        };
        let mut chosen: Vec<usize> = Vec::new();
        for _ in 0..count {
            let skewed = (rng.random::<f64>().powi(3) * local.len() as f64) as usize;
            let broker = local[skewed.min(local.len() - 1)];
            if !chosen.contains(&broker) {
                chosen.push(broker);
                links.push((f, broker));
            }
        }
    }
    links
}

async fn write_policies(
    txn: &DatabaseTransaction,
    rng: &mut StdRng,
    regions: &RegionCatalog,
    departments: &[&str],
    n: usize,
    today: NaiveDate,
    anchor: DateTime<Utc>,
) -> anyhow::Result<Vec<(Uuid, i32)>> {
    let provinces: Vec<(RegionCode, u32)> = PROVINCES
        .iter()
        .filter_map(|(c, w)| Some((regions.parse(c).ok()?, *w)))
        .collect();
    let mut written = Vec::with_capacity(n);
    let (mut policies, mut versions, mut issuers, mut scopes) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for i in 0..n {
        let id = Uuid::from_u128(rng.random());
        // The flagship: every firm of Shenzhen (its scope, below).
        let eligibility = if i == 0 {
            json!({"all": []})
        } else {
            realistic_rule(rng)
        };
        parse_rule(&eligibility, "eligibility", regions)
            .map_err(|e| anyhow::anyhow!("generated rule: {e:?}"))?;
        // Most preferential policies are local: one in twenty nationwide, about a third
        // provincial, the rest for one city.
        let scope: Vec<RegionCode> = match (i, rng.random_range(0..20)) {
            (0, _) => regions.parse(SHENZHEN).into_iter().collect(),
            (_, 0) => Vec::new(),
            (_, 1..=6) => vec![*pick_weighted(rng, &provinces)],
            _ => {
                let province = *pick_weighted(rng, &provinces);
                vec![city_in(rng, regions, province)]
            }
        };
        let lead = departments[rng.random_range(0..departments.len())];
        policies.push(policy::ActiveModel {
            id: Set(id),
            code: Set(format!("SYN-{i:05}")),
            status: Set(PolicyStatus::Published),
            lead_department: Set(lead.to_owned()),
            current_version: Set(1),
            live_version: Set(Some(1)),
            latest_version: Set(1),
            created_at: Set(anchor),
            updated_at: Set(anchor),
            retired_at: Set(None),
            retire_reason: Set(None),
        });
        versions.push(policy_version::ActiveModel {
            policy_id: Set(id),
            version: Set(1),
            status: Set(PolicyStatus::Published),
            title_zh: Set(format!("合成政策第{i}号")),
            title_en: Set(Some(format!("Synthetic policy {i}"))),
            summary_zh: Set("用于测量的合成政策。".to_owned()),
            summary_en: Set(Some("A synthetic policy for measurements.".to_owned())),
            body_zh: Set(None),
            body_en: Set(None),
            benefit_kind: Set(BenefitKind::ALL[rng.random_range(0..BenefitKind::ALL.len())]),
            effective_from: Set(today - TimeDelta::days(rng.random_range(30..365))),
            effective_to: Set(Some(today + TimeDelta::days(rng.random_range(30..365)))),
            apply_deadline: Set(rng
                .random_bool(0.5)
                .then(|| today + TimeDelta::days(rng.random_range(10..300)))),
            apply_url: Set(Some(format!("https://example.gov.cn/policies/{i}"))),
            auto_enjoy: Set(rng.random_bool(0.3)),
            source_url: Set(None),
            eligibility: Set(eligibility),
            created_by: Set("synthetic".to_owned()),
            created_at: Set(anchor),
            published_at: Set(Some(
                anchor - Duration::minutes(rng.random_range(0..365 * 24 * 60)),
            )),
        });
        issuers.push(policy_issuer::ActiveModel {
            policy_id: Set(id),
            version: Set(1),
            department_code: Set(lead.to_owned()),
            is_lead: Set(true),
            position: Set(0),
        });
        scopes.extend(scope.into_iter().map(|code| policy_region::ActiveModel {
            policy_id: Set(id),
            version: Set(1),
            region_code: Set(code.to_string()),
        }));
        written.push((id, 1));
    }
    for chunk in policies.chunks(ROWS_PER_STATEMENT) {
        policy::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    for chunk in versions.chunks(ROWS_PER_STATEMENT / 2) {
        policy_version::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    for chunk in issuers.chunks(ROWS_PER_STATEMENT) {
        policy_issuer::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    for chunk in scopes.chunks(ROWS_PER_STATEMENT) {
        policy_region::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await?;
    }
    Ok(written)
}

#[derive(Default)]
struct Pair {
    deliveries: i32,
    channels: i32,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

/// Deliveries over the last months (most to the flagship), then answers from a third of the
/// firms reached, some of them twice; the funnel rows follow from both.
#[expect(
    clippy::too_many_arguments,
    reason = "the parts of one generated data set"
)]
async fn write_reach(
    db: &DatabaseConnection,
    rng: &mut StdRng,
    firms: &[String],
    prefectures: &[String],
    brokers: usize,
    flagship_firms: &[usize],
    broker_of: &HashMap<usize, usize>,
    policies: &[(Uuid, i32)],
    n: usize,
    anchor: DateTime<Utc>,
    zone: chrono_tz::Tz,
) -> anyhow::Result<(usize, usize)> {
    let mut days: HashMap<(usize, NaiveDate), [i32; 3]> = HashMap::new();
    let day_of = |at: DateTime<Utc>| at.with_timezone(&zone).date_naive();
    if policies.is_empty() || firms.len() <= brokers {
        return Ok((0, 0));
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
        pair.last = pair.last.max(Some(at));
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
        rows.push(vec![
            Uuid::from_u128(rng.random()).into(),
            policies[p].0.into(),
            policies[p].1.into(),
            firms[f].clone().into(),
            channel.as_str().into(),
            declaration.into(),
            role.as_str().into(),
            Some("synthetic".to_owned()).into(),
            broker.into(),
            1.into(),
            Option::<String>::None.into(),
            at.into(),
            at.into(),
        ]);
        if rows.len() == 1 << 18 {
            bulk::write(
                db,
                "delivery",
                &DELIVERY_COLUMNS,
                &std::mem::take(&mut rows),
            )
            .await?;
        }
    }
    bulk::write(db, "delivery", &DELIVERY_COLUMNS, &rows).await?;
    drop(rows);
    drop(external);

    let mut keys: Vec<(usize, usize)> = pairs.keys().copied().collect();
    keys.sort_unstable();
    let delivered: usize = pairs.values().map(|p| p.deliveries as usize).sum();
    let mut funnel_rows = Vec::with_capacity(keys.len());
    let mut acks = Vec::new();
    for (p, f) in keys {
        let Some(pair) = pairs.remove(&(p, f)) else {
            continue;
        };
        if let Some(first) = pair.first {
            days.entry((p, day_of(first))).or_default()[1] += 1;
        }
        let (policy_id, version) = policies[p];
        let mut answer = Answer::default();
        if rng.random_bool(0.35) {
            let times = if rng.random_bool(0.15) { 2 } else { 1 };
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
                    Option::<String>::None.into(),
                    Option::<String>::None.into(),
                    format!("syn-{id}").into(),
                    "synthetic".into(),
                    at.into(),
                ]);
                days.entry((p, day_of(at))).or_default()[2] += 1;
                answer.first = answer.first.or(Some(at));
                answer.by_firm |= role == Role::Firm;
                answer.channels |= channel.bit();
                answer.latest = Some((response, at, id));
            }
        }
        funnel_rows.push(vec![
            policy_id.into(),
            firms[f].clone().into(),
            prefectures[f].clone().into(),
            pair.deliveries.into(),
            pair.channels.into(),
            answer.channels.into(),
            pair.first.into(),
            pair.last.into(),
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
    Ok((delivered, acks.len()))
}

/// A firm's answers to one policy, as its funnel row records them.
#[derive(Default)]
struct Answer {
    first: Option<DateTime<Utc>>,
    by_firm: bool,
    channels: i32,
    latest: Option<(Response, DateTime<Utc>, Uuid)>,
}
