//! The figures since the policy was published, from its funnel rows: one row per firm reached or
//! answering, so one pass counts them all, and gathers the hours the median time to answer is
//! taken of when that is asked.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};

use super::{Figures, funnel_col, median_of, read_hours, seconds_to_answer};
use crate::db::read_count;
use crate::entity::policy_firm_funnel as funnel;
use crate::error::AppResult;
use crate::outreach::counts::{FunnelCounts, Median};
use crate::outreach::{Channel, Response};

impl Figures {
    /// Reached, acknowledged, by channel and by response, with how many of the reached and the
    /// answering the funnel rows flag as in the kept audience: one pass over the policy's funnel
    /// rows, or, within a window, over its deliveries and acknowledgements. With `median`, the
    /// pass over the funnel rows also takes the median hours to answer.
    pub async fn funnel_counts(&self, median: bool) -> AppResult<FunnelCounts> {
        if !self.window.is_unbounded() {
            return self.funnel_counts_in_window().await;
        }
        let f = funnel_col;
        // The rows are grouped by everything the figures tell apart (a few hundred groups,
        // however many rows) and each group is added up here: one aggregate per row, where an
        // aggregate per figure cost a third more.
        let shape: [(Expr, &str); 8] = [
            (f(funnel::Column::PrefectureCode), "prefecture"),
            (f(funnel::Column::DeliveredChannels), "delivered_on"),
            (f(funnel::Column::AcknowledgedChannels), "answered_on"),
            (f(funnel::Column::LatestResponse), "response"),
            (f(funnel::Column::AcknowledgedByFirm), "by_firm"),
            (f(funnel::Column::InAudience), "in_audience"),
            (f(funnel::Column::FirstDeliveredAt).is_not_null(), "reached"),
            (
                f(funnel::Column::FirstAcknowledgedAt).is_not_null(),
                "answered",
            ),
        ];
        let mut query = Query::select();
        for (expr, name) in &shape {
            query.expr_as(expr.clone(), Alias::new(*name));
        }
        query
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("firms"))
            .from(funnel::Entity)
            .and_where(f(funnel::Column::PolicyId).eq(self.policy))
            .add_group_by(shape.into_iter().map(|(expr, _)| expr));
        if median {
            query.expr_as(
                seconds_to_answer(self.db.get_database_backend()),
                Alias::new("hours"),
            );
        }
        let mut hours = Vec::new();
        let mut counts = FunnelCounts::default();
        let mut per_channel = vec![(0i64, 0i64); Channel::ALL.len()];
        let mut per_response = vec![0i64; Response::ALL.len()];
        for row in self.db.query_all(&query).await? {
            let firms = read_count(&row, "firms")?;
            let reached: bool = row.try_get("", "reached")?;
            let answered: bool = row.try_get("", "answered")?;
            let in_audience: Option<bool> = row.try_get("", "in_audience")?;
            let delivered_on: i32 = row.try_get("", "delivered_on")?;
            let answered_on: i32 = row.try_get("", "answered_on")?;
            let response: Option<Response> = row.try_get("", "response")?;
            let by_firm: bool = row.try_get("", "by_firm")?;
            if median && answered {
                read_hours(&row, "hours", &mut hours)?;
            }
            let (reached, answered) = (firms * i64::from(reached), firms * i64::from(answered));
            counts.reached += reached;
            counts.acknowledged += answered;
            if by_firm {
                counts.acknowledged_by_firm += answered;
            }
            if in_audience == Some(true) {
                counts.reached_in_audience += reached;
                counts.acknowledged_in_audience += answered;
            }
            for (channel, sums) in Channel::ALL.iter().zip(per_channel.iter_mut()) {
                if delivered_on & channel.bit() != 0 {
                    sums.0 += firms;
                }
                if answered_on & channel.bit() != 0 {
                    sums.1 += firms;
                }
            }
            if let Some(i) = response.and_then(|r| Response::ALL.iter().position(|a| *a == r)) {
                per_response[i] += firms;
            }
            let region = counts
                .by_region
                .entry(row.try_get::<String>("", "prefecture")?)
                .or_default();
            region.0 += reached;
            region.1 += answered;
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
        if median {
            counts.median_hours_to_acknowledge = Some(Median(median_of(&mut hours)));
        }
        Ok(counts)
    }
}
