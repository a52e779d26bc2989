//! Writing policies: drafts, versions, publication and retirement, each with its audit entry and
//! a bump of the catalog version that tells every instance to refresh its snapshot.

use chrono::{DateTime, Datelike, Utc};
use sea_orm::{
    ActiveModelTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, IntoActiveModel, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::PolicyStatus;
use super::audit::audit;
use super::content::Content;
use super::input::PolicyDraft;
use super::live::bump_catalog;
use super::model::RetireReason;
use super::permission::managed;
use super::version::{
    check_issuers, check_publishable, code_taken, generated_code, set_version_status,
    stored_content, write_version,
};
use crate::auth::Viewer;
use crate::db::begin_write;
use crate::department::DepartmentCode;
use crate::entity::{policy, policy_version};
use crate::error::{AppError, AppResult};
use crate::region::RegionCatalog;

/// Whether a publish or retire changed anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Done,
    AlreadySo,
}

/// Creates a policy with `draft` as its first (draft) version. A department leads what it creates;
/// ADMIN names the lead.
pub async fn create(
    db: &DatabaseConnection,
    draft: &PolicyDraft,
    actor: &Viewer,
    now: DateTime<Utc>,
) -> AppResult<Uuid> {
    let txn = begin_write(db).await?;
    let id = create_in(&txn, draft, actor, now).await?;
    txn.commit().await?;
    Ok(id)
}

/// [`create`] inside the caller's transaction (bulk import writes many in one).
pub async fn create_in(
    txn: &DatabaseTransaction,
    draft: &PolicyDraft,
    actor: &Viewer,
    now: DateTime<Utc>,
) -> AppResult<Uuid> {
    let lead = match (actor, &draft.lead_issuer) {
        (Viewer::Department { department, .. }, None) => department.clone(),
        (Viewer::Department { department, .. }, Some(lead)) if lead == department => lead.clone(),
        (Viewer::Department { .. }, Some(_)) => {
            return Err(AppError::field(
                "input.leadIssuer",
                "only ADMIN names the lead issuer; a department always leads what it creates",
            ));
        }
        (Viewer::Admin { .. }, Some(lead)) => lead.clone(),
        (Viewer::Admin { .. }, None) => {
            return Err(AppError::field(
                "input.leadIssuer",
                "ADMIN must name the lead issuer",
            ));
        }
        _ => return Err(AppError::Forbidden),
    };
    check_issuers(txn, &lead, &draft.co_issuers).await?;
    let id = Uuid::now_v7();
    let code = draft
        .code
        .clone()
        .unwrap_or_else(|| generated_code(&lead, id, now.year()));
    let inserted = policy::Entity::insert(policy::ActiveModel {
        id: Set(id),
        code: Set(code.clone()),
        status: Set(PolicyStatus::Draft),
        lead_department: Set(lead.to_string()),
        current_version: Set(1),
        live_version: Set(None),
        latest_version: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
        retired_at: Set(None),
        retire_reason: Set(None),
    })
    .exec_without_returning(txn)
    .await;
    if let Err(err) = inserted {
        return Err(code_taken(err, &code));
    }
    write_version(txn, id, 1, draft, &lead, actor, now, false).await?;
    let content = Content::of_draft(draft).to_json();
    audit(
        txn,
        id,
        1,
        "CREATE",
        actor,
        json!({"code": code, "lead": lead.as_str(), "content": content}),
        now,
    )
    .await?;
    Ok(id)
}

/// Edits a policy and returns the version edited: a draft changes in place; a published policy
/// gets a new draft version while the published one stays live.
pub async fn update(
    db: &DatabaseConnection,
    id: Uuid,
    draft: &PolicyDraft,
    actor: &Viewer,
    now: DateTime<Utc>,
) -> AppResult<i32> {
    let txn = begin_write(db).await?;
    let row = managed(&txn, id, actor).await?;
    if row.status == PolicyStatus::Retired {
        return Err(AppError::Conflict(format!(
            "policy {} is retired and cannot be edited; create a new policy instead",
            row.code
        )));
    }
    let lead = match (&draft.lead_issuer, actor) {
        (None, _) => DepartmentCode::parse(&row.lead_department).map_err(AppError::internal_msg)?,
        (Some(lead), Viewer::Admin { .. }) => lead.clone(),
        (Some(lead), _) if lead.as_str() == row.lead_department => lead.clone(),
        (Some(_), _) => {
            return Err(AppError::field(
                "input.leadIssuer",
                "only ADMIN changes the lead issuer",
            ));
        }
    };
    let code = draft.code.clone().unwrap_or_else(|| row.code.clone());
    if row.live_version.is_some() && (code != row.code || lead.as_str() != row.lead_department) {
        let field = if code != row.code {
            "input.code"
        } else {
            "input.leadIssuer"
        };
        return Err(AppError::field(
            field,
            "a published policy keeps its code and lead issuer; they change only while it is a draft",
        ));
    }
    check_issuers(&txn, &lead, &draft.co_issuers).await?;
    let before = stored_content(&txn, id, row.latest_version).await?;
    let new_version = row.live_version == Some(row.latest_version);
    let version = if new_version {
        row.latest_version + 1
    } else {
        row.latest_version
    };
    write_version(&txn, id, version, draft, &lead, actor, now, !new_version).await?;

    let mut active = row.clone().into_active_model();
    active.code = Set(code.clone());
    active.lead_department = Set(lead.to_string());
    active.latest_version = Set(version);
    if row.status == PolicyStatus::Draft {
        active.current_version = Set(version);
    }
    active.updated_at = Set(now);
    if let Err(err) = active.update(&txn).await {
        return Err(code_taken(err, &code));
    }
    let mut changes = Content::of_draft(draft).changes_from(&before);
    if code != row.code {
        changes["code"] = json!({"from": row.code, "to": code});
    }
    if lead.as_str() != row.lead_department {
        changes["lead"] = json!({"from": row.lead_department, "to": lead.as_str()});
    }
    audit(
        &txn,
        id,
        version,
        "UPDATE",
        actor,
        json!({"newVersion": new_version, "changes": changes}),
        now,
    )
    .await?;
    // The live version is untouched: no instance needs to reload.
    txn.commit().await?;
    Ok(version)
}

/// Publishes the latest version: it becomes the live one and the previous live version retires.
pub async fn publish(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    id: Uuid,
    actor: &Viewer,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let txn = begin_write(db).await?;
    let change = publish_in(&txn, regions, id, actor, now).await?;
    txn.commit().await?;
    Ok(change)
}

/// [`publish`] inside the caller's transaction.
pub async fn publish_in(
    txn: &DatabaseTransaction,
    regions: &RegionCatalog,
    id: Uuid,
    actor: &Viewer,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let row = managed(txn, id, actor).await?;
    if row.status == PolicyStatus::Retired {
        return Err(AppError::Conflict(format!(
            "policy {} is retired; it cannot be published again",
            row.code
        )));
    }
    let version = row.latest_version;
    if row.live_version == Some(version) {
        return Ok(Change::AlreadySo);
    }
    let stored = policy_version::Entity::find_by_id((id, version))
        .one(txn)
        .await?
        .ok_or_else(|| AppError::internal_msg(format!("policy {id} has no version {version}")))?;
    check_publishable(&stored, regions)?;
    if let Some(previous) = row.live_version {
        set_version_status(txn, id, previous, PolicyStatus::Retired, None).await?;
    }
    set_version_status(txn, id, version, PolicyStatus::Published, Some(now)).await?;
    let mut active = row.into_active_model();
    active.status = Set(PolicyStatus::Published);
    active.live_version = Set(Some(version));
    active.current_version = Set(version);
    active.updated_at = Set(now);
    active.update(txn).await?;
    audit(
        txn,
        id,
        version,
        "PUBLISH",
        actor,
        json!({"version": version}),
        now,
    )
    .await?;
    bump_catalog(txn).await?;
    Ok(Change::Done)
}

/// Withdraws a policy: it leaves the catalog and filings; its history stays.
pub async fn retire(
    db: &DatabaseConnection,
    id: Uuid,
    reason: Option<RetireReason>,
    actor: &Viewer,
    now: DateTime<Utc>,
) -> AppResult<Change> {
    let txn = begin_write(db).await?;
    let row = managed(&txn, id, actor).await?;
    if row.status == PolicyStatus::Retired {
        return Ok(Change::AlreadySo);
    }
    if let Some(live) = row.live_version {
        set_version_status(&txn, id, live, PolicyStatus::Retired, None).await?;
    }
    let version = row.current_version;
    let mut active = row.into_active_model();
    active.status = Set(PolicyStatus::Retired);
    active.retired_at = Set(Some(now));
    active.retire_reason = Set(reason.clone().map(String::from));
    active.updated_at = Set(now);
    active.update(&txn).await?;
    audit(
        &txn,
        id,
        version,
        "RETIRE",
        actor,
        json!({"reason": reason}),
        now,
    )
    .await?;
    bump_catalog(&txn).await?;
    txn.commit().await?;
    Ok(Change::Done)
}
