use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::catalog::{self, PolicyFilterSpec, PolicyView};
use super::{BenefitKind, DocumentKind, PolicyStatus};
use crate::department::{Department, DepartmentCode};
use crate::eligibility::{describe, parse_rule};
use crate::error::{AppError, InputErrors};
use crate::graphql::pagination::{CountedConnection, Page};
use crate::graphql::{Date, Lang, lang, state, viewer};
use crate::region::Region;

/// A preferential policy, at one of its versions.
pub struct Policy(pub PolicyView);

/// A link to the text of a policy.
#[derive(SimpleObject)]
pub struct Document {
    title: String,
    url: String,
    kind: DocumentKind,
    lang: Option<String>,
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
        let regions = &state(ctx).regions;
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
        let regions = &state(ctx).regions;
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
            lang.unwrap_or_else(|| crate::graphql::lang(ctx)),
        ))
    }

    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.version.published_at
    }

    /// Every version, newest first (issuers and ADMIN).
    async fn versions(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PolicyVersionInfo>> {
        if !self.0.is_managed_by(viewer(ctx)) {
            return Err(AppError::Forbidden.into());
        }
        let versions = catalog::versions(&state(ctx).db, self.0.policy.id).await?;
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

/// Which policies to list.
#[derive(InputObject, Default)]
pub struct PolicyFilter {
    /// Policies that cover a firm registered in this region (GB/T 2260), nationwide ones included.
    pub region: Option<String>,
    /// Policies this department issued or co-issued.
    pub department: Option<String>,
    pub benefit_kind: Option<BenefitKind>,
    /// Absent: PUBLISHED. Drafts are listed for their issuers and ADMIN only.
    pub status: Option<PolicyStatus>,
    /// Policies in effect on this date.
    pub in_effect_on: Option<Date>,
    /// Words in the title or summary, either language.
    pub search: Option<String>,
}

impl PolicyFilter {
    fn validate(
        self,
        regions: &crate::region::RegionCatalog,
    ) -> Result<PolicyFilterSpec, InputErrors> {
        let mut errors = InputErrors::default();
        let region = self
            .region
            .and_then(|r| errors.check("filter.region", regions.parse(&r)));
        let department = self
            .department
            .and_then(|d| errors.check("filter.department", DepartmentCode::parse(&d)));
        let search = self
            .search
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty());
        if search.as_ref().is_some_and(|s| s.chars().count() > 100) {
            errors.push("filter.search", "at most 100 characters");
        }
        errors.into_result(PolicyFilterSpec {
            region,
            department,
            benefit_kind: self.benefit_kind,
            status: self.status,
            in_effect_on: self.in_effect_on.map(|d| d.0),
            search,
        })
    }
}

/// Policy reads.
#[derive(Default)]
pub struct PolicyQuery;

#[Object]
impl PolicyQuery {
    /// One policy. A version other than the live one: its issuers and ADMIN only.
    async fn policy(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: Option<i32>,
    ) -> async_graphql::Result<Option<Policy>> {
        let id =
            Uuid::parse_str(&id).map_err(|_| AppError::field("id", "not a policy id (a UUID)"))?;
        let app = state(ctx);
        let view = catalog::get(&app.db, &app.regions, viewer(ctx), id, version).await?;
        Ok(view.map(Policy))
    }

    /// The catalog, newest first.
    async fn policies(
        &self,
        ctx: &Context<'_>,
        filter: Option<PolicyFilter>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CountedConnection<Policy>> {
        let page = Page::parse(first, after)?;
        let app = state(ctx);
        let filter = filter.unwrap_or_default().validate(&app.regions)?;
        let (views, total) = catalog::list(
            &app.db,
            &app.regions,
            viewer(ctx),
            &filter,
            page.offset,
            page.limit,
        )
        .await?;
        Ok(page.connection(views.into_iter().map(Policy).collect(), total))
    }
}
