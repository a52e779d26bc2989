//! Writing policies: drafts, versions and publication, each with its audit entry.

use chrono::{Datelike, Utc};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::PolicyStatus;
use super::input::PolicyDraft;
use crate::auth::Viewer;
use crate::db::begin_write;
use crate::department::{DepartmentCode, service as departments};
use crate::entity::{
    policy, policy_audit, policy_document, policy_issuer, policy_region, policy_version,
};
use crate::error::{AppError, AppResult, is_unique_violation};

/// Creates a policy with `draft` as its first (draft) version. A department leads what it creates;
/// ADMIN names the lead.
pub async fn create(
    db: &DatabaseConnection,
    draft: &PolicyDraft,
    actor: &Viewer,
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
    check_departments_exist(db, &lead, &draft.co_issuers).await?;

    let id = Uuid::now_v7();
    let now = Utc::now();
    let code = draft
        .code
        .clone()
        .unwrap_or_else(|| generated_code(&lead, id, now.year()));
    let txn = begin_write(db).await?;
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
    .exec_without_returning(&txn)
    .await;
    if let Err(err) = inserted {
        return Err(if is_unique_violation(&err) {
            AppError::Conflict(format!("policy code {code} is taken; choose another"))
        } else {
            err.into()
        });
    }
    insert_version(&txn, id, 1, draft, &lead, actor, now).await?;
    audit(
        &txn,
        id,
        1,
        "CREATE",
        actor,
        json!({"code": code, "titleZh": draft.title_zh}),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Publishes the latest version: it becomes the live one and the previous live version retires.
pub async fn publish(db: &DatabaseConnection, id: Uuid, actor: &Viewer) -> AppResult<()> {
    let now = Utc::now();
    let txn = begin_write(db).await?;
    let Some(row) = policy::Entity::find_by_id(id).one(&txn).await? else {
        return Err(AppError::NotFound(format!("no policy {id}")));
    };
    let version = row.latest_version;
    if let Some(previous) = row.live_version.filter(|v| *v != version) {
        set_version_status(&txn, id, previous, PolicyStatus::Retired, None).await?;
    }
    set_version_status(&txn, id, version, PolicyStatus::Published, Some(now)).await?;
    let mut active = row.into_active_model();
    active.status = Set(PolicyStatus::Published);
    active.live_version = Set(Some(version));
    active.current_version = Set(version);
    active.updated_at = Set(now);
    active.retired_at = Set(None);
    active.retire_reason = Set(None);
    active.update(&txn).await?;
    audit(
        &txn,
        id,
        version,
        "PUBLISH",
        actor,
        json!({"version": version}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

async fn set_version_status(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
    status: PolicyStatus,
    published_at: Option<chrono::DateTime<Utc>>,
) -> AppResult<()> {
    let mut active = policy_version::ActiveModel {
        policy_id: Set(id),
        version: Set(version),
        status: Set(status),
        ..Default::default()
    };
    if published_at.is_some() {
        active.published_at = Set(published_at);
    }
    policy_version::Entity::update(active).exec(db).await?;
    Ok(())
}

async fn check_departments_exist(
    db: &DatabaseConnection,
    lead: &DepartmentCode,
    co_issuers: &[DepartmentCode],
) -> AppResult<()> {
    if !departments::exists(db, lead).await? {
        return Err(AppError::field(
            "input.leadIssuer",
            format!("no department {lead}; ADMIN creates departments with upsertDepartment"),
        ));
    }
    for (i, code) in co_issuers.iter().enumerate() {
        if !departments::exists(db, code).await? {
            return Err(AppError::field(
                format!("input.coIssuers[{i}]"),
                format!("no department {code}; ADMIN creates departments with upsertDepartment"),
            ));
        }
    }
    Ok(())
}

async fn insert_version(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
    draft: &PolicyDraft,
    lead: &DepartmentCode,
    actor: &Viewer,
    now: chrono::DateTime<Utc>,
) -> AppResult<()> {
    policy_version::Entity::insert(policy_version::ActiveModel {
        policy_id: Set(id),
        version: Set(version),
        status: Set(PolicyStatus::Draft),
        title_zh: Set(draft.title_zh.clone()),
        title_en: Set(draft.title_en.clone()),
        summary_zh: Set(draft.summary_zh.clone()),
        summary_en: Set(draft.summary_en.clone()),
        body_zh: Set(draft.body_zh.clone()),
        body_en: Set(draft.body_en.clone()),
        benefit_kind: Set(draft.benefit_kind),
        effective_from: Set(draft.effective_from),
        effective_to: Set(draft.effective_to),
        apply_deadline: Set(draft.apply_deadline),
        apply_url: Set(draft.apply_url.clone()),
        auto_enjoy: Set(draft.auto_enjoy),
        source_url: Set(draft.source_url.clone()),
        eligibility: Set(draft.eligibility.clone()),
        created_by: Set(actor.subject().unwrap_or_default().to_owned()),
        created_at: Set(now),
        published_at: Set(None),
    })
    .exec_without_returning(db)
    .await?;

    let issuers = std::iter::once((lead, true))
        .chain(draft.co_issuers.iter().map(|c| (c, false)))
        .enumerate()
        .map(|(position, (code, is_lead))| policy_issuer::ActiveModel {
            policy_id: Set(id),
            version: Set(version),
            department_code: Set(code.to_string()),
            is_lead: Set(is_lead),
            position: Set(position as i16),
        });
    policy_issuer::Entity::insert_many(issuers)
        .exec_without_returning(db)
        .await?;
    if !draft.regions.is_empty() {
        policy_region::Entity::insert_many(draft.regions.iter().map(|code| {
            policy_region::ActiveModel {
                policy_id: Set(id),
                version: Set(version),
                region_code: Set(code.to_string()),
            }
        }))
        .exec_without_returning(db)
        .await?;
    }
    if !draft.documents.is_empty() {
        policy_document::Entity::insert_many(draft.documents.iter().enumerate().map(
            |(position, d)| policy_document::ActiveModel {
                policy_id: Set(id),
                version: Set(version),
                position: Set(position as i16),
                title: Set(d.title.clone()),
                url: Set(d.url.clone()),
                kind: Set(d.kind),
                lang: Set(d.lang.clone()),
            },
        ))
        .exec_without_returning(db)
        .await?;
    }
    Ok(())
}

async fn audit(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
    action: &str,
    actor: &Viewer,
    changes: serde_json::Value,
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
        created_at: Set(Utc::now()),
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// `SZ-COMMERCE-2026-7F3A2C`: the lead, the year, and six hex digits of the id's random part.
fn generated_code(lead: &DepartmentCode, id: Uuid, year: i32) -> String {
    let hex = id.simple().to_string().to_ascii_uppercase();
    format!("{lead}-{year}-{}", &hex[hex.len() - 6..])
}
