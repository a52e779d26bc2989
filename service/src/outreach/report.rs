//! What departments read: the reach of a policy, who is still unreached and through which brokers,
//! the audience of a rule before publishing. Issuing and co-issuing departments, SYSTEM, ADMIN.

use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{Context, ID, Object, SimpleObject};

use super::Channel;
use super::figures::Outreach;
use super::ledger::{DeliveryCursor, DeliveryFilter};
use super::reach::{audience_of, reach_reader, unreached_condition};
use super::stats::Figures;
use super::unreached::{self, FunnelStage};
use super::window::Window;
use crate::auth::Role;
use crate::eligibility::CompiledRule;
use crate::error::{AppError, InputErrors};
use crate::firm::{Delivery, Firm, FirmAccess, Uscc, delivery_page};
use crate::graphql::pagination::{MAX_PAGE, TotalCount, int};
use crate::graphql::{Date, base, viewer};
use crate::region::Region;
use crate::validate;

/// Reach reads.
#[derive(Default)]
pub struct ReportQuery;

#[Object]
impl ReportQuery {
    /// The reach funnel of a policy over `[from, to]` (days in the configured zone; both open
    /// by default). Issuing and co-issuing departments, SYSTEM, ADMIN.
    async fn outreach(
        &self,
        ctx: &Context<'_>,
        policy_id: ID,
        from: Option<Date>,
        to: Option<Date>,
    ) -> async_graphql::Result<Outreach> {
        let app = base(ctx);
        let policy_id = validate::policy_id("policyId", &policy_id)?;
        let (from, to) = (from.map(|d| d.0), to.map(|d| d.0));
        let window = Window::of_days(from, to, app.zone)?;
        let view = reach_reader(app, viewer(ctx), policy_id).await?;
        let audience = audience_of(&app.regions, &view)?;
        let figures = Figures {
            db: app.db.clone(),
            policy: policy_id,
            audience,
            window,
        };
        let median_asked = ctx.look_ahead().field("medianHoursToAcknowledge").exists();
        Ok(Outreach::new(
            view,
            figures,
            from,
            to,
            app.now(),
            median_asked,
        ))
    }

    /// The deliveries of a policy, newest first, each with its decision record: to one firm, on
    /// one channel, within `[from, to]` (days in the configured zone) when given. Issuing and
    /// co-issuing departments, SYSTEM, ADMIN.
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        policy_id: ID,
        firm_uscc: Option<String>,
        channel: Option<Channel>,
        from: Option<Date>,
        to: Option<Date>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<OpaqueCursor<DeliveryCursor>, Delivery, TotalCount>> {
        let app = base(ctx);
        let policy_id = validate::policy_id("policyId", &policy_id)?;
        let mut errors = InputErrors::default();
        let firm = firm_uscc.and_then(|u| errors.check("firmUscc", Uscc::parse(&u)));
        errors.into_result(())?;
        let window = Window::of_days(from.map(|d| d.0), to.map(|d| d.0), app.zone)?;
        reach_reader(app, viewer(ctx), policy_id).await?;
        let filter = DeliveryFilter {
            policy: Some(policy_id),
            firm: firm.map(|u| u.to_string()),
            channel,
            window,
        };
        let access = FirmAccess::Summary.for_viewer(viewer(ctx));
        delivery_page(ctx, &filter, first, after, access).await
    }

    /// Eligible firms not reached (or reached but not acknowledged), with their brokers, by USCC.
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn unreached_firms(
        &self,
        ctx: &Context<'_>,
        policy_id: ID,
        #[graphql(default_with = "Some(FunnelStage::NotReached)")] stage: Option<FunnelStage>,
        region: Option<String>,
        #[graphql(default = 50)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<OpaqueCursor<String>, Firm, TotalCount>> {
        let app = base(ctx);
        let policy_id = validate::policy_id("policyId", &policy_id)?;
        let mut errors = InputErrors::default();
        let first = first.unwrap_or(50);
        if !(1..=MAX_PAGE).contains(&first) {
            errors.push(
                "first",
                format!("must be from 1 to {MAX_PAGE}; for all of them use the CSV export"),
            );
        }
        let region = region.and_then(|r| errors.check("region", app.regions.parse(&r)));
        let after: Option<String> = match after {
            Some(cursor) => errors.check(
                "after",
                async_graphql::connection::CursorType::decode_cursor(&cursor)
                    .map(|c: OpaqueCursor<String>| c.0)
                    .map_err(|_| "not a cursor this connection returned".to_owned()),
            ),
            None => None,
        };
        errors.into_result(())?;
        let view = reach_reader(app, viewer(ctx), policy_id).await?;
        let stage = stage.unwrap_or(FunnelStage::NotReached);
        let condition = unreached_condition(&app.regions, &view, stage, region)?;
        let limit = first as u64;
        let (mut rows, total) =
            unreached::page(&app.db, condition, after.as_deref(), limit + 1).await?;
        let has_next = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let usccs: Vec<String> = rows.iter().map(|r| r.uscc.clone()).collect();
        let mut brokers = unreached::brokers_of_all(&app.db, &usccs).await?;
        let access = FirmAccess::Listing.for_viewer(viewer(ctx));
        let mut connection = Connection::with_additional_fields(
            after.is_some(),
            has_next,
            TotalCount {
                total_count: total as i64,
            },
        );
        connection.edges.extend(rows.into_iter().map(|row| {
            let cursor = OpaqueCursor(row.uscc.clone());
            let firm_brokers = brokers.remove(&row.uscc).unwrap_or_default();
            Edge::new(cursor, Firm::with_brokers(row, access, firm_brokers))
        }));
        Ok(connection)
    }

    /// Brokers ranked by how many eligible firms that entrusted them were never reached: where
    /// to send the policy's paper and electronic versions first.
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn broker_leverage(
        &self,
        ctx: &Context<'_>,
        policy_id: ID,
        #[graphql(default = 20)] first: Option<i32>,
    ) -> async_graphql::Result<Vec<BrokerReach>> {
        let app = base(ctx);
        let policy_id = validate::policy_id("policyId", &policy_id)?;
        let first = first.unwrap_or(20);
        if !(1..=MAX_PAGE).contains(&first) {
            return Err(AppError::field("first", format!("must be from 1 to {MAX_PAGE}")).into());
        }
        let view = reach_reader(app, viewer(ctx), policy_id).await?;
        let audience = audience_of(&app.regions, &view)?;
        let ranked = unreached::broker_leverage(&app.db, audience, policy_id, first as u64).await?;
        let access = FirmAccess::Summary.for_viewer(viewer(ctx));
        Ok(ranked
            .into_iter()
            .map(|l| BrokerReach {
                broker: Firm::new(l.broker, access),
                unreached_clients: int(l.unreached_clients),
                clients: int(l.clients),
            })
            .collect())
    }

    /// How many firms a rule would reach, before it is published (DEPARTMENT, SYSTEM, ADMIN).
    async fn audience_estimate(
        &self,
        ctx: &Context<'_>,
        eligibility: serde_json::Value,
        regions: Option<Vec<String>>,
    ) -> async_graphql::Result<AudienceEstimate> {
        viewer(ctx).require(&[Role::Department, Role::System, Role::Admin])?;
        let app = base(ctx);
        let mut errors = InputErrors::default();
        let scope: Vec<_> = regions
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(|(i, r)| errors.check(format!("regions[{i}]"), app.regions.parse(r)))
            .collect();
        let rule = match CompiledRule::compile(scope, &eligibility, "eligibility", &app.regions) {
            Ok(rule) => Some(rule),
            Err(rule_errors) => {
                errors.extend(rule_errors.into());
                None
            }
        };
        errors.into_result(())?;
        let Some(rule) = rule else {
            return Err(AppError::internal_msg("a valid rule went missing").into());
        };
        let estimate =
            unreached::estimate(&app.db, rule.audience_sql(&app.regions), app.clock.now()).await?;
        Ok(AudienceEstimate {
            firms: int(estimate.firms),
            active_last_30_days: int(estimate.active_last_30_days),
            reachable_via_broker: int(estimate.reachable_via_broker),
            by_region: estimate
                .by_region
                .into_iter()
                .filter_map(|(code, firms)| {
                    Some(RegionCount {
                        region: Region::new(&app.regions, app.regions.parse(&code).ok()?),
                        firms: int(firms),
                    })
                })
                .collect(),
        })
    }
}

#[derive(SimpleObject)]
pub struct RegionCount {
    region: Region,
    firms: i32,
}

#[derive(SimpleObject)]
pub struct BrokerReach {
    broker: Firm,
    /// Eligible firms that entrusted this broker and were never reached.
    unreached_clients: i32,
    /// Eligible firms that entrusted this broker.
    clients: i32,
}

/// A rule's audience before publishing.
#[derive(SimpleObject)]
pub struct AudienceEstimate {
    /// Firms the rule does not rule out, within the regions.
    firms: i32,
    /// Of those, firms seen filing in the last 30 days: the single window will reach them.
    active_last_30_days: i32,
    /// Of the rest, firms with an entrusted broker: reach them through the broker.
    reachable_via_broker: i32,
    by_region: Vec<RegionCount>,
}
