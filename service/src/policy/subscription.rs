//! `catalogChanged`: policies published, versioned or retired, pushed to whoever watches the
//! catalog (anyone), from the live catalog's changes, which every instance sees.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Subscription};
use futures::Stream;
use tokio::sync::broadcast;

use super::graphql::Policy;
use super::live::{CatalogChange, CatalogChangeKind, LiveCatalog};
use super::query::PolicyQuery;
use crate::error::AppError;
use crate::graphql::{Subscriber, base, dep};

/// One change of the published catalog.
pub struct CatalogChangeEvent(pub CatalogChange);

#[Object]
impl CatalogChangeEvent {
    async fn policy_id(&self) -> ID {
        ID(self.0.policy_id.to_string())
    }

    async fn kind(&self) -> CatalogChangeKind {
        self.0.kind
    }

    /// The version that went live (for RETIRED, the one that was live).
    async fn version(&self) -> i32 {
        self.0.version
    }

    /// The policy as `policy(id)` shows it to the subscriber.
    async fn policy(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Policy>> {
        PolicyQuery
            .policy(ctx, ID(self.0.policy_id.to_string()), None)
            .await
    }
}

/// Catalog subscriptions.
#[derive(Default)]
pub struct PolicySubscription;

#[Subscription]
impl PolicySubscription {
    /// Each policy published, versioned or retired that covers `region` (the policies a firm
    /// registered there would see, nationwide ones included); every change when absent. Anyone.
    async fn catalog_changed(
        &self,
        ctx: &Context<'_>,
        region: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<CatalogChangeEvent>>> {
        let regions = base(ctx).regions.clone();
        let region = region
            .map(|r| regions.parse(&r).map_err(|e| AppError::field("region", e)))
            .transpose()?;
        let changes = catalog_changes(ctx);
        let covers = move |change: &CatalogChange| {
            region.is_none_or(|region| regions.scope_covers(&change.regions, region))
        };
        Ok(Subscriber::of(ctx).follow(changes, move |change| {
            let wanted = covers(&change);
            async move { wanted.then(|| Ok(CatalogChangeEvent(change))) }
        }))
    }
}

/// The changes a catalog subscription starts from; for the inbox, which filters them further.
pub fn catalog_changes(ctx: &Context<'_>) -> broadcast::Receiver<CatalogChange> {
    dep::<Arc<LiveCatalog>>(ctx).changes()
}
