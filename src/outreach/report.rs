//! What departments read: the reach of a policy, who is still unreached and through which brokers,
//! the audience of a rule before publishing. Issuing and co-issuing departments, SYSTEM, ADMIN.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{Context, ID, Object, SimpleObject};
use chrono::NaiveDate;
use sea_orm::sea_query::ExprTrait;
use tokio::sync::OnceCell;

use super::counts::{AudienceCounts, Day, FunnelCounts, by_region};
use super::stats::Figures;
use super::unreached::{self, FunnelStage, stuck_at};
use super::window::Window;
use super::{Channel, Response};
use crate::auth::{Role, Viewer};
use crate::eligibility::sql::inside;
use crate::eligibility::{CompiledRule, service::compile};
use crate::error::{AppError, AppResult, InputErrors};
use crate::firm::{Firm, FirmAccess};
use crate::graphql::pagination::{MAX_PAGE, TotalCount};
use crate::graphql::{Date, base, viewer};
use crate::policy::{Policy, PolicyView, catalog};
use crate::region::{Region, RegionCatalog, RegionCode};
use crate::state::Base;
use crate::validate;

/// The longest daily series returned (ten years).
const MAX_DAYS: i64 = 3_660;

/// The policy as a reader of its reach may see it: an issuer, SYSTEM or ADMIN.
pub async fn reach_reader(
    base: &Base,
    viewer: &Viewer,
    policy_id: uuid::Uuid,
) -> AppResult<PolicyView> {
    viewer.require(&[Role::Department, Role::System, Role::Admin])?;
    let view = catalog::get(&base.db, &base.regions, viewer, policy_id, None)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("no policy {policy_id}")))?;
    if matches!(viewer, Viewer::Department { .. }) && !view.is_managed_by(viewer) {
        return Err(AppError::Forbidden);
    }
    Ok(view)
}

/// The audience condition of a policy's shown version.
pub fn audience_of(
    regions: &RegionCatalog,
    view: &PolicyView,
) -> AppResult<sea_orm::sea_query::Expr> {
    Ok(compile(view, regions)?.audience_sql(regions))
}

/// The firms of a policy's audience still at `stage`, within `region` when given: what both
/// `unreachedFirms` and the CSV export list.
pub fn unreached_condition(
    regions: &RegionCatalog,
    view: &PolicyView,
    stage: FunnelStage,
    region: Option<RegionCode>,
) -> AppResult<sea_orm::sea_query::Expr> {
    let mut condition = audience_of(regions, view)?.and(stuck_at(view.policy.id, stage));
    if let Some(region) = region {
        condition = condition.and(inside(region, regions));
    }
    Ok(condition)
}

/// The reach of a policy over a window. Each group of figures is computed once, when first asked.
pub struct Outreach {
    view: Arc<PolicyView>,
    figures: Figures,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    funnel: OnceCell<FunnelCounts>,
    audience: OnceCell<AudienceCounts>,
}

impl Outreach {
    async fn funnel_counts(&self) -> AppResult<&FunnelCounts> {
        self.funnel
            .get_or_try_init(|| self.figures.funnel_counts())
            .await
    }

    async fn audience_counts(&self) -> AppResult<&AudienceCounts> {
        self.audience
            .get_or_try_init(|| self.figures.audience_counts())
            .await
    }

    async fn rate(&self, part: fn(&AudienceCounts) -> i64) -> AppResult<f64> {
        let counts = self.audience_counts().await?;
        Ok(if counts.audience == 0 {
            0.0
        } else {
            part(counts) as f64 / counts.audience as f64
        })
    }
}

#[derive(SimpleObject)]
pub struct ResponseCount {
    response: Response,
    firms: i32,
}

#[derive(SimpleObject)]
pub struct ChannelReach {
    channel: Channel,
    reached: i32,
    acknowledged: i32,
}

#[derive(SimpleObject)]
pub struct RegionReach {
    region: Region,
    audience: i32,
    reached: i32,
    acknowledged: i32,
}

#[derive(SimpleObject)]
pub struct DailyReach {
    date: Date,
    deliveries: i32,
    newly_reached: i32,
    acknowledgements: i32,
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

fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[Object]
impl Outreach {
    async fn policy(&self) -> Policy {
        Policy(self.view.clone())
    }

    /// Firms in scope whose firm facts do not rule them out (outcome TRUE or UNKNOWN).
    async fn audience(&self) -> async_graphql::Result<i32> {
        Ok(int(self.audience_counts().await?.audience))
    }

    /// Distinct firms with at least one delivery in the window (any firm, in the audience or not).
    async fn reached(&self) -> async_graphql::Result<i32> {
        Ok(int(self.funnel_counts().await?.reached))
    }

    /// Distinct firms with at least one acknowledgement in the window.
    async fn acknowledged(&self) -> async_graphql::Result<i32> {
        Ok(int(self.funnel_counts().await?.acknowledged))
    }

    /// Of those, firms that answered themselves, not only through their broker.
    async fn acknowledged_by_firm(&self) -> async_graphql::Result<i32> {
        Ok(int(self.funnel_counts().await?.acknowledged_by_firm))
    }

    /// Reached firms in the audience over the audience (0 when the audience is 0).
    async fn reach_rate(&self) -> async_graphql::Result<f64> {
        Ok(self.rate(|c| c.reached_in_audience).await?)
    }

    /// Acknowledging firms in the audience over the audience.
    async fn acknowledge_rate(&self) -> async_graphql::Result<f64> {
        Ok(self.rate(|c| c.acknowledged_in_audience).await?)
    }

    /// Firms by their latest response in the window.
    async fn responses(&self) -> async_graphql::Result<Vec<ResponseCount>> {
        Ok(self
            .funnel_counts()
            .await?
            .responses
            .iter()
            .map(|(response, firms)| ResponseCount {
                response: *response,
                firms: int(*firms),
            })
            .collect())
    }

    /// Firms reached and firms that answered, per channel.
    async fn by_channel(&self) -> async_graphql::Result<Vec<ChannelReach>> {
        Ok(self
            .funnel_counts()
            .await?
            .by_channel
            .iter()
            .map(|(channel, reached, acknowledged)| ChannelReach {
                channel: *channel,
                reached: int(*reached),
                acknowledged: int(*acknowledged),
            })
            .collect())
    }

    /// Per prefecture (the province for firms registered at province level).
    async fn by_region(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RegionReach>> {
        let regions = &base(ctx).regions;
        let (audience, funnel) = tokio::try_join!(self.audience_counts(), self.funnel_counts())?;
        Ok(by_region(audience, funnel)
            .iter()
            .filter_map(|(code, audience, reached, acknowledged)| {
                Some(RegionReach {
                    region: Region::new(regions, regions.parse(code).ok()?),
                    audience: int(*audience),
                    reached: int(*reached),
                    acknowledged: int(*acknowledged),
                })
            })
            .collect())
    }

    /// Every day of the window (or from the first to the last event), in the configured zone.
    async fn daily(&self) -> async_graphql::Result<Vec<DailyReach>> {
        let days = self.figures.daily().await?;
        Ok(contiguous(days, self.from, self.to)
            .into_iter()
            .map(|(date, day)| DailyReach {
                date: Date(date),
                deliveries: int(day.deliveries),
                newly_reached: int(day.newly_reached),
                acknowledgements: int(day.acknowledgements),
            })
            .collect())
    }

    /// The median, over firms, of the hours from first delivery to first acknowledgement.
    async fn median_hours_to_acknowledge(&self) -> async_graphql::Result<Option<f64>> {
        Ok(self.figures.median_hours_to_acknowledge().await?)
    }
}

/// The days from `from` (else the first with events) to `to` (else the last), zeros included.
fn contiguous(
    days: BTreeMap<NaiveDate, Day>,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Vec<(NaiveDate, Day)> {
    let (Some(first), Some(last)) = (
        from.or_else(|| days.keys().next().copied()),
        to.or_else(|| days.keys().next_back().copied()),
    ) else {
        return Vec::new();
    };
    let earliest_shown = last
        .checked_sub_signed(chrono::TimeDelta::days(MAX_DAYS - 1))
        .unwrap_or(NaiveDate::MIN);
    let first = std::cmp::max(first, earliest_shown);
    first
        .iter_days()
        .take_while(|d| *d <= last)
        .map(|d| (d, days.get(&d).cloned().unwrap_or_default()))
        .collect()
}

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
        Ok(Outreach {
            figures: Figures {
                db: app.db.clone(),
                policy: policy_id,
                audience,
                window,
            },
            view: Arc::new(view),
            from,
            to,
            funnel: OnceCell::new(),
            audience: OnceCell::new(),
        })
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
