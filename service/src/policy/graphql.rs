use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::catalog;
use super::view::PolicyView;
use super::{BenefitKind, DocumentKind, PolicyStatus};
use crate::auth::Role;
use crate::department::Department;
use crate::eligibility::{describe, parse_rule};
use crate::error::AppError;
use crate::graphql::{Date, Lang, base, lang, read_database, viewer};
use crate::region::Region;

/// A preferential policy, at one of its versions.
pub struct Policy(pub Arc<PolicyView>);

/// A link to the text of a policy.
#[derive(SimpleObject)]
pub struct Document {
    title: String,
    url: String,
    kind: DocumentKind,
    lang: Option<String>,
}

/// One change to a policy: who, when, what.
#[derive(SimpleObject)]
pub struct PolicyAuditEntry {
    /// CREATE, UPDATE, PUBLISH, RETIRE, or ELIGIBILITY: a department read a firm's facts
    /// through the version's rule (`eligibility`).
    action: String,
    version: i32,
    actor_role: Role,
    actor_subject: String,
    actor_department: Option<String>,
    /// CREATE: the content; UPDATE: `{field: {from, to}}`; PUBLISH: the version; RETIRE: the
    /// reason; ELIGIBILITY: `{firm, withDeclaration}`.
    changes: serde_json::Value,
    at: DateTime<Utc>,
}

/// One version in a policy's history.
#[derive(SimpleObject)]
pub struct PolicyVersionInfo {
    version: i32,
    status: PolicyStatus,
    published_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
}

fn pick<'a>(
    ctx: &Context<'_>,
    lang_arg: Option<Lang>,
    zh: &'a str,
    en: Option<&'a str>,
) -> &'a str {
    match (lang_arg.unwrap_or_else(|| lang(ctx)), en) {
        (Lang::En, Some(en)) => en,
        _ => zh,
    }
}

#[Object]
impl Policy {
    async fn id(&self) -> ID {
        ID(self.0.policy.id.to_string())
    }

    async fn code(&self) -> &str {
        &self.0.policy.code
    }

    async fn status(&self) -> PolicyStatus {
        self.0.policy.status
    }

    /// The version this object shows (the live one, for published policies).
    async fn version(&self) -> i32 {
        self.0.version.version
    }

    /// The status of the version shown.
    async fn version_status(&self) -> PolicyStatus {
        self.0.version.status
    }

    /// The title in the caller's language (`lang`, else `Accept-Language`), Chinese when missing.
    async fn title(&self, ctx: &Context<'_>, lang: Option<Lang>) -> &str {
        let v = &self.0.version;
        pick(ctx, lang, &v.title_zh, v.title_en.as_deref())
    }

    async fn summary(&self, ctx: &Context<'_>, lang: Option<Lang>) -> &str {
        let v = &self.0.version;
        pick(ctx, lang, &v.summary_zh, v.summary_en.as_deref())
    }

    /// The full text, Markdown.
    async fn body(&self, ctx: &Context<'_>, lang: Option<Lang>) -> Option<&str> {
        let v = &self.0.version;
        let zh = v.body_zh.as_deref()?;
        Some(pick(ctx, lang, zh, v.body_en.as_deref()))
    }

    async fn title_zh(&self) -> &str {
        &self.0.version.title_zh
    }

    async fn title_en(&self) -> Option<&str> {
        self.0.version.title_en.as_deref()
    }

    async fn summary_zh(&self) -> &str {
        &self.0.version.summary_zh
    }

    async fn summary_en(&self) -> Option<&str> {
        self.0.version.summary_en.as_deref()
    }

    async fn body_zh(&self) -> Option<&str> {
        self.0.version.body_zh.as_deref()
    }

    async fn body_en(&self) -> Option<&str> {
        self.0.version.body_en.as_deref()
    }

    async fn benefit_kind(&self) -> BenefitKind {
        self.0.version.benefit_kind
    }

    async fn lead_issuer(&self) -> async_graphql::Result<Department> {
        self.0
            .issuers
            .first()
            .cloned()
            .map(Department::from)
            .ok_or_else(|| {
                AppError::internal_msg(format!("policy {} has no issuer", self.0.policy.id)).into()
            })
    }

    /// Lead first, then co-issuers.
    async fn issuers(&self) -> Vec<Department> {
        self.0
            .issuers
            .iter()
            .cloned()
            .map(Department::from)
            .collect()
    }

    /// The regions covered; empty means nationwide.
    async fn regions(&self, ctx: &Context<'_>) -> Vec<Region> {
        let regions = &base(ctx).regions;
        self.0
            .regions
            .iter()
            .map(|c| Region::new(regions, *c))
            .collect()
    }

    async fn effective_from(&self) -> Date {
        Date(self.0.version.effective_from)
    }

    async fn effective_to(&self) -> Option<Date> {
        self.0.version.effective_to.map(Date)
    }

    async fn apply_deadline(&self) -> Option<Date> {
        self.0.version.apply_deadline.map(Date)
    }

    async fn apply_url(&self) -> Option<&str> {
        self.0.version.apply_url.as_deref()
    }

    /// Granted without application.
    async fn auto_enjoy(&self) -> bool {
        self.0.version.auto_enjoy
    }

    async fn source_url(&self) -> Option<&str> {
        self.0.version.source_url.as_deref()
    }

    /// The paper and electronic versions of the policy text.
    async fn documents(&self) -> Vec<Document> {
        self.0
            .documents
            .iter()
            .map(|d| Document {
                title: d.title.clone(),
                url: d.url.clone(),
                kind: d.kind,
                lang: d.lang.clone(),
            })
            .collect()
    }

    /// The eligibility rule (DESIGN §6), as stored.
    async fn eligibility(&self) -> &serde_json::Value {
        &self.0.version.eligibility
    }

    /// The rule as a sentence, in the caller's language.
    async fn eligibility_text(
        &self,
        ctx: &Context<'_>,
        lang: Option<Lang>,
    ) -> async_graphql::Result<String> {
        let regions = &base(ctx).regions;
        let rule =
            parse_rule(&self.0.version.eligibility, "eligibility", regions).map_err(|e| {
                AppError::internal_msg(format!(
                    "stored rule of {} is invalid: {e:?}",
                    self.0.policy.id
                ))
            })?;
        Ok(describe(
            &rule,
            regions,
            lang.unwrap_or_else(|| crate::graphql::lang(ctx)).into(),
        ))
    }

    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.version.published_at
    }

    /// Who created, edited, published and retired it, and which firms departments checked through
    /// it, oldest first (issuers and ADMIN).
    async fn audit(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PolicyAuditEntry>> {
        read_database(ctx);
        if !self.0.is_managed_by(viewer(ctx)) {
            return Err(AppError::Forbidden.into());
        }
        let entries = catalog::audit(&base(ctx).db, self.0.policy.id).await?;
        Ok(entries
            .into_iter()
            .map(|e| PolicyAuditEntry {
                action: e.action,
                version: e.version,
                actor_role: e.actor_role,
                actor_subject: e.actor_subject,
                actor_department: e.actor_department,
                changes: e.changes,
                at: e.created_at,
            })
            .collect())
    }

    /// Every version, newest first (issuers and ADMIN).
    async fn versions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PolicyVersionInfo>> {
        read_database(ctx);
        if !self.0.is_managed_by(viewer(ctx)) {
            return Err(AppError::Forbidden.into());
        }
        let versions = catalog::versions(&base(ctx).db, self.0.policy.id).await?;
        Ok(versions
            .into_iter()
            .map(|v| PolicyVersionInfo {
                version: v.version,
                status: v.status,
                published_at: v.published_at,
                created_at: v.created_at,
            })
            .collect())
    }
}
