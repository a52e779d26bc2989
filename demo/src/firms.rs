//! A reproducible population of demo firms and brokers.

use chrono::NaiveDate;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use policy_outreach::firm::FirmInput;
use policy_outreach::firm::{CustomsCredit, FirmSize, Uscc};
use policy_outreach::graphql::Date;
use policy_outreach::region::RegionCatalog;

use crate::log_normal;

const FIRMS: usize = 360;
const BROKERS: usize = 14;

/// (county code, weight, city name used in firm names)
const PLACES: &[(&str, u32, &str)] = &[
    ("440304", 8, "深圳"),
    ("440305", 8, "深圳"),
    ("440306", 7, "深圳"),
    ("440307", 6, "深圳"),
    ("440303", 3, "深圳"),
    ("440106", 5, "广州"),
    ("440113", 3, "广州"),
    ("441900", 7, "东莞"),
    ("440604", 3, "佛山"),
    ("330212", 6, "宁波"),
    ("330782", 6, "义乌"),
    ("330106", 3, "杭州"),
    ("320505", 5, "苏州"),
    ("320506", 3, "苏州"),
    ("310115", 6, "上海"),
    ("310104", 3, "上海"),
    ("110105", 3, "北京"),
    ("370202", 3, "青岛"),
    ("370211", 3, "青岛"),
    ("350206", 4, "厦门"),
];

const BRAND: &[&str] = &[
    "华信",
    "海达",
    "粤通",
    "鹏程",
    "远航",
    "金桥",
    "汇丰源",
    "恒通",
    "瑞丰",
    "新纪元",
    "中联",
    "宏图",
    "嘉禾",
    "天成",
    "万利",
    "安达",
    "锦程",
    "立信",
    "同创",
    "永盛",
    "德润",
    "星河",
    "博远",
    "凯旋",
];
const TRADE: &[(&str, &str)] = &[
    ("电子科技", "C3971"),
    ("通信设备", "C3921"),
    ("家具制造", "C2110"),
    ("服装服饰", "C1810"),
    ("玩具", "C2451"),
    ("五金制品", "C3389"),
    ("照明电器", "C3872"),
    ("机械设备", "C3421"),
    ("食品", "C1371"),
    ("水产", "C1361"),
    ("纺织品", "C1713"),
    ("进出口贸易", "F5179"),
    ("供应链管理", "F5181"),
    ("医疗器械", "C3581"),
];
const FORM: &[&str] = &["有限公司", "股份有限公司", "实业有限公司", "进出口有限公司"];

/// The demo firms, in sync order (brokers first), and the two the demo tokens speak for.
pub struct Population {
    pub inputs: Vec<FirmInput>,
    pub sample_firm: String,
    pub sample_broker: String,
}

pub fn generate(regions: &RegionCatalog) -> Population {
    let mut rng = StdRng::seed_from_u64(20_261_125);
    let brokers: Vec<FirmInput> = (0..BROKERS)
        .map(|i| {
            let (region, _, city) = PLACES[i % PLACES.len()];
            let uscc = uscc(&mut rng, region);
            FirmInput {
                uscc: uscc.to_string(),
                customs_code: Some(customs_code(&mut rng, region)),
                name: format!("{city}{}报关有限公司", BRAND[(i * 7) % BRAND.len()]),
                region: region.to_owned(),
                size: Some(FirmSize::Small),
                industry: Some("L7299".to_owned()),
                customs_credit: Some(CustomsCredit::GeneralCertified),
                export_value_prev_year_usd: Some(0.0),
                import_value_prev_year_usd: Some(0.0),
                foreign_invested: Some(false),
                registered_on: Some(Date(date(&mut rng, 1998, 2015))),
                brokers: Some(Vec::new()),
            }
        })
        .collect();
    let total_weight: u32 = PLACES.iter().map(|p| p.1).sum();
    let mut firms = Vec::with_capacity(FIRMS);
    for i in 0..FIRMS {
        let mut pick = rng.random_range(0..total_weight);
        let (region, _, city) = *PLACES
            .iter()
            .find(|(_, weight, _)| {
                let hit = pick < *weight;
                pick = pick.saturating_sub(*weight);
                hit
            })
            .unwrap_or(&PLACES[0]);
        let (trade, industry) = TRADE[rng.random_range(0..TRADE.len())];
        let export = log_normal(&mut rng, 14.6, 1.5);
        let size = match export {
            v if v < 1_000_000.0 => FirmSize::Micro,
            v if v < 8_000_000.0 => FirmSize::Small,
            v if v < 60_000_000.0 => FirmSize::Medium,
            _ => FirmSize::Large,
        };
        let province = regions
            .parse(region)
            .map(|r| regions.province_of(r).to_string())
            .unwrap_or_default();
        let nearby: Vec<&FirmInput> = brokers
            .iter()
            .filter(|b| {
                regions
                    .parse(&b.region)
                    .is_ok_and(|r| regions.province_of(r).to_string() == province)
            })
            .collect();
        let entrusted: Vec<String> = match (rng.random_range(0..10), nearby.len()) {
            (0..=1, _) | (_, 0) => Vec::new(),
            (2..=7, n) => vec![nearby[rng.random_range(0..n)].uscc.clone()],
            (_, n) => {
                let first = rng.random_range(0..n);
                let second = (first + 1) % n;
                let mut both = vec![nearby[first].uscc.clone()];
                if second != first {
                    both.push(nearby[second].uscc.clone());
                }
                both
            }
        };
        let mut firm = FirmInput {
            uscc: uscc(&mut rng, region).to_string(),
            customs_code: Some(customs_code(&mut rng, region)),
            name: format!(
                "{city}{}{trade}{}",
                BRAND[rng.random_range(0..BRAND.len())],
                FORM[i % FORM.len()]
            ),
            region: region.to_owned(),
            size: Some(size),
            industry: Some(industry.to_owned()),
            customs_credit: Some(match rng.random_range(0..100) {
                0..=7 => CustomsCredit::AdvancedCertified,
                8..=24 => CustomsCredit::GeneralCertified,
                25..=97 => CustomsCredit::General,
                _ => CustomsCredit::Dishonest,
            }),
            export_value_prev_year_usd: Some(export.round()),
            import_value_prev_year_usd: Some((export * rng.random_range(0.0..0.8)).round()),
            foreign_invested: Some(rng.random_bool(0.15)),
            registered_on: Some(Date(date(&mut rng, 1995, 2025))),
            brokers: Some(entrusted),
        };
        // A few profiles are left incomplete, as real syncs are: their rules come out UNKNOWN.
        if i % 23 == 5 {
            firm.export_value_prev_year_usd = None;
            firm.size = None;
        }
        firms.push(firm);
    }
    let sample = firms
        .iter()
        .find(|f| {
            f.region.starts_with("4403")
                && f.export_value_prev_year_usd
                    .is_some_and(|v| v < 8_000_000.0)
                && f.brokers.as_ref().is_some_and(|b| !b.is_empty())
        })
        .or(firms.first());
    let sample_firm = sample.map(|f| f.uscc.clone()).unwrap_or_default();
    let sample_broker = sample
        .and_then(|f| f.brokers.as_ref()?.first().cloned())
        .unwrap_or_default();
    Population {
        inputs: brokers.into_iter().chain(firms).collect(),
        sample_firm,
        sample_broker,
    }
}

/// A USCC of a for-profit company ("91") registered in `region`, with a valid organisation code.
fn uscc(rng: &mut StdRng, region: &str) -> Uscc {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let digits: Vec<u32> = (0..8).map(|_| rng.random_range(0..10)).collect();
    let check = match 11 - digits.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum::<u32>() % 11 {
        10 => 'X',
        11 => '0',
        n => char::from_digit(n, 10).unwrap_or('0'),
    };
    let org: String = digits
        .iter()
        .map(|d| char::from_digit(*d, 10).unwrap_or('0'))
        .collect();
    Uscc::with_check_character(&format!("91{region}{org}{check}"))
        .unwrap_or_else(|e| unreachable!("generated codes use the USCC alphabet: {e}"))
}

fn customs_code(rng: &mut StdRng, region: &str) -> String {
    format!(
        "{}{}{:05}",
        &region[..4],
        rng.random_range(1..4),
        rng.random_range(0..100_000)
    )
}

fn date(rng: &mut StdRng, from_year: i32, to_year: i32) -> NaiveDate {
    let year = rng.random_range(from_year..=to_year);
    let day = rng.random_range(1..=365);
    NaiveDate::from_yo_opt(year, day).unwrap_or_default()
}
