//! The firms: weighted like China's trading provinces, with valid codes, log-normal export values,
//! and the brokers they entrust.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use sea_orm::sea_query::Value as SqlValue;

use policy_outreach::firm::{CustomsCredit, FirmSize, Uscc};
use policy_outreach::region::{RegionCatalog, RegionCode};

use super::shape::pick_weighted;
use crate::log_normal;

/// (province, weight): roughly their share of China's foreign-trade firms.
pub(super) const PROVINCES: &[(&str, u32)] = &[
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
pub(super) const INDUSTRIES: &[&str] = &[
    "C3971", "C3921", "C2110", "C1810", "C2451", "C3389", "C3872", "C3421", "C1371", "F5179",
    "F5181", "C3581",
];

/// Where the flagship policy applies: Shenzhen, with about one firm in twelve (on top of its
/// share of Guangdong), as befits China's largest exporting city.
pub(super) const SHENZHEN: &str = "440300";
pub(super) const SHENZHEN_WEIGHT: u32 = 90;

pub(super) fn localities_under(regions: &RegionCatalog, prefecture: RegionCode) -> Vec<RegionCode> {
    regions
        .localities_in(regions.province_of(prefecture))
        .into_iter()
        .filter(|place| regions.is_within(*place, prefecture))
        .collect()
}

/// A city (prefecture) of `province`, picked among its localities so that cities with more
/// districts come up more often; the province itself if it has none.
pub(super) fn city_in(
    rng: &mut StdRng,
    regions: &RegionCatalog,
    province: RegionCode,
) -> RegionCode {
    let places = regions.localities_in(province);
    if places.is_empty() {
        return province;
    }
    let place = places[rng.random_range(0..places.len())];
    regions.prefecture_of(place).unwrap_or(province)
}

/// The firms (brokers first), with their codes and provinces for the steps that follow.
pub(super) struct Population {
    pub(super) rows: Vec<Vec<SqlValue>>,
    pub(super) usccs: Vec<String>,
    pub(super) provinces: Vec<String>,
    /// Each firm's prefecture (its province when registered at province level).
    pub(super) prefectures: Vec<String>,
    /// Firms (not brokers) registered where the flagship policy applies.
    pub(super) in_flagship: Vec<usize>,
}

pub(super) const FIRM_COLUMNS: [&str; 17] = [
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
pub(super) fn generate_firms(
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
pub(super) fn synthetic_uscc(region: RegionCode, n: usize) -> anyhow::Result<Uscc> {
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
pub(super) fn entrust(
    rng: &mut StdRng,
    provinces: &[String],
    brokers: usize,
) -> Vec<(usize, usize)> {
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
