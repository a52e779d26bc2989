//! A policy version's rows: the version with its issuers, regions and documents, written and
//! read back for comparison, its status, and what it must hold to be published.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use uuid::Uuid;

use super::PolicyStatus;
use super::content::Content;
use super::input::PolicyDraft;
use crate::auth::Viewer;
use crate::department::DepartmentCode;
use crate::eligibility::parse_rule;
use crate::entity::{department, policy_document, policy_issuer, policy_region, policy_version};
use crate::error::{AppError, AppResult, InputErrors, is_unique_violation};
use crate::region::RegionCatalog;

/// What publishing requires of a stored version, in case the rules changed since it was saved.
pub(super) fn check_publishable(
    version: &policy_version::Model,
    regions: &RegionCatalog,
) -> AppResult<()> {
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
        errors.extend(rule_errors.into());
    }
    Ok(errors.into_result(())?)
}

pub(super) async fn check_issuers(
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

pub(super) fn code_taken(err: sea_orm::DbErr, code: &str) -> AppError {
    if is_unique_violation(&err) {
        AppError::Conflict(format!("policy code {code} is taken; choose another"))
    } else {
        err.into()
    }
}

pub(super) async fn stored_content(
    db: &impl ConnectionTrait,
    id: Uuid,
    version: i32,
) -> AppResult<Content> {
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

pub(super) async fn set_version_status(
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
pub(super) async fn write_version(
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

/// `SZ-COMMERCE-2026-7F3A2C`: the lead, the year, and six hex digits of the id's random part.
pub(super) fn generated_code(lead: &DepartmentCode, id: Uuid, year: i32) -> String {
    let hex = id.simple().to_string().to_ascii_uppercase();
    format!("{lead}-{year}-{}", &hex[hex.len() - 6..])
}
