//! `inboxChanged`: what a firm's inbox gains when a policy it qualifies for, or may qualify for,
//! is published or gets a new version, pushed to the firm while it is connected; and
//! `outreachChanged`: a policy's headline figures for its issuers' live dashboards, again each
//! time its reach changes, at most once a second.

use std::sync::Arc;

use std::time::Duration;

use async_graphql::{Context, ID, Subscription};
use futures::{Stream, StreamExt};
use tokio::time::Instant;

use super::changes::ReachChange;
use super::filing;
use super::graphql::{PolicyMatch, inbox_match, outreach};
use super::inbox;
use super::overview::{PolicyReach, headline};
use super::reach::reach_reader;
use super::service::OutreachService;
use crate::auth::{Role, Viewer};
use crate::error::AppError;
use crate::graphql::{Subscriber, dep, lang, viewer};
use crate::policy::catalog_changes;
use crate::policy::live::CatalogChangeKind;
use crate::validate;

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
        filing::firm_facts(&outreach(ctx).base, uscc).await?;
        let app = dep::<Arc<OutreachService>>(ctx).clone();
        let lang = lang(ctx);
        let uscc = uscc.clone();
        Ok(
            Subscriber::of(ctx).follow(catalog_changes(ctx), move |change| {
                let app = app.clone();
                let uscc = uscc.clone();
                async move {
                    if change.kind == CatalogChangeKind::Retired {
                        return None;
                    }
                    let found = async {
                        // The firm's facts as they are now: a sync may have changed them.
                        let (_, facts) = filing::firm_facts(&app.base, &uscc).await?;
                        let entry =
                            inbox::entry(&app, uscc.as_str(), &facts, change.policy_id).await?;
                        Ok::<_, AppError>(
                            entry.map(|entry| inbox_match(entry, &facts, &app.base.regions, lang)),
                        )
                    };
                    found.await.map_err(async_graphql::Error::from).transpose()
                }
            }),
        )
    }

    /// The policy's headline figures (its `departmentOutreach` row, over all time): now, then
    /// each time a filing, an answer or a recorded delivery on any instance changed them, at
    /// most once a second. Its issuers, SYSTEM and ADMIN, as `outreach`.
    async fn outreach_changed(
        &self,
        ctx: &Context<'_>,
        policy_id: ID,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<PolicyReach>>> {
        let policy = validate::policy_id("policyId", &policy_id)?;
        let app = dep::<Arc<OutreachService>>(ctx).clone();
        let viewer = viewer(ctx).clone();
        let now = headline(&app.base, reach_reader(&app.base, &viewer, policy).await?).await?;
        let changes = app.reach.subscribe();
        // At most one reading a second: each waits a second after the one before.
        let mut next_reading = Instant::now() + Duration::from_secs(1);
        let later = Subscriber::of(ctx).follow(changes, move |change| {
            let app = app.clone();
            let viewer = viewer.clone();
            let wanted =
                matches!(change, ReachChange::Everything) || change == ReachChange::Policy(policy);
            let at = next_reading.max(Instant::now());
            if wanted {
                next_reading = at + Duration::from_secs(1);
            }
            async move {
                if !wanted {
                    return None;
                }
                tokio::time::sleep_until(at).await;
                // The permission is checked again: the policy's issuers may have changed.
                let read = async {
                    headline(&app.base, reach_reader(&app.base, &viewer, policy).await?).await
                };
                Some(read.await.map_err(async_graphql::Error::from))
            }
        });
        // Only figures that changed are sent.
        let mut shown = now.figures();
        let later = later.filter_map(move |figures| {
            let fresh = match &figures {
                Ok(reach) => {
                    let changed = reach.figures() != shown;
                    shown = reach.figures();
                    changed
                }
                Err(_) => true,
            };
            std::future::ready(fresh.then_some(figures))
        });
        Ok(futures::stream::once(std::future::ready(Ok(now))).chain(later))
    }
}
