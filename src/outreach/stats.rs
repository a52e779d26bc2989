//! The reach figures of one policy (DESIGN §5 `Outreach`), each one SQL aggregate over indexed
//! tables: the funnel rows when no window is asked for, the deliveries and acknowledgements
//! themselves when one is. Nothing is loaded into the service to be counted.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, QueryResult};
use uuid::Uuid;

use super::unreached::read_i64;
use super::{Channel, Response};
use crate::entity::{acknowledgement as ack, delivery, firm, policy_firm_funnel as funnel};
use crate::error::{AppError, AppResult};

/// `[from, until)` in UTC, from dates in the configured zone; open ends are unbounded.
#[derive(Clone, Copy, Debug, Default)]
pub struct Window {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

impl Window {
    /// The instants between the start of `from` and the end of `to`, local days in `zone`.
    pub fn of_days(from: Option<NaiveDate>, to: Option<NaiveDate>, zone: Tz) -> AppResult<Window> {
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(AppError::field("to", format!("{to} is before from {from}")));
        }
        let midnight = |day: NaiveDate| {
            day.and_hms_opt(0, 0, 0)
                .and_then(|t| t.and_local_timezone(zone).earliest())
                .map(|t| t.with_timezone(&Utc))
        };
        Ok(Window {
            from: from.and_then(midnight),
            until: to.and_then(|d| d.succ_opt()).and_then(midnight),
        })
    }

    pub fn is_unbounded(&self) -> bool {
        self.from.is_none() && self.until.is_none()
    }

    fn restrict(&self, query: &mut SelectStatement, column: Expr) {
        if let Some(from) = self.from {
            query.and_where(column.clone().gte(from));
        }
        if let Some(until) = self.until {
            query.and_where(column.lt(until));
        }
    }
}

/// One day of the series.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Day {
    pub deliveries: i64,
    pub newly_reached: i64,
    pub acknowledgements: i64,
}

/// The figures of one policy over one window, for an audience given as a SQL condition on firms.
pub struct Figures {
    pub db: DatabaseConnection,
    pub policy: Uuid,
    pub audience: Expr,
    pub window: Window,
    pub zone: Tz,
}

impl Figures {
    fn backend(&self) -> DatabaseBackend {
        self.db.get_database_backend()
    }

    /// Firms in scope whose firm facts do not rule them out.
    pub async fn audience(&self) -> AppResult<i64> {
        let mut query = Query::select();
        query
            .expr(Expr::cust("COUNT(*)"))
            .from(firm::Entity)
            .and_where(self.audience.clone());
        count(&self.db, &query).await
    }

    /// Firms with a delivery in the window (`None`: ever), each once.
    fn reached_firms(&self) -> SelectStatement {
        let mut query = Query::select();
        if self.window.is_unbounded() {
            query
                .column(funnel::Column::FirmUscc)
                .from(funnel::Entity)
                .and_where(Expr::col(funnel::Column::PolicyId).eq(self.policy))
                .and_where(Expr::col(funnel::Column::FirstDeliveredAt).is_not_null());
        } else {
            query
                .distinct()
                .column(delivery::Column::FirmUscc)
                .from(delivery::Entity)
                .and_where(Expr::col(delivery::Column::PolicyId).eq(self.policy));
            self.window
                .restrict(&mut query, Expr::col(delivery::Column::DeliveredAt));
        }
        query
    }

    /// Firms with an acknowledgement in the window; `by_firm`: only those that answered
    /// themselves (not only through their broker).
    fn acknowledged_firms(&self, by_firm: bool) -> SelectStatement {
        let mut query = Query::select();
        if self.window.is_unbounded() {
            query
                .column(funnel::Column::FirmUscc)
                .from(funnel::Entity)
                .and_where(Expr::col(funnel::Column::PolicyId).eq(self.policy))
                .and_where(Expr::col(funnel::Column::FirstAcknowledgedAt).is_not_null());
            if by_firm {
                query.and_where(Expr::col(funnel::Column::AcknowledgedByFirm).eq(true));
            }
        } else {
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

    async fn count_in_audience(&self, firms: SelectStatement) -> AppResult<i64> {
        let mut query = Query::select();
        query
            .expr(Expr::cust("COUNT(*)"))
            .from(firm::Entity)
            .and_where(self.audience.clone())
            .and_where(Expr::col(firm::Column::Uscc).in_subquery(firms));
        count(&self.db, &query).await
    }

    pub async fn reached(&self) -> AppResult<i64> {
        self.count_of(self.reached_firms()).await
    }

    pub async fn reached_in_audience(&self) -> AppResult<i64> {
        self.count_in_audience(self.reached_firms()).await
    }

    pub async fn acknowledged(&self) -> AppResult<i64> {
        self.count_of(self.acknowledged_firms(false)).await
    }

    pub async fn acknowledged_by_firm(&self) -> AppResult<i64> {
        self.count_of(self.acknowledged_firms(true)).await
    }

    pub async fn acknowledged_in_audience(&self) -> AppResult<i64> {
        self.count_in_audience(self.acknowledged_firms(false)).await
    }

    /// Firms by their latest response in the window.
    pub async fn responses(&self) -> AppResult<Vec<(Response, i64)>> {
        let query = if self.window.is_unbounded() {
            let mut query = Query::select();
            query
                .column(funnel::Column::LatestResponse)
                .expr(Expr::cust("COUNT(*)"))
                .from(funnel::Entity)
                .and_where(Expr::col(funnel::Column::PolicyId).eq(self.policy))
                .and_where(Expr::col(funnel::Column::LatestResponse).is_not_null())
                .group_by_col(funnel::Column::LatestResponse);
            query
        } else {
            let mut ranked = Query::select();
            ranked
                .column(ack::Column::Response)
                .expr_as(
                    Expr::cust("ROW_NUMBER() OVER (PARTITION BY firm_uscc ORDER BY created_at DESC, id DESC)"),
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
            query
        };
        let rows = self.db.query_all(&query).await?;
        let mut counts: Vec<(Response, i64)> = rows
            .iter()
            .filter_map(|row| {
                let response: String = row.try_get_by_index(0).ok()?;
                Some((Response::parse(&response)?, read_i64(row, 1)))
            })
            .collect();
        counts.sort();
        Ok(counts)
    }

    /// Firms reached and firms that answered, per channel.
    pub async fn by_channel(&self) -> AppResult<Vec<(Channel, i64, i64)>> {
        let mut reached = BTreeMap::new();
        let mut acknowledged = BTreeMap::new();
        if self.window.is_unbounded() {
            let mut query = Query::select();
            for channel in Channel::ALL {
                for column in [
                    funnel::Column::DeliveredChannels,
                    funnel::Column::AcknowledgedChannels,
                ] {
                    query.expr(Func::sum(
                        Expr::case(Expr::col(column).bit_and(channel.bit()).ne(0), 1).finally(0),
                    ));
                }
            }
            query
                .from(funnel::Entity)
                .and_where(Expr::col(funnel::Column::PolicyId).eq(self.policy));
            if let Some(row) = self.db.query_one(&query).await? {
                for (i, channel) in Channel::ALL.iter().enumerate() {
                    reached.insert(*channel, read_i64(&row, 2 * i));
                    acknowledged.insert(*channel, read_i64(&row, 2 * i + 1));
                }
            }
        } else {
            for (entity_is_delivery, counts) in [(true, &mut reached), (false, &mut acknowledged)] {
                let mut query = Query::select();
                if entity_is_delivery {
                    query
                        .column(delivery::Column::Channel)
                        .expr(Expr::cust("COUNT(DISTINCT firm_uscc)"))
                        .from(delivery::Entity)
                        .and_where(Expr::col(delivery::Column::PolicyId).eq(self.policy))
                        .group_by_col(delivery::Column::Channel);
                    self.window
                        .restrict(&mut query, Expr::col(delivery::Column::DeliveredAt));
                } else {
                    query
                        .column(ack::Column::Channel)
                        .expr(Expr::cust("COUNT(DISTINCT firm_uscc)"))
                        .from(ack::Entity)
                        .and_where(Expr::col(ack::Column::PolicyId).eq(self.policy))
                        .group_by_col(ack::Column::Channel);
                    self.window
                        .restrict(&mut query, Expr::col(ack::Column::CreatedAt));
                }
                for row in self.db.query_all(&query).await? {
                    let channel: String = row.try_get_by_index(0)?;
                    if let Some(channel) = Channel::parse(&channel) {
                        counts.insert(channel, read_i64(&row, 1));
                    }
                }
            }
        }
        Ok(Channel::ALL
            .iter()
            .map(|c| {
                (
                    *c,
                    reached.get(c).copied().unwrap_or(0),
                    acknowledged.get(c).copied().unwrap_or(0),
                )
            })
            .filter(|(_, r, a)| *r > 0 || *a > 0)
            .collect())
    }

    /// Audience, reached and acknowledged firms per prefecture (the province for firms
    /// registered at province level).
    pub async fn by_region(&self) -> AppResult<Vec<(String, i64, i64, i64)>> {
        let audience = self.per_region(self.audience.clone()).await?;
        let reached = self
            .per_region(Expr::col(firm::Column::Uscc).in_subquery(self.reached_firms()))
            .await?;
        let acknowledged = self
            .per_region(Expr::col(firm::Column::Uscc).in_subquery(self.acknowledged_firms(false)))
            .await?;
        let mut regions: Vec<String> = audience
            .keys()
            .chain(reached.keys())
            .chain(acknowledged.keys())
            .cloned()
            .collect();
        regions.sort();
        regions.dedup();
        let get = |map: &BTreeMap<String, i64>, r: &str| map.get(r).copied().unwrap_or(0);
        let mut rows: Vec<(String, i64, i64, i64)> = regions
            .into_iter()
            .map(|r| {
                let figures = (
                    get(&audience, &r),
                    get(&reached, &r),
                    get(&acknowledged, &r),
                );
                (r, figures.0, figures.1, figures.2)
            })
            .collect();
        rows.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
        Ok(rows)
    }

    async fn per_region(&self, condition: Expr) -> AppResult<BTreeMap<String, i64>> {
        let region = Func::coalesce([
            Expr::col(firm::Column::PrefectureCode),
            Expr::col(firm::Column::ProvinceCode),
        ]);
        let mut query = Query::select();
        query
            .expr_as(region.clone(), Alias::new("prefecture"))
            .expr(Expr::cust("COUNT(*)"))
            .from(firm::Entity)
            .and_where(condition)
            .group_by_col(Alias::new("prefecture"));
        let rows = self.db.query_all(&query).await?;
        rows.iter()
            .map(|row| Ok((row.try_get_by_index::<String>(0)?, read_i64(row, 1))))
            .collect()
    }

    /// Per day in the configured zone: deliveries, firms reached for the first time, acknowledgements.
    pub async fn daily(&self) -> AppResult<BTreeMap<NaiveDate, Day>> {
        let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
        let series = [
            (Alias::new("delivery"), Alias::new("delivered_at")),
            (
                Alias::new("policy_firm_funnel"),
                Alias::new("first_delivered_at"),
            ),
            (Alias::new("acknowledgement"), Alias::new("created_at")),
        ];
        for (i, (table, column)) in series.into_iter().enumerate() {
            let mut query = Query::select();
            query
                .expr_as(self.bucket(&column), Alias::new("bucket"))
                .expr(Expr::cust("COUNT(*)"))
                .from(table)
                .and_where(Expr::col(Alias::new("policy_id")).eq(self.policy))
                .and_where(Expr::col(column.clone()).is_not_null())
                .group_by_col(Alias::new("bucket"));
            self.window.restrict(&mut query, Expr::col(column));
            for row in self.db.query_all(&query).await? {
                let Some(day) = self.bucket_day(&row)? else {
                    continue;
                };
                let n = read_i64(&row, 1);
                let entry = days.entry(day).or_default();
                match i {
                    0 => entry.deliveries += n,
                    1 => entry.newly_reached += n,
                    _ => entry.acknowledgements += n,
                }
            }
        }
        Ok(days)
    }

    /// PostgreSQL buckets by the local date exactly; SQLite by the hour (shifted by the zone's
    /// minutes), which `bucket_day` turns into the local date.
    fn bucket(&self, column: &Alias) -> Expr {
        let column = &column.0;
        match self.backend() {
            DatabaseBackend::Postgres => Expr::cust(format!(
                "CAST(({column} AT TIME ZONE '{}') AS DATE)",
                self.zone.name()
            )),
            _ => Expr::cust(format!(
                "strftime('%Y-%m-%dT%H', {column}, '+{} minutes')",
                self.minute_shift()
            )),
        }
    }

    fn bucket_day(&self, row: &QueryResult) -> AppResult<Option<NaiveDate>> {
        Ok(match self.backend() {
            DatabaseBackend::Postgres => Some(row.try_get_by_index::<NaiveDate>(0)?),
            _ => {
                let label: String = row.try_get_by_index(0)?;
                NaiveDateTime::parse_from_str(&format!("{label}:00"), "%Y-%m-%dT%H:%M")
                    .ok()
                    .map(|hour| (hour - TimeDelta::minutes(self.minute_shift())).and_utc())
                    .map(|start| start.with_timezone(&self.zone).date_naive())
            }
        })
    }

    /// The minutes past the hour of the zone's offset (30 for India, 45 for Nepal, else 0).
    fn minute_shift(&self) -> i64 {
        use chrono::Offset;
        let offset = Utc::now()
            .with_timezone(&self.zone)
            .offset()
            .fix()
            .local_minus_utc();
        i64::from(offset.rem_euclid(3600) / 60)
    }

    /// The median of the hours from each firm's first delivery to its first acknowledgement.
    pub async fn median_hours_to_acknowledge(&self) -> AppResult<Option<f64>> {
        let hours = match self.backend() {
            DatabaseBackend::Postgres => {
                "CAST(EXTRACT(EPOCH FROM (first_acknowledged_at - first_delivered_at)) AS DOUBLE PRECISION) / 3600.0"
            }
            _ => "(julianday(first_acknowledged_at) - julianday(first_delivered_at)) * 24.0",
        };
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
        let mut counting = base.clone();
        counting.expr(Expr::cust("COUNT(*)"));
        let n = count(&self.db, &counting).await?;
        if n == 0 {
            return Ok(None);
        }
        let mut middle = base;
        middle
            .expr(Expr::cust(hours))
            .order_by_expr(Expr::cust(hours), sea_orm::sea_query::Order::Asc)
            .limit(if n % 2 == 0 { 2 } else { 1 })
            .offset(((n - 1) / 2) as u64);
        let values: Vec<f64> = self
            .db
            .query_all(&middle)
            .await?
            .iter()
            .filter_map(|row| row.try_get_by_index::<f64>(0).ok())
            .collect();
        // To the hundredth of an hour: SQLite's julian days carry float noise below that.
        Ok((!values.is_empty())
            .then(|| values.iter().sum::<f64>() / values.len() as f64)
            .map(|hours| (hours * 100.0).round() / 100.0))
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
    Ok(db
        .query_one(query)
        .await?
        .map_or(0, |row| read_i64(&row, 0)))
}
