//! `inboxChanged`: what a firm's inbox gains when a policy it qualifies for, or may qualify for,
//! is published or gets a new version, pushed to the firm while it is connected.

use std::sync::Arc;

use async_graphql::{Context, Subscription};
use futures::Stream;

use super::filing;
use super::graphql::{PolicyMatch, inbox_match, outreach};
use super::inbox;
use super::service::OutreachService;
use crate::auth::{Role, Viewer};
use crate::error::AppError;
use crate::graphql::{Subscriber, dep, lang, viewer};
use crate::policy::catalog_changes;
use crate::policy::live::CatalogChangeKind;

/// Outreach subscriptions.
#[derive(Default)]
pub struct OutreachSubscription;

#[Subscription]
impl OutreachSubscription {
    /// Each policy newly published (or published in a new version) that the signed-in firm
    /// qualifies for, or may once a declaration says more (`certain: false`): what its
    /// `myPolicies` gained. FIRM.
    async fn inbox_changed(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<PolicyMatch>>> {
        let viewer = viewer(ctx);
        viewer.require(&[Role::Firm])?;
        let Viewer::Firm { uscc, .. } = viewer else {
            return Err(AppError::Forbidden.into());
        };
        // A firm the service does not know is told so now, not never.
        let (model, _) = filing::firm_facts(&outreach(ctx).base, uscc).await?;
        let app = dep::<Arc<OutreachService>>(ctx).clone();
        let lang = lang(ctx);
        Ok(
            Subscriber::of(ctx).follow(catalog_changes(ctx), move |change| {
                let app = app.clone();
                let uscc = model.uscc.clone();
                async move {
                    if change.kind == CatalogChangeKind::Retired {
                        return None;
                    }
                    let found = async {
                        let uscc_code =
                            crate::firm::Uscc::parse(&uscc).map_err(AppError::internal_msg)?;
                        let (_, facts) = filing::firm_facts(&app.base, &uscc_code).await?;
                        let entry = inbox::entry(&app, &uscc, &facts, change.policy_id).await?;
                        Ok::<_, AppError>(
                            entry.map(|entry| inbox_match(entry, &facts, &app.base.regions, lang)),
                        )
                    };
                    found.await.map_err(async_graphql::Error::from).transpose()
                }
            }),
        )
    }
}
