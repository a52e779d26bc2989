//! The demo: departments and policies in the spirit of the Shenzhen example, and a few hundred
//! firms with valid codes across the trading provinces, with their customs brokers.

mod bulk;
mod firms;
mod reach;
pub mod synthetic;

/// What firms write when they answer: the needs the console's needs analysis counts.
pub(crate) const COMMENTS: [&str; 10] = [
    "需要了解申请材料清单",
    "申请表模板在哪里下载？",
    "不清楚是否适用转口贸易",
    "希望提供英文版政策解读",
    "保费补贴比例是多少？",
    "需要银行对接联系人",
    "申报截止时间太紧，材料来不及准备",
    "申请材料太多，希望简化",
    "Need an English version of the application guide",
    "Is re-export trade covered? Please clarify the eligibility",
];

use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};

use policy_outreach::auth::Viewer;
use policy_outreach::department::service as departments;
use policy_outreach::entity::policy;
use policy_outreach::firm::sync as firm_sync;
use policy_outreach::policy::import;
use policy_outreach::region::RegionCatalog;

const POLICIES_JSON: &str = include_str!("policies.json");

/// (code, Chinese name, English name, region)
const DEPARTMENTS: &[(&str, &str, &str, Option<&str>)] = &[
    ("MOFCOM", "商务部", "Ministry of Commerce", None),
    ("MOF", "财政部", "Ministry of Finance", None),
    ("PBOC", "中国人民银行", "People's Bank of China", None),
    (
        "NFRA",
        "国家金融监督管理总局",
        "National Financial Regulatory Administration",
        None,
    ),
    (
        "SAFE",
        "国家外汇管理局",
        "State Administration of Foreign Exchange",
        None,
    ),
    (
        "GACC",
        "海关总署",
        "General Administration of Customs",
        None,
    ),
    ("STA", "国家税务总局", "State Taxation Administration", None),
    (
        "GD-COMMERCE",
        "广东省商务厅",
        "Department of Commerce of Guangdong Province",
        Some("440000"),
    ),
    (
        "SZ-COMMERCE",
        "深圳市商务局",
        "Shenzhen Municipal Bureau of Commerce",
        Some("440300"),
    ),
    ("SZ-CUSTOMS", "深圳海关", "Shenzhen Customs", Some("440300")),
    (
        "ZJ-COMMERCE",
        "浙江省商务厅",
        "Department of Commerce of Zhejiang Province",
        Some("330000"),
    ),
    (
        "NB-COMMERCE",
        "宁波市商务局",
        "Ningbo Municipal Bureau of Commerce",
        Some("330200"),
    ),
    (
        "SH-COMMERCE",
        "上海市商务委员会",
        "Shanghai Municipal Commission of Commerce",
        Some("310000"),
    ),
    (
        "SU-COMMERCE",
        "苏州市商务局",
        "Suzhou Municipal Bureau of Commerce",
        Some("320500"),
    ),
    ("NJ-CUSTOMS", "南京海关", "Nanjing Customs", Some("320000")),
    (
        "QD-COMMERCE",
        "青岛市商务局",
        "Qingdao Municipal Bureau of Commerce",
        Some("370200"),
    ),
    (
        "XM-COMMERCE",
        "厦门市商务局",
        "Xiamen Municipal Bureau of Commerce",
        Some("350200"),
    ),
];

/// What the demo holds, and whom its printed tokens speak for.
#[derive(Clone, Debug)]
pub struct Seeded {
    pub policies: u64,
    pub firms: u64,
    /// A small Shenzhen exporter.
    pub firm: String,
    /// A broker that firm has entrusted.
    pub broker: String,
    /// The department that leads the Shenzhen insurance scheme.
    pub department: String,
    /// Whether the database already held the demo (nothing was written).
    pub already_seeded: bool,
}

/// The demo's departments: national ministries, provincial and municipal bureaus, customs.
pub async fn seed_departments(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
) -> anyhow::Result<Vec<&'static str>> {
    for (code, zh, en, region) in DEPARTMENTS {
        let record = departments::validate(regions, code, zh, Some(en), *region)
            .map_err(|e| anyhow::anyhow!("demo department {code}: {e:?}"))?;
        departments::upsert(db, &record, chrono::Utc::now())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(DEPARTMENTS.iter().map(|d| d.0).collect())
}

/// Seeds the demo into a migrated database, unless it already holds policies.
/// Seeds the demo; days of its reach are local to `zone`.
pub async fn seed(db: &DatabaseConnection, zone: chrono_tz::Tz) -> anyhow::Result<Seeded> {
    let regions = policy_outreach::region::load(db).await?;
    let population = firms::generate(&regions);
    let already_seeded = policy::Entity::find().count(db).await? > 0;
    if !already_seeded {
        let admin = Viewer::Admin {
            subject: "demo-seed".to_owned(),
        };
        for (code, zh, en, region) in DEPARTMENTS {
            let record = departments::validate(&regions, code, zh, Some(en), *region)
                .map_err(|e| anyhow::anyhow!("demo department {code}: {e:?}"))?;
            departments::upsert(db, &record, chrono::Utc::now())
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let entries = import::parse(POLICIES_JSON)
            .map_err(|e| anyhow::anyhow!("demo/src/policies.json: {e}"))?;
        import::import(db, &regions, entries, false, &admin, chrono::Utc::now())
            .await
            .map_err(|e| anyhow::anyhow!("demo/src/policies.json: {e}"))?;
        firm_sync::upsert(db, &regions, population.inputs.clone(), chrono::Utc::now())
            .await
            .map_err(|e| anyhow::anyhow!("demo firms: {e}"))?;
        let simulated = reach::simulate(db, &regions, chrono::Utc::now(), zone).await?;
        tracing::info!(
            deliveries = simulated.deliveries,
            acknowledgements = simulated.acknowledgements,
            "demo reach simulated"
        );
    }
    Ok(Seeded {
        policies: policy::Entity::find().count(db).await?,
        firms: policy_outreach::entity::firm::Entity::find()
            .count(db)
            .await?,
        firm: population.sample_firm,
        broker: population.sample_broker,
        department: "SZ-COMMERCE".to_owned(),
        already_seeded,
    })
}

/// e^N(mu, sigma), by Box–Muller: export values spread like real ones.
fn log_normal(rng: &mut rand::rngs::StdRng, mu: f64, sigma: f64) -> f64 {
    use rand::Rng;
    let (u1, u2): (f64, f64) = (rng.random_range(f64::EPSILON..1.0), rng.random());
    let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    (mu + sigma * normal).exp()
}
