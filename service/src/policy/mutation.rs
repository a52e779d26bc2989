use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use uuid::Uuid;

use super::catalog;
use super::graphql::Policy;
use super::input::{PolicyInput, validate_input};
use super::live::LiveCatalog;
use super::model::RetireReason;
use super::store::{self, Change};
use crate::auth::Role;
use crate::error::{AppError, AppResult};
use crate::graphql::{base, dep, viewer};
use crate::validate;

/// Policy lifecycle: departments draft, edit, publish and retire the policies they lead.
#[derive(Default)]
pub struct PolicyMutation;

#[Object]
impl PolicyMutation {
    /// Creates a draft. A department leads what it creates and may name co-issuers; ADMIN names
    /// the lead.
    async fn create_policy(
        &self,
        ctx: &Context<'_>,
        input: PolicyInput,
    ) -> async_graphql::Result<Policy> {
        let viewer = viewer(ctx);
        viewer.require(&[Role::Department, Role::Admin])?;
        let app = base(ctx);
        let draft = validate_input(input, "input", &app.regions)?;
        let id = store::create(&app.db, &draft, viewer, app.now()).await?;
        Ok(shown(ctx, id, Some(1)).await?)
    }

    /// Edits a policy (its lead issuer or ADMIN). A draft changes in place; a published policy
    /// gets a new draft version and the published one stays live until that is published.
    async fn update_policy(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: PolicyInput,
    ) -> async_graphql::Result<Policy> {
        let viewer = viewer(ctx);
        viewer.require(&[Role::Department, Role::Admin])?;
        let id = policy_id(&id)?;
        let app = base(ctx);
        let draft = validate_input(input, "input", &app.regions)?;
        let version = store::update(&app.db, id, &draft, viewer, app.now()).await?;
        Ok(shown(ctx, id, Some(version)).await?)
    }

    /// Publishes the latest version (its lead issuer or ADMIN); the previous one retires.
    async fn publish_policy(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Policy> {
        let viewer = viewer(ctx);
        viewer.require(&[Role::Department, Role::Admin])?;
        let id = policy_id(&id)?;
        let app = base(ctx);
        if store::publish(&app.db, &app.regions, id, viewer, app.now()).await? == Change::Done {
            dep::<Arc<LiveCatalog>>(ctx)
                .changed(&app.db, &app.regions)
                .await;
        }
        Ok(shown(ctx, id, None).await?)
    }

    /// Withdraws a policy from the catalog and from filings (its lead issuer or ADMIN).
    async fn retire_policy(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
    ) -> async_graphql::Result<Policy> {
        let viewer = viewer(ctx);
        viewer.require(&[Role::Department, Role::Admin])?;
        let id = policy_id(&id)?;
        let reason = RetireReason::parse_optional(reason.as_deref())
            .map_err(|problem| AppError::field("reason", problem))?;
        let app = base(ctx);
        if store::retire(&app.db, id, reason, viewer, app.now()).await? == Change::Done {
            dep::<Arc<LiveCatalog>>(ctx)
                .changed(&app.db, &app.regions)
                .await;
        }
        Ok(shown(ctx, id, None).await?)
    }
}

/// Parses the `id` argument.
pub fn policy_id(id: &ID) -> AppResult<Uuid> {
    validate::policy_id("id", id)
}

async fn shown(ctx: &Context<'_>, id: Uuid, version: Option<i32>) -> AppResult<Policy> {
    let app = base(ctx);
    catalog::get(&app.db, &app.regions, viewer(ctx), id, version)
        .await?
        .map(|v| Policy(Arc::new(v)))
        .ok_or_else(|| AppError::internal_msg(format!("policy {id} vanished after a write")))
}
