//! When things happened: the daily series, and how long firms take to answer.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseBackend};

use super::{Figures, count};
use crate::db::read_count;
use crate::entity::{policy_daily_reach as daily, policy_firm_funnel as funnel};
use crate::error::AppResult;
use crate::outreach::counts::Day;

impl Figures {
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
        // A day's rows, one per writer that added to it, add up.
        let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
        for row in self.db.query_all(&query).await? {
            let day = days
                .entry(row.try_get::<NaiveDate>("", "day")?)
                .or_default();
            day.deliveries += read_count(&row, "deliveries")?;
            day.newly_reached += read_count(&row, "newly_reached")?;
            day.acknowledgements += read_count(&row, "acknowledgements")?;
        }
        Ok(days)
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
        let median = if self.db.get_database_backend() == DatabaseBackend::Postgres {
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
