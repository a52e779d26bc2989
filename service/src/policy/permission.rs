//! Who may change a policy: its lead issuer and ADMIN. Others are refused, and learn nothing of
//! drafts they cannot see.

use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::auth::Viewer;
use crate::entity::{policy, policy_issuer};
use crate::error::{AppError, AppResult};

/// The policy, if the actor leads it (or is ADMIN). Others are refused without learning about
/// drafts they cannot see.
pub(super) async fn managed(
    txn: &DatabaseTransaction,
    id: Uuid,
    actor: &Viewer,
) -> AppResult<policy::Model> {
    let not_found = || AppError::NotFound(format!("no policy {id}"));
    // Locked until the transaction ends (PostgreSQL; SQLite's BEGIN IMMEDIATE already
    // serialises writers), so an edit and a publish of one policy cannot interleave.
    let row = policy::Entity::find_by_id(id)
        .lock_exclusive()
        .one(txn)
        .await?
        .ok_or_else(not_found)?;
    let visible = match actor {
        Viewer::Admin { .. } => return Ok(row),
        Viewer::Department { department, .. } if row.lead_department == department.as_str() => {
            return Ok(row);
        }
        Viewer::Department { department, .. } => {
            row.live_version.is_some()
                || policy_issuer::Entity::find()
                    .filter(policy_issuer::Column::PolicyId.eq(id))
                    .filter(policy_issuer::Column::DepartmentCode.eq(department.as_str()))
                    .one(txn)
                    .await?
                    .is_some()
        }
        _ => row.live_version.is_some(),
    };
    Err(if visible {
        AppError::Forbidden
    } else {
        not_found()
    })
}
