//! Writing policies: drafts, versions, publication and retirement, each with its audit entry and
//! a bump of the catalog version that tells every instance to refresh its snapshot.

use chrono::{DateTime, Datelike, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use uuid::Uuid;

use super::PolicyStatus;
use super::audit::audit;
use super::content::Content;
use super::input::PolicyDraft;
use super::model::RetireReason;
use crate::auth::Viewer;
use crate::db::begin_write;
use crate::department::DepartmentCode;
use crate::eligibility::parse_rule;
use crate::entity::{
    catalog_state, department, policy, policy_document, policy_issuer, policy_region,
    policy_version,
};
use crate::error::{AppError, AppResult, InputErrors, is_unique_violation};
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

/// The policy, if the actor leads it (or is ADMIN). Others are refused without learning about
/// drafts they cannot see.
async fn managed(txn: &DatabaseTransaction, id: Uuid, actor: &Viewer) -> AppResult<policy::Model> {
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

/// What publishing requires of a stored version, in case the rules changed since it was saved.
fn check_publishable(version: &policy_version::Model, regions: &RegionCatalog) -> AppResult<()> {
    let mut errors = InputErrors::default();
    if version.title_zh.trim().is_empty() {
        errors.push("titleZh", "a policy is published with a Chinese title");
    }
    if version.summary_zh.trim().is_empty() {
        errors.push("summaryZh", "a policy is published with a Chinese summary");
    }
    if let Some(to) = version.effective_to
        && to < version.effective_from
    {
        errors.push(
            "effectiveTo",
            format!("{to} is before effectiveFrom {}", version.effective_from),
        );
    }
    if let Err(rule_errors) = parse_rule(&version.eligibility, "eligibility", regions) {
        errors.extend(rule_errors);
    }
    Ok(errors.into_result(())?)
}

async fn check_issuers(
    db: &impl ConnectionTrait,
    lead: &DepartmentCode,
    co_issuers: &[DepartmentCode],
) -> AppResult<()> {
    let mut errors = InputErrors::default();
    if co_issuers.contains(lead) {
        errors.push("input.coIssuers", "the lead issuer is not also a co-issuer");
    }
    let codes: Vec<&str> = std::iter::once(lead)
        .chain(co_issuers)
        .map(DepartmentCode::as_str)
        .collect();
    let known: Vec<String> = department::Entity::find()
        .filter(department::Column::Code.is_in(codes))
        .all(db)
        .await?
        .into_iter()
        .map(|d| d.code)
        .collect();
    let missing = |code: &DepartmentCode| !known.iter().any(|k| k == code.as_str());
    let hint = "ADMIN creates departments with upsertDepartment";
    if missing(lead) {
        errors.push("input.leadIssuer", format!("no department {lead}; {hint}"));
    }
    for (i, code) in co_issuers.iter().enumerate() {
        if missing(code) {
            errors.push(
                format!("input.coIssuers[{i}]"),
                format!("no department {code}; {hint}"),
            );
        }
    }
    Ok(errors.into_result(())?)
}

fn code_taken(err: sea_orm::DbErr, code: &str) -> AppError {
    if is_unique_violation(&err) {
        AppError::Conflict(format!("policy code {code} is taken; choose another"))
    } else {
        err.into()
    }
}

async fn stored_content(db: &impl ConnectionTrait, id: Uuid, version: i32) -> AppResult<Content> {
    let stored = policy_version::Entity::find_by_id((id, version))
        .one(db)
        .await?
        .ok_or_else(|| AppError::internal_msg(format!("policy {id} has no version {version}")))?;
    let issuers = policy_issuer::Entity::find()
        .filter(policy_issuer::Column::PolicyId.eq(id))
        .filter(policy_issuer::Column::Version.eq(version))
        .filter(policy_issuer::Column::IsLead.eq(false))
        .order_by_asc(policy_issuer::Column::Position)
        .all(db)
        .await?;
    let regions = policy_region::Entity::find()
        .filter(policy_region::Column::PolicyId.eq(id))
        .filter(policy_region::Column::Version.eq(version))
        .order_by_asc(policy_region::Column::RegionCode)
        .all(db)
        .await?;
    let documents = policy_document::Entity::find()
        .filter(policy_document::Column::PolicyId.eq(id))
        .filter(policy_document::Column::Version.eq(version))
        .order_by_asc(policy_document::Column::Position)
        .all(db)
        .await?;
    Ok(Content::of_stored(
        &stored,
        issuers.into_iter().map(|i| i.department_code).collect(),
        regions.into_iter().map(|r| r.region_code).collect(),
        &documents,
    ))
}

async fn set_version_status(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
    status: PolicyStatus,
    published_at: Option<DateTime<Utc>>,
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

/// Writes a version and its issuers, regions and documents; `replace` overwrites a draft.
#[expect(
    clippy::too_many_arguments,
    reason = "one row and its children, written together"
)]
async fn write_version(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
    draft: &PolicyDraft,
    lead: &DepartmentCode,
    actor: &Viewer,
    now: DateTime<Utc>,
    replace: bool,
) -> AppResult<()> {
    let row = policy_version::ActiveModel {
        policy_id: Set(id),
        version: Set(version),
        status: Set(PolicyStatus::Draft),
        title_zh: Set(draft.title_zh.as_str().to_owned()),
        title_en: Set(draft.title_en.clone().map(String::from)),
        summary_zh: Set(draft.summary_zh.as_str().to_owned()),
        summary_en: Set(draft.summary_en.clone().map(String::from)),
        body_zh: Set(draft.body_zh.clone().map(String::from)),
        body_en: Set(draft.body_en.clone().map(String::from)),
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
    };
    if replace {
        policy_version::Entity::update(row).exec(db).await?;
        let this =
            |policy_col: Expr, version_col: Expr| policy_col.eq(id).and(version_col.eq(version));
        policy_issuer::Entity::delete_many()
            .filter(this(
                Expr::col(policy_issuer::Column::PolicyId),
                Expr::col(policy_issuer::Column::Version),
            ))
            .exec(db)
            .await?;
        policy_region::Entity::delete_many()
            .filter(this(
                Expr::col(policy_region::Column::PolicyId),
                Expr::col(policy_region::Column::Version),
            ))
            .exec(db)
            .await?;
        policy_document::Entity::delete_many()
            .filter(this(
                Expr::col(policy_document::Column::PolicyId),
                Expr::col(policy_document::Column::Version),
            ))
            .exec(db)
            .await?;
    } else {
        policy_version::Entity::insert(row)
            .exec_without_returning(db)
            .await?;
    }
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
                title: Set(d.title.as_str().to_owned()),
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

/// Tells every instance that the published catalog changed.
pub async fn bump_catalog(db: &impl ConnectionTrait) -> AppResult<()> {
    catalog_state::Entity::update_many()
        .col_expr(
            catalog_state::Column::Version,
            Expr::col(catalog_state::Column::Version).add(1),
        )
        .filter(catalog_state::Column::Id.eq(1))
        .exec(db)
        .await?;
    Ok(())
}

/// `SZ-COMMERCE-2026-7F3A2C`: the lead, the year, and six hex digits of the id's random part.
fn generated_code(lead: &DepartmentCode, id: Uuid, year: i32) -> String {
    let hex = id.simple().to_string().to_ascii_uppercase();
    format!("{lead}-{year}-{}", &hex[hex.len() - 6..])
}
