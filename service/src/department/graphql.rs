use std::sync::Arc;

use async_graphql::{ComplexObject, Context, InputObject, Object, SimpleObject};

use super::service;
use crate::auth::Role;
use crate::entity::department;
use crate::error::AppError;
use crate::graphql::{Lang, base, dep, entity_or_null, lang, viewer};
use crate::policy::live::LiveCatalog;
use crate::region::Region;

/// An issuing body: a bureau of commerce, a branch of the central bank, a customs district.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Department {
    /// Stable code, like SZ-COMMERCE.
    pub code: String,
    pub name_zh: String,
    pub name_en: Option<String>,
    #[graphql(skip)]
    pub region_code: Option<String>,
}

impl From<department::Model> for Department {
    fn from(m: department::Model) -> Department {
        Department {
            code: m.code,
            name_zh: m.name_zh,
            name_en: m.name_en,
            region_code: m.region_code,
        }
    }
}

#[ComplexObject]
impl Department {
    /// The name in the caller's language, Chinese when there is no English name.
    async fn name(&self, ctx: &Context<'_>) -> &str {
        match (lang(ctx), &self.name_en) {
            (Lang::En, Some(en)) => en,
            _ => &self.name_zh,
        }
    }

    /// The region it governs; none for a national department.
    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        let regions = &base(ctx).regions;
        let code = regions.parse(self.region_code.as_deref()?).ok()?;
        Some(Region::new(regions, code))
    }
}

/// A department to create or update.
#[derive(InputObject)]
pub struct DepartmentInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: Option<String>,
    /// GB/T 2260 code of the region it governs; absent for a national department.
    pub region: Option<String>,
}

/// Federation: a `Department` another subgraph names by `code`. Departments are public
/// reference data, as `departments` is.
#[derive(Default)]
pub struct DepartmentEntities;

#[Object]
impl DepartmentEntities {
    #[graphql(entity)]
    async fn find_department_by_code(&self, ctx: &Context<'_>, code: String) -> Option<Department> {
        let found = async {
            let code =
                super::DepartmentCode::parse(&code).map_err(|e| AppError::field("code", e))?;
            let found = service::by_codes(&base(ctx).db, &[code.as_str().to_owned()]).await?;
            Ok(found.into_iter().next().map(Department::from))
        };
        entity_or_null(ctx, found.await)
    }
}

/// Department reads.
#[derive(Default)]
pub struct DepartmentQuery;

#[Object]
impl DepartmentQuery {
    /// Every issuing department.
    async fn departments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Department>> {
        let all = service::all(&base(ctx).db).await?;
        Ok(all.into_iter().map(Department::from).collect())
    }
}

/// Department management.
#[derive(Default)]
pub struct DepartmentMutation;

#[Object]
impl DepartmentMutation {
    /// Creates a department or replaces its names and region (ADMIN).
    async fn upsert_department(
        &self,
        ctx: &Context<'_>,
        input: DepartmentInput,
    ) -> async_graphql::Result<Department> {
        viewer(ctx).require(&[Role::Admin])?;
        let app = base(ctx);
        let record = service::validate(
            &app.regions,
            &input.code,
            &input.name_zh,
            input.name_en.as_deref(),
            input.region.as_deref(),
        )?;
        let saved = service::upsert(&app.db, &record, app.now()).await?;
        dep::<Arc<LiveCatalog>>(ctx)
            .changed(&app.db, &app.regions)
            .await;
        Ok(saved.into())
    }
}
