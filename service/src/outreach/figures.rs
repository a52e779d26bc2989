//! The `Outreach` object: a policy's reach over a window as GraphQL reads it, each group of
//! figures counted once and only when asked; and the small objects the reach reads answer with.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::OnceCell;

use super::audience::{Asked, audiences, regions_of};
use super::counts::{AudienceCounts, Day, FunnelCounts, Median, by_region};
use super::stats::Figures;
use super::{Channel, Response};
use crate::error::AppResult;
use crate::graphql::pagination::int;
use crate::graphql::{Date, base};
use crate::policy::{Policy, PolicyView};
use crate::region::Region;

/// The longest daily series returned (ten years).
const MAX_DAYS: i64 = 3_660;

/// The reach of a policy over a window. Each group of figures is computed once, when first asked.
///
/// Over all time the audience is the kept one (`audience.rs`): its size and prefectures are read,
/// not counted, and how much of it was reached and answered is counted from the funnel rows'
/// audience flags in the same pass as the other funnel figures. The audience is kept (counted
/// and its rows flagged, if it was not) before that pass reads a flag; when the median time to
/// answer is asked, that pass takes it too. Within a window, the audience is counted over the
/// firms.
pub struct Outreach {
    view: Arc<PolicyView>,
    figures: Figures,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    /// When a missing audience is counted.
    now: DateTime<Utc>,
    /// Whether the query asks the median time to answer.
    median_asked: bool,
    kept: OnceCell<i64>,
    funnel: OnceCell<FunnelCounts>,
    audience: OnceCell<AudienceCounts>,
}

impl Outreach {
    /// The reach of the policy `view` shows, counted by `figures` over the days `from` to `to`;
    /// `median_asked` when the query selects the median time to answer.
    pub fn new(
        view: PolicyView,
        figures: Figures,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
        now: DateTime<Utc>,
        median_asked: bool,
    ) -> Outreach {
        Outreach {
            view: Arc::new(view),
            figures,
            from,
            to,
            now,
            median_asked,
            kept: OnceCell::new(),
            funnel: OnceCell::new(),
            audience: OnceCell::new(),
        }
    }

    /// Over all time, with no window: the audience is the kept one.
    fn all_time(&self) -> bool {
        self.figures.window.is_unbounded()
    }

    /// The kept audience's size, counted and kept first if it is not.
    async fn kept_audience(&self) -> AppResult<i64> {
        let policy = self.view.policy.id;
        let asked = [Asked {
            policy,
            scope: &self.view.regions,
            eligibility: &self.view.version.eligibility,
            condition: self.figures.audience.clone(),
        }];
        self.kept
            .get_or_try_init(|| async {
                let sizes = audiences(&self.figures.db, &asked, self.now).await?;
                Ok(sizes.get(&policy).copied().unwrap_or_default())
            })
            .await
            .copied()
    }

    async fn funnel_counts(&self) -> AppResult<&FunnelCounts> {
        self.funnel
            .get_or_try_init(|| async {
                if self.all_time() {
                    // The flags read are those of the audience kept now.
                    self.kept_audience().await?;
                }
                self.figures.funnel_counts(self.median_asked).await
            })
            .await
    }

    async fn audience_counts(&self) -> AppResult<&AudienceCounts> {
        self.audience
            .get_or_try_init(|| async {
                if !self.all_time() {
                    return self.figures.audience_counts().await;
                }
                let audience = self.kept_audience().await?;
                let (by_region, funnel) = tokio::try_join!(
                    regions_of(&self.figures.db, self.view.policy.id),
                    self.funnel_counts()
                )?;
                Ok(AudienceCounts {
                    audience,
                    reached_in_audience: funnel.reached_in_audience,
                    acknowledged_in_audience: funnel.acknowledged_in_audience,
                    by_region,
                })
            })
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
        if self.all_time()
            && let Some(Median(hours)) = self.funnel_counts().await?.median_hours_to_acknowledge
        {
            return Ok(hours);
        }
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
