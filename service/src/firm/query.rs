//! `firm(uscc)` and `upsertFirms`.

use async_graphql::{Context, Object, SimpleObject};

use super::access::{Purpose, authorize};
use super::graphql::{Firm, FirmAccess};
use super::input::FirmInput;
use super::{Uscc, service, sync};
use crate::auth::Role;
use crate::error::AppError;
use crate::graphql::{base, entity_or_null, viewer};

/// Firm reads.
#[derive(Default)]
pub struct FirmQuery;

#[Object]
impl FirmQuery {
    /// A firm's profile: the firm itself, a broker (itself and the firms that entrusted it),
    /// SYSTEM and ADMIN.
    async fn firm(&self, ctx: &Context<'_>, uscc: String) -> async_graphql::Result<Option<Firm>> {
        let uscc = Uscc::parse(&uscc).map_err(|e| AppError::field("uscc", e))?;
        let db = &base(ctx).db;
        authorize(db, viewer(ctx), &uscc, Purpose::ReadProfile).await?;
        Ok(service::find(db, &uscc)
            .await?
            .map(|m| Firm::new(m, FirmAccess::Full)))
    }
}

/// Federation: a `Firm` another subgraph names by `uscc`, under the same permissions as
/// `firm(uscc)`: one the caller may not see resolves to null with `FORBIDDEN`.
#[derive(Default)]
pub struct FirmEntities;

#[Object]
impl FirmEntities {
    #[graphql(entity)]
    async fn find_firm_by_uscc(&self, ctx: &Context<'_>, uscc: String) -> Option<Firm> {
        entity_or_null(ctx, FirmQuery.firm(ctx, uscc).await)
    }
}

/// How many firms a sync created and updated.
#[derive(SimpleObject)]
pub struct UpsertFirmsResult {
    created: i32,
    updated: i32,
}

/// Firm sync.
#[derive(Default)]
pub struct FirmMutation;

#[Object]
impl FirmMutation {
    /// Creates or updates up to 1000 firms, all or nothing (SYSTEM, ADMIN).
    async fn upsert_firms(
        &self,
        ctx: &Context<'_>,
        firms: Vec<FirmInput>,
    ) -> async_graphql::Result<UpsertFirmsResult> {
        viewer(ctx).require(&[Role::System, Role::Admin])?;
        let app = base(ctx);
        let counts = sync::upsert(&app.db, &app.regions, firms, app.now()).await?;
        Ok(UpsertFirmsResult {
            created: counts.created as i32,
            updated: counts.updated as i32,
        })
    }
}
