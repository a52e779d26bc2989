use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object};

use super::filter::PolicyFilterSpec;
use super::graphql::Policy;
use super::live::LiveCatalog;
use super::mutation::policy_id;
use super::{BenefitKind, PolicyStatus};
use super::{catalog, published};
use crate::department::DepartmentCode;
use crate::error::InputErrors;
use crate::graphql::pagination::{CountedConnection, Page};
use crate::graphql::{Date, base, dep, entity_or_null, read_database, read_snapshot, viewer};
use crate::region::RegionCatalog;
use crate::text::Text;

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
    fn validate(self, regions: &RegionCatalog) -> Result<PolicyFilterSpec, InputErrors> {
        let mut errors = InputErrors::default();
        let region = self
            .region
            .and_then(|r| errors.check("filter.region", regions.parse(&r)));
        let department = self
            .department
            .and_then(|d| errors.check("filter.department", DepartmentCode::parse(&d)));
        let search = errors
            .check_optional(
                "filter.search",
                Text::<100>::parse_optional(self.search.as_deref()),
            )
            .map(|words| String::from(words).to_lowercase());
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

/// Federation: a `Policy` another subgraph names by `id`, resolved as `policy(id)` is, under the
/// same permissions.
#[derive(Default)]
pub struct PolicyEntities;

#[Object]
impl PolicyEntities {
    #[graphql(entity)]
    async fn find_policy_by_id(&self, ctx: &Context<'_>, id: ID) -> Option<Policy> {
        entity_or_null(ctx, PolicyQuery.policy(ctx, id, None).await)
    }
}

/// Policy reads.
#[derive(Default)]
pub struct PolicyQuery;

#[Object]
impl PolicyQuery {
    /// One policy. A version other than the live one: its issuers and ADMIN only.
    pub(super) async fn policy(
        &self,
        ctx: &Context<'_>,
        id: ID,
        version: Option<i32>,
    ) -> async_graphql::Result<Option<Policy>> {
        let id = policy_id(&id)?;
        // A published policy at its live version: from the live catalog, no database read.
        let live = dep::<Arc<LiveCatalog>>(ctx).snapshot();
        if let Some(view) = published::policy(&live, id, version) {
            read_snapshot(ctx, live.version);
            return Ok(Some(Policy(view)));
        }
        read_database(ctx);
        let app = base(ctx);
        let view = catalog::get(&app.db, &app.regions, viewer(ctx), id, version).await?;
        Ok(view.map(|v| Policy(Arc::new(v))))
    }

    /// The catalog, newest first.
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn policies(
        &self,
        ctx: &Context<'_>,
        filter: Option<PolicyFilter>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CountedConnection<Policy>> {
        let page = Page::parse(first, after)?;
        let app = base(ctx);
        let filter = filter.unwrap_or_default().validate(&app.regions)?;
        // Published policies: from the live catalog, no database read.
        let live = dep::<Arc<LiveCatalog>>(ctx).snapshot();
        if let Some((views, total)) =
            published::page(&live, &app.regions, &filter, page.offset, page.limit)
        {
            read_snapshot(ctx, live.version);
            return Ok(page.connection(views.into_iter().map(Policy).collect(), total));
        }
        read_database(ctx);
        let (views, total) = catalog::list(
            &app.db,
            &app.regions,
            viewer(ctx),
            &filter,
            page.offset,
            page.limit,
        )
        .await?;
        Ok(page.connection(
            views.into_iter().map(|v| Policy(Arc::new(v))).collect(),
            total,
        ))
    }
}
