//! Reading policies: a page of the catalog, one policy at a version, its history and audit, and
//! who may see what.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::department::DepartmentCode;
use crate::entity::{policy, policy_audit, policy_version};
use crate::error::{AppError, AppResult};
use crate::region::RegionCatalog;

use super::assemble::assemble;
use super::filter::{PolicyFilterSpec, issued_by, matching};
use super::view::PolicyView;

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

/// Every policy `department` leads or co-issues (at the version shown), in any status, newest
/// first, as its issuers see them.
pub async fn managed_by(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    department: &DepartmentCode,
) -> AppResult<Vec<PolicyView>> {
    let rows = policy::Entity::find()
        .filter(
            Condition::any()
                .add(policy::Column::LeadDepartment.eq(department.as_str()))
                .add(Expr::exists(issued_by(department, true))),
        )
        .order_by_desc(policy::Column::CreatedAt)
        .order_by_desc(policy::Column::Id)
        .all(db)
        .await?;
    let keys: Vec<(Uuid, i32)> = rows.iter().map(|p| (p.id, p.current_version)).collect();
    assemble(db, regions, rows, &keys).await
}

/// The policy `id` at `version` as stored, whoever may see it: for a record that names the
/// version it was decided on, never to answer a caller.
pub async fn stored_version(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    id: Uuid,
    version: i32,
) -> AppResult<Option<PolicyView>> {
    let Some(row) = policy::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    Ok(assemble(db, regions, vec![row], &[(id, version)])
        .await?
        .pop())
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
