//! Policies of realistic shape, published, with their issuers and region scopes.

use chrono::{DateTime, Duration, NaiveDate, TimeDelta, Utc};
use rand::Rng;
use rand::rngs::StdRng;
use sea_orm::{DatabaseTransaction, EntityTrait, Set};
use serde_json::json;
use uuid::Uuid;

use policy_outreach::eligibility::parse_rule;
use policy_outreach::entity::{policy, policy_issuer, policy_region, policy_version};
use policy_outreach::policy::{BenefitKind, PolicyStatus};
use policy_outreach::region::{RegionCatalog, RegionCode};
use rules::sample::realistic_rule;

use super::population::{PROVINCES, SHENZHEN, city_in};
use super::shape::{ROWS_PER_STATEMENT, pick_weighted};

/// How many policies the first department leads.
pub const BUSIEST_DEPARTMENT_POLICIES: usize = 500;

pub(super) async fn write_policies(
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
        // The first department leads the first policies, the flagship among them, and no other:
        // a department with many policies for the overview of all of them.
        let drawn = rng
            .random_range(1..departments.len().max(2))
            .min(departments.len() - 1);
        let lead = if i < BUSIEST_DEPARTMENT_POLICIES {
            departments[0]
        } else {
            departments[drawn]
        };
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
