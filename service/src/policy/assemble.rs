//! Policy rows into views: their versions, issuers, regions and documents, loaded in a fixed
//! number of queries.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::entity::{
    department, policy, policy_document, policy_issuer, policy_region, policy_version,
};
use crate::error::AppResult;
use crate::region::RegionCatalog;

use super::view::PolicyView;

/// Policies per `IN` list: far below the bound-parameter limits of SQLite and PostgreSQL.
const IDS_PER_QUERY: usize = 500;

type Key = (Uuid, i32);

/// Rows of one child table, grouped by the policy version they belong to.
fn group<T>(rows: Vec<T>, key: impl Fn(&T) -> Key, wanted: &HashSet<Key>) -> HashMap<Key, Vec<T>> {
    let mut groups: HashMap<Key, Vec<T>> = HashMap::new();
    for row in rows {
        let k = key(&row);
        if wanted.contains(&k) {
            groups.entry(k).or_default().push(row);
        }
    }
    groups
}

/// Loads the versions named by `keys` (one per policy row) with their issuers, regions and
/// documents, in a fixed number of queries per 500 policies.
pub(super) async fn assemble(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    rows: Vec<policy::Model>,
    keys: &[Key],
) -> AppResult<Vec<PolicyView>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let wanted: HashSet<Key> = keys.iter().copied().collect();
    let ids: Vec<Uuid> = keys
        .iter()
        .map(|(id, _)| *id)
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let (mut versions, mut issuers, mut scopes, mut documents) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for chunk in ids.chunks(IDS_PER_QUERY) {
        versions.extend(
            policy_version::Entity::find()
                .filter(policy_version::Column::PolicyId.is_in(chunk.to_vec()))
                .all(db)
                .await?,
        );
        issuers.extend(
            policy_issuer::Entity::find()
                .filter(policy_issuer::Column::PolicyId.is_in(chunk.to_vec()))
                .order_by_asc(policy_issuer::Column::Position)
                .all(db)
                .await?,
        );
        scopes.extend(
            policy_region::Entity::find()
                .filter(policy_region::Column::PolicyId.is_in(chunk.to_vec()))
                .order_by_asc(policy_region::Column::RegionCode)
                .all(db)
                .await?,
        );
        documents.extend(
            policy_document::Entity::find()
                .filter(policy_document::Column::PolicyId.is_in(chunk.to_vec()))
                .order_by_asc(policy_document::Column::Position)
                .all(db)
                .await?,
        );
    }
    let department_codes: HashSet<String> =
        issuers.iter().map(|i| i.department_code.clone()).collect();
    let departments: HashMap<String, department::Model> = department::Entity::find()
        .filter(department::Column::Code.is_in(department_codes))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.code.clone(), d))
        .collect();

    let mut versions = group(versions, |v| (v.policy_id, v.version), &wanted);
    let mut issuers = group(issuers, |i| (i.policy_id, i.version), &wanted);
    let mut scopes = group(scopes, |r| (r.policy_id, r.version), &wanted);
    let mut documents = group(documents, |d| (d.policy_id, d.version), &wanted);
    let views = rows
        .into_iter()
        .zip(keys)
        .filter_map(|(policy, key)| {
            let version = versions.remove(key)?.pop()?;
            Some(PolicyView {
                issuers: issuers
                    .remove(key)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|i| departments.get(&i.department_code).cloned())
                    .collect(),
                regions: scopes
                    .remove(key)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|r| regions.parse(&r.region_code).ok())
                    .collect(),
                documents: documents.remove(key).unwrap_or_default(),
                policy,
                version,
            })
        })
        .collect();
    Ok(views)
}
