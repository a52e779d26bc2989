//! Reading policies: the catalog with its filters, one policy at a version, and who may see what.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, LikeExpr, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::{BenefitKind, PolicyStatus};
use crate::auth::Viewer;
use crate::department::DepartmentCode;
use crate::entity::{
    department, policy, policy_audit, policy_document, policy_issuer, policy_region, policy_version,
};
use crate::error::{AppError, AppResult};
use crate::region::{RegionCatalog, RegionCode};

/// One version of a policy with everything shown about it.
#[derive(Clone, Debug)]
pub struct PolicyView {
    pub policy: policy::Model,
    pub version: policy_version::Model,
    /// Lead first, then co-issuers in the order given.
    pub issuers: Vec<department::Model>,
    pub regions: Vec<RegionCode>,
    pub documents: Vec<policy_document::Model>,
}

impl PolicyView {
    /// Whether the viewer is ADMIN or one of the policy's issuing departments.
    pub fn is_managed_by(&self, viewer: &Viewer) -> bool {
        match viewer {
            Viewer::Admin { .. } => true,
            Viewer::Department { department, .. } => {
                self.policy.lead_department == department.as_str()
                    || self.issuers.iter().any(|d| d.code == department.as_str())
            }
            _ => false,
        }
    }
}

/// A validated `PolicyFilter`.
#[derive(Clone, Debug, Default)]
pub struct PolicyFilterSpec {
    /// Policies that cover a firm registered here (nationwide ones included).
    pub region: Option<RegionCode>,
    pub department: Option<DepartmentCode>,
    pub benefit_kind: Option<BenefitKind>,
    /// Absent: PUBLISHED.
    pub status: Option<PolicyStatus>,
    pub in_effect_on: Option<NaiveDate>,
    pub search: Option<String>,
}

/// A page of the catalog and the number of policies matching in all.
pub async fn list(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    viewer: &Viewer,
    filter: &PolicyFilterSpec,
    offset: u64,
    limit: u64,
) -> AppResult<(Vec<PolicyView>, u64)> {
    let condition = Condition::all()
        .add(visible_to(viewer))
        .add(matching(filter, regions));
    let total = policy::Entity::find()
        .filter(condition.clone())
        .count(db)
        .await?;
    let rows = policy::Entity::find()
        .filter(condition)
        .order_by_desc(policy::Column::CreatedAt)
        .order_by_desc(policy::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    let keys: Vec<(Uuid, i32)> = rows.iter().map(|p| (p.id, p.current_version)).collect();
    Ok((assemble(db, regions, rows, &keys).await?, total))
}

/// One policy as the viewer may see it: the version shown by default, or `version` for its issuers
/// and ADMIN. `None` when it does not exist or the viewer may not know it does.
pub async fn get(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    viewer: &Viewer,
    id: Uuid,
    version: Option<i32>,
) -> AppResult<Option<PolicyView>> {
    let Some(row) = policy::Entity::find_by_id(id)
        .filter(visible_to(viewer))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let shown = row.current_version;
    let Some(view) = assemble(db, regions, vec![row], &[(id, shown)])
        .await?
        .pop()
    else {
        return Ok(None);
    };
    match version {
        None => Ok(Some(view)),
        Some(v) if Some(v) == view.policy.live_version => Ok(Some(view)),
        Some(_) if !view.is_managed_by(viewer) => Err(AppError::Forbidden),
        Some(v) => {
            let policy = view.policy;
            Ok(assemble(db, regions, vec![policy], &[(id, v)]).await?.pop())
        }
    }
}

/// Every version of a policy, newest first.
pub async fn versions(db: &DatabaseConnection, id: Uuid) -> AppResult<Vec<policy_version::Model>> {
    Ok(policy_version::Entity::find()
        .filter(policy_version::Column::PolicyId.eq(id))
        .order_by_desc(policy_version::Column::Version)
        .all(db)
        .await?)
}

/// The audit trail of a policy, oldest first.
pub async fn audit(db: &DatabaseConnection, id: Uuid) -> AppResult<Vec<policy_audit::Model>> {
    Ok(policy_audit::Entity::find()
        .filter(policy_audit::Column::PolicyId.eq(id))
        .order_by_asc(policy_audit::Column::CreatedAt)
        .order_by_asc(policy_audit::Column::Id)
        .all(db)
        .await?)
}

/// Policies that were ever published are public record; the rest are seen by their issuers and
/// ADMIN only.
fn visible_to(viewer: &Viewer) -> Condition {
    let public = policy::Column::LiveVersion.is_not_null();
    match viewer {
        Viewer::Admin { .. } => Condition::all(),
        Viewer::Department { department, .. } => Condition::any()
            .add(public)
            .add(policy::Column::LeadDepartment.eq(department.as_str()))
            .add(Expr::exists(issued_by(department, false))),
        _ => Condition::all().add(public),
    }
}

fn matching(filter: &PolicyFilterSpec, regions: &RegionCatalog) -> Condition {
    let mut condition = Condition::all()
        .add(policy::Column::Status.eq(filter.status.unwrap_or(PolicyStatus::Published)));
    if let Some(department) = &filter.department {
        condition = condition.add(Expr::exists(issued_by(department, true)));
    }
    if let Some(region) = filter.region {
        let covering: Vec<String> = regions
            .self_and_ancestors(region)
            .map(|c| c.to_string())
            .collect();
        let any_scope = shown_rows(policy_region::Entity, "r");
        let mut covers = any_scope.clone();
        covers.and_where(
            Expr::col((Alias::new("r"), policy_region::Column::RegionCode)).is_in(covering),
        );
        condition = condition.add(
            Condition::any()
                .add(Expr::exists(any_scope).not())
                .add(Expr::exists(covers)),
        );
    }
    let mut version_conditions = Condition::all();
    if let Some(kind) = filter.benefit_kind {
        version_conditions = version_conditions.add(
            Expr::col((Alias::new("v"), policy_version::Column::BenefitKind)).eq(kind.as_str()),
        );
    }
    if let Some(day) = filter.in_effect_on {
        let to = Expr::col((Alias::new("v"), policy_version::Column::EffectiveTo));
        version_conditions = version_conditions
            .add(Expr::col((Alias::new("v"), policy_version::Column::EffectiveFrom)).lte(day))
            .add(Condition::any().add(to.clone().is_null()).add(to.gte(day)));
    }
    if let Some(search) = &filter.search {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        let mut any = Condition::any();
        for column in [
            policy_version::Column::TitleZh,
            policy_version::Column::TitleEn,
            policy_version::Column::SummaryZh,
            policy_version::Column::SummaryEn,
        ] {
            any = any.add(
                Expr::expr(Func::lower(Expr::col((Alias::new("v"), column))))
                    .like(LikeExpr::new(pattern.clone()).escape('\\')),
            );
        }
        version_conditions = version_conditions.add(any);
    }
    if !version_conditions.is_empty() {
        let mut versions = shown_rows(policy_version::Entity, "v");
        versions.cond_where(version_conditions);
        condition = condition.add(Expr::exists(versions));
    }
    condition
}

/// `SELECT 1 FROM <table> AS alias` restricted to the rows of the version each policy shows.
fn shown_rows<E: EntityTrait>(entity: E, alias: &str) -> SelectStatement {
    let alias = Alias::new(alias);
    Query::select()
        .expr(Expr::val(1))
        .from_as(entity, alias.clone())
        .and_where(
            Expr::col((alias.clone(), Alias::new("policy_id")))
                .equals((policy::Entity, policy::Column::Id)),
        )
        .and_where(
            Expr::col((alias, Alias::new("version")))
                .equals((policy::Entity, policy::Column::CurrentVersion)),
        )
        .to_owned()
}

/// Issuer rows naming `department`: of the version shown, or of any version.
fn issued_by(department: &DepartmentCode, shown_version_only: bool) -> SelectStatement {
    let mut query = if shown_version_only {
        shown_rows(policy_issuer::Entity, "i")
    } else {
        Query::select()
            .expr(Expr::val(1))
            .from_as(policy_issuer::Entity, Alias::new("i"))
            .and_where(
                Expr::col((Alias::new("i"), policy_issuer::Column::PolicyId))
                    .equals((policy::Entity, policy::Column::Id)),
            )
            .to_owned()
    };
    query.and_where(
        Expr::col((Alias::new("i"), policy_issuer::Column::DepartmentCode)).eq(department.as_str()),
    );
    query
}

fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

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

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_in_a_search_are_taken_literally() {
        assert_eq!(escape_like("100%_a\\b"), "100\\%\\_a\\\\b");
    }
}
