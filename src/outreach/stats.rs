//! The reach figures of one policy (DESIGN §5 `Outreach`), each a SQL aggregate over indexed
//! tables. Without a window they come from the funnel rows (one per reached or answering firm)
//! and the daily table; within a window, from the deliveries and acknowledgements themselves.
//! Nothing is loaded into the service to be counted.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};
use uuid::Uuid;

use super::counts::{AudienceCounts, Day, FunnelCounts};
use super::unreached::read_i64;
use super::window::Window;
use super::{Channel, Response};
use crate::entity::{
    acknowledgement as ack, delivery, firm, policy_daily_reach as daily,
    policy_firm_funnel as funnel,
};
use crate::error::AppResult;

/// The figures of one policy over one window, for an audience given as a SQL condition on firms.
pub struct Figures {
    pub db: DatabaseConnection,
    pub policy: Uuid,
    pub audience: Expr,
    pub window: Window,
}

fn prefecture() -> Expr {
    Func::coalesce([
        Expr::col((firm::Entity, firm::Column::PrefectureCode)),
        Expr::col((firm::Entity, firm::Column::ProvinceCode)),
    ])
    .into()
}

fn count_where(condition: Expr) -> Expr {
    Func::sum(Expr::case(condition, 1).finally(0)).into()
}

impl Figures {
    fn backend(&self) -> DatabaseBackend {
        self.db.get_database_backend()
    }

    fn funnel_col(column: funnel::Column) -> Expr {
        Expr::col((funnel::Entity, column))
    }

    /// Reached, acknowledged, by channel and by response: one pass over the policy's funnel rows,
    /// or, within a window, over its deliveries and acknowledgements.
    pub async fn funnel_counts(&self) -> AppResult<FunnelCounts> {
        if !self.window.is_unbounded() {
            return self.funnel_counts_in_window().await;
        }
        let f = Self::funnel_col;
        let mut query = Query::select();
        query
            .column((funnel::Entity, funnel::Column::PrefectureCode))
            .expr(count_where(
                f(funnel::Column::FirstDeliveredAt).is_not_null(),
            ))
            .expr(count_where(
                f(funnel::Column::FirstAcknowledgedAt).is_not_null(),
            ))
            .expr(count_where(
                f(funnel::Column::FirstAcknowledgedAt)
                    .is_not_null()
                    .and(f(funnel::Column::AcknowledgedByFirm).eq(true)),
            ));
        for channel in Channel::ALL {
            query
                .expr(count_where(
                    f(funnel::Column::DeliveredChannels)
                        .bit_and(channel.bit())
                        .ne(0),
                ))
                .expr(count_where(
                    f(funnel::Column::AcknowledgedChannels)
                        .bit_and(channel.bit())
                        .ne(0),
                ));
        }
        for response in Response::ALL {
            query.expr(count_where(
                f(funnel::Column::LatestResponse).eq(response.as_str()),
            ));
        }
        query
            .from(funnel::Entity)
            .and_where(f(funnel::Column::PolicyId).eq(self.policy))
            .group_by_col((funnel::Entity, funnel::Column::PrefectureCode));
        let channels = Channel::ALL.len();
        let mut counts = FunnelCounts::default();
        let mut per_channel = vec![(0i64, 0i64); channels];
        let mut per_response = vec![0i64; Response::ALL.len()];
        for row in self.db.query_all(&query).await? {
            let (reached, acknowledged) = (read_i64(&row, 1)?, read_i64(&row, 2)?);
            counts.reached += reached;
            counts.acknowledged += acknowledged;
            counts.acknowledged_by_firm += read_i64(&row, 3)?;
            for (i, sums) in per_channel.iter_mut().enumerate() {
                sums.0 += read_i64(&row, 4 + 2 * i)?;
                sums.1 += read_i64(&row, 5 + 2 * i)?;
            }
            for (i, sum) in per_response.iter_mut().enumerate() {
                *sum += read_i64(&row, 4 + 2 * channels + i)?;
            }
            counts
                .by_region
                .insert(row.try_get_by_index(0)?, (reached, acknowledged));
        }
        counts.by_channel = Channel::ALL
            .iter()
            .zip(per_channel)
            .map(|(c, (r, a))| (*c, r, a))
            .filter(|(_, r, a)| *r > 0 || *a > 0)
            .collect();
        counts.responses = Response::ALL
            .iter()
            .zip(per_response)
            .map(|(r, n)| (*r, n))
            .filter(|(_, n)| *n > 0)
            .collect();
        Ok(counts)
    }

    async fn funnel_counts_in_window(&self) -> AppResult<FunnelCounts> {
        let reached = self.count_of(self.reached_firms()).await?;
        let acknowledged = self.count_of(self.acknowledged_firms(false)).await?;
        let acknowledged_by_firm = self.count_of(self.acknowledged_firms(true)).await?;
        let mut by_channel: BTreeMap<Channel, (i64, i64)> = BTreeMap::new();
        for (table, at, is_delivery) in [
            ("delivery", "delivered_at", true),
            ("acknowledgement", "created_at", false),
        ] {
            let mut query = Query::select();
            query
                .column(Alias::new("channel"))
                .expr(Expr::cust("COUNT(DISTINCT firm_uscc)"))
                .from(Alias::new(table))
                .and_where(Expr::col(Alias::new("policy_id")).eq(self.policy))
                .group_by_col(Alias::new("channel"));
            self.window.restrict(&mut query, Expr::col(Alias::new(at)));
            for row in self.db.query_all(&query).await? {
                let name: String = row.try_get_by_index(0)?;
                if let Some(channel) = Channel::parse(&name) {
                    let entry = by_channel.entry(channel).or_default();
                    if is_delivery {
                        entry.0 = read_i64(&row, 1)?;
                    } else {
                        entry.1 = read_i64(&row, 1)?;
                    }
                }
            }
        }
        let mut by_region: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for (firms, reached) in [
            (self.reached_firms(), true),
            (self.acknowledged_firms(false), false),
        ] {
            let mut query = Query::select();
            query
                .column((funnel::Entity, funnel::Column::PrefectureCode))
                .expr(Expr::cust("COUNT(*)"))
                .from(funnel::Entity)
                .and_where(Self::funnel_col(funnel::Column::PolicyId).eq(self.policy))
                .and_where(Self::funnel_col(funnel::Column::FirmUscc).in_subquery(firms))
                .group_by_col((funnel::Entity, funnel::Column::PrefectureCode));
            for row in self.db.query_all(&query).await? {
                let entry = by_region.entry(row.try_get_by_index(0)?).or_default();
                if reached {
                    entry.0 = read_i64(&row, 1)?;
                } else {
                    entry.1 = read_i64(&row, 1)?;
                }
            }
        }
        Ok(FunnelCounts {
            reached,
            acknowledged,
            acknowledged_by_firm,
            by_channel: by_channel
                .into_iter()
                .map(|(c, (r, a))| (c, r, a))
                .collect(),
            responses: self.latest_responses_in_window().await?,
            by_region,
        })
    }

    /// Firms with a delivery in the window, each once.
    fn reached_firms(&self) -> SelectStatement {
        let mut query = Query::select();
        query
            .distinct()
            .column(delivery::Column::FirmUscc)
            .from(delivery::Entity)
            .and_where(Expr::col(delivery::Column::PolicyId).eq(self.policy));
        self.window
            .restrict(&mut query, Expr::col(delivery::Column::DeliveredAt));
        query
    }

    /// Firms with an acknowledgement in the window; `by_firm`: only those that answered
    /// themselves (not only through their broker).
    fn acknowledged_firms(&self, by_firm: bool) -> SelectStatement {
        let mut query = Query::select();
        query
            .distinct()
            .column(ack::Column::FirmUscc)
            .from(ack::Entity)
            .and_where(Expr::col(ack::Column::PolicyId).eq(self.policy));
        self.window
            .restrict(&mut query, Expr::col(ack::Column::CreatedAt));
        if by_firm {
            query.and_where(by_firm_itself());
        }
        query
    }

    async fn count_of(&self, firms: SelectStatement) -> AppResult<i64> {
        let mut query = Query::select();
        query
            .expr(Expr::cust("COUNT(*)"))
            .from_subquery(firms, Alias::new("firms"));
        count(&self.db, &query).await
    }

    async fn latest_responses_in_window(&self) -> AppResult<Vec<(Response, i64)>> {
        let mut ranked = Query::select();
        ranked
            .column(ack::Column::Response)
            .expr_as(
                Expr::cust(
                    "ROW_NUMBER() OVER (PARTITION BY firm_uscc ORDER BY created_at DESC, id DESC)",
                ),
                Alias::new("rank"),
            )
            .from(ack::Entity)
            .and_where(Expr::col(ack::Column::PolicyId).eq(self.policy));
        self.window
            .restrict(&mut ranked, Expr::col(ack::Column::CreatedAt));
        let mut query = Query::select();
        query
            .column(Alias::new("response"))
            .expr(Expr::cust("COUNT(*)"))
            .from_subquery(ranked, Alias::new("latest"))
            .and_where(Expr::col(Alias::new("rank")).eq(1))
            .group_by_col(Alias::new("response"));
        let mut counts: Vec<(Response, i64)> = self
            .db
            .query_all(&query)
            .await?
            .iter()
            .filter_map(|row| {
                let response = Response::parse(&row.try_get_by_index::<String>(0).ok()?)?;
                Some(read_i64(row, 1).map(|firms| (response, firms)))
            })
            .collect::<Result<_, _>>()?;
        counts.sort();
        Ok(counts)
    }

    /// The audience per prefecture, and how many of it were reached and answered: one pass over
    /// the audience, joined to the policy's funnel rows (or, in a window, to the firms reached
    /// and answering in it).
    pub async fn audience_counts(&self) -> AppResult<AudienceCounts> {
        let mut query = Query::select();
        query
            .expr_as(prefecture(), Alias::new("prefecture"))
            .expr(Expr::cust("COUNT(*)"))
            .from(firm::Entity)
            .and_where(self.audience.clone())
            .group_by_col(Alias::new("prefecture"));
        if self.window.is_unbounded() {
            let on_funnel = Self::funnel_col(funnel::Column::PolicyId)
                .eq(self.policy)
                .and(
                    Self::funnel_col(funnel::Column::FirmUscc)
                        .equals((firm::Entity, firm::Column::Uscc)),
                );
            query
                .expr(count_where(
                    Self::funnel_col(funnel::Column::FirstDeliveredAt).is_not_null(),
                ))
                .expr(count_where(
                    Self::funnel_col(funnel::Column::FirstAcknowledgedAt).is_not_null(),
                ))
                .left_join(funnel::Entity, on_funnel);
        } else {
            let uscc = Expr::col((firm::Entity, firm::Column::Uscc));
            query
                .expr(count_where(uscc.clone().in_subquery(self.reached_firms())))
                .expr(count_where(
                    uscc.in_subquery(self.acknowledged_firms(false)),
                ));
        }
        let mut counts = AudienceCounts::default();
        for row in self.db.query_all(&query).await? {
            let audience = read_i64(&row, 1)?;
            counts.audience += audience;
            counts.reached_in_audience += read_i64(&row, 2)?;
            counts.acknowledged_in_audience += read_i64(&row, 3)?;
            counts.by_region.insert(row.try_get_by_index(0)?, audience);
        }
        Ok(counts)
    }

    /// Per local day (recorded in `TIME_ZONE` as it happened): deliveries, firms reached for the
    /// first time, acknowledgements.
    pub async fn daily(&self) -> AppResult<BTreeMap<NaiveDate, Day>> {
        let mut query = Query::select();
        query
            .columns([
                daily::Column::Day,
                daily::Column::Deliveries,
                daily::Column::NewlyReached,
                daily::Column::Acknowledgements,
            ])
            .from(daily::Entity)
            .and_where(Expr::col(daily::Column::PolicyId).eq(self.policy));
        if let Some(from) = self.window.from_day {
            query.and_where(Expr::col(daily::Column::Day).gte(from));
        }
        if let Some(to) = self.window.to_day {
            query.and_where(Expr::col(daily::Column::Day).lte(to));
        }
        self.db
            .query_all(&query)
            .await?
            .iter()
            .map(|row| {
                Ok((
                    row.try_get_by_index::<NaiveDate>(0)?,
                    Day {
                        deliveries: read_i64(row, 1)?,
                        newly_reached: read_i64(row, 2)?,
                        acknowledgements: read_i64(row, 3)?,
                    },
                ))
            })
            .collect()
    }

    /// The median of the hours from each firm's first delivery to its first acknowledgement:
    /// `percentile_cont` on PostgreSQL, the middle rows in order on SQLite.
    pub async fn median_hours_to_acknowledge(&self) -> AppResult<Option<f64>> {
        let mut base = Query::select();
        base.from(funnel::Entity)
            .and_where(Expr::col(funnel::Column::PolicyId).eq(self.policy))
            .and_where(Expr::col(funnel::Column::FirstDeliveredAt).is_not_null())
            .and_where(Expr::col(funnel::Column::FirstAcknowledgedAt).is_not_null())
            .and_where(
                Expr::col(funnel::Column::FirstAcknowledgedAt)
                    .gte(Expr::col(funnel::Column::FirstDeliveredAt)),
            );
        self.window
            .restrict(&mut base, Expr::col(funnel::Column::FirstAcknowledgedAt));
        let median = if self.backend() == DatabaseBackend::Postgres {
            base.expr(Expr::cust(
                "CAST(percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM \
                 (first_acknowledged_at - first_delivered_at))) AS DOUBLE PRECISION) / 3600.0",
            ));
            self.db
                .query_one(&base)
                .await?
                .and_then(|row| row.try_get_by_index::<Option<f64>>(0).ok().flatten())
        } else {
            let hours = "(julianday(first_acknowledged_at) - julianday(first_delivered_at)) * 24.0";
            let mut counting = base.clone();
            counting.expr(Expr::cust("COUNT(*)"));
            let n = count(&self.db, &counting).await?;
            if n == 0 {
                return Ok(None);
            }
            base.expr(Expr::cust(hours))
                .order_by_expr(Expr::cust(hours), sea_orm::sea_query::Order::Asc)
                .limit(if n % 2 == 0 { 2 } else { 1 })
                .offset(((n - 1) / 2) as u64);
            let values: Vec<f64> = self
                .db
                .query_all(&base)
                .await?
                .iter()
                .filter_map(|row| row.try_get_by_index::<f64>(0).ok())
                .collect();
            (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
        };
        // To the hundredth of an hour: SQLite's julian days carry float noise below that.
        Ok(median.map(|hours| (hours * 100.0).round() / 100.0))
    }
}

/// An acknowledgement the firm made itself: as the firm, or through SYSTEM on a channel other than
/// its broker.
fn by_firm_itself() -> Expr {
    Expr::col(ack::Column::ActorRole)
        .eq("FIRM")
        .or(Expr::col(ack::Column::ActorRole)
            .eq("SYSTEM")
            .and(Expr::col(ack::Column::Channel).ne(Channel::Broker.as_str())))
}

async fn count(db: &DatabaseConnection, query: &SelectStatement) -> AppResult<i64> {
    match db.query_one(query).await? {
        Some(row) => Ok(read_i64(&row, 0)?),
        None => Ok(0),
    }
}
