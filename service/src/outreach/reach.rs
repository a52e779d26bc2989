//! Who may read a policy's reach, and the SQL conditions its figures and lists count over.

use sea_orm::sea_query::{Expr, ExprTrait};
use uuid::Uuid;

use super::unreached::{FunnelStage, stuck_at};
use crate::auth::{Role, Viewer};
use crate::eligibility::service::compile;
use crate::eligibility::sql::inside;
use crate::error::{AppError, AppResult};
use crate::policy::{PolicyView, catalog};
use crate::region::{RegionCatalog, RegionCode};
use crate::state::Base;

/// The policy as a reader of its reach may see it: an issuer, SYSTEM or ADMIN.
pub async fn reach_reader(base: &Base, viewer: &Viewer, policy_id: Uuid) -> AppResult<PolicyView> {
    viewer.require(&[Role::Department, Role::System, Role::Admin])?;
    let view = catalog::get(&base.db, &base.regions, viewer, policy_id, None)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no policy {policy_id}")))?;
    if matches!(viewer, Viewer::Department { .. }) && !view.is_managed_by(viewer) {
        return Err(AppError::Forbidden);
    }
    Ok(view)
}

/// The audience condition of a policy's shown version.
pub fn audience_of(regions: &RegionCatalog, view: &PolicyView) -> AppResult<Expr> {
    Ok(compile(view, regions)?.audience_sql(regions))
}

/// The firms of a policy's audience still at `stage`, within `region` when given: what both
/// `unreachedFirms` and the CSV export list.
pub fn unreached_condition(
    regions: &RegionCatalog,
    view: &PolicyView,
    stage: FunnelStage,
    region: Option<RegionCode>,
) -> AppResult<Expr> {
    let mut condition = audience_of(regions, view)?.and(stuck_at(view.policy.id, stage));
    if let Some(region) = region {
        condition = condition.and(inside(region, regions));
    }
    Ok(condition)
}
