//! A policy's audit trail: who created, edited, published and retired it, and which firms its
//! departments looked into through it.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, EntityTrait, Set};
use serde_json::json;
use uuid::Uuid;

use crate::auth::Viewer;
use crate::entity::policy_audit;
use crate::error::AppResult;
use crate::firm::Uscc;

/// Adds an entry: `action` by `actor` on `version` at `at`, with what it changed.
pub(crate) async fn audit(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
    action: &str,
    actor: &Viewer,
    changes: serde_json::Value,
    at: DateTime<Utc>,
) -> AppResult<()> {
    policy_audit::Entity::insert(policy_audit::ActiveModel {
        id: Set(Uuid::now_v7()),
        policy_id: Set(id),
        version: Set(version),
        action: Set(action.to_owned()),
        actor_role: Set(actor.role()),
        actor_subject: Set(actor.subject().unwrap_or_default().to_owned()),
        actor_department: Set(actor.department().map(ToString::to_string)),
        changes: Set(changes),
        created_at: Set(at),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Records that `actor` read `firm`'s facts through `version`'s rule (`eligibility`).
pub async fn firm_checked(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
    actor: &Viewer,
    firm: &Uscc,
    declaration: bool,
    at: DateTime<Utc>,
) -> AppResult<()> {
    audit(
        db,
        id,
        version,
        ELIGIBILITY,
        actor,
        json!({"firm": firm.as_str(), "withDeclaration": declaration}),
        at,
    )
    .await
}

/// The action of a department's `eligibility` read.
pub const ELIGIBILITY: &str = "ELIGIBILITY";
