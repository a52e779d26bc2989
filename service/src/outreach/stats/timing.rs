//! When things happened: the daily series, and how long firms take to answer.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

use super::{Figures, median_of, read_hours, seconds_to_answer};
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

    /// The median of the hours from each firm's first delivery to its first acknowledgement,
    /// over the firms that first answered within the window. Over all time the funnel pass
    /// gathers the same hours (`funnel_counts`).
    pub async fn median_hours_to_acknowledge(&self) -> AppResult<Option<f64>> {
        let mut query = Query::select();
        query
            .expr_as(
                seconds_to_answer(self.db.get_database_backend()),
                Alias::new("hours"),
            )
            .from(funnel::Entity)
            .and_where(Expr::col(funnel::Column::PolicyId).eq(self.policy));
        self.window
            .restrict(&mut query, Expr::col(funnel::Column::FirstAcknowledgedAt));
        let mut hours = Vec::new();
        if let Some(row) = self.db.query_one(&query).await? {
            read_hours(&row, "hours", &mut hours)?;
        }
        Ok(median_of(&mut hours))
    }
}
