//! The figures since the policy was published, from its funnel rows: one row per firm reached or
//! answering, so one pass counts them all.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, ExprTrait, Query};

use super::{Figures, count_where, funnel_col};
use crate::db::read_count;
use crate::entity::policy_firm_funnel as funnel;
use crate::error::AppResult;
use crate::outreach::counts::FunnelCounts;
use crate::outreach::{Channel, Response};

impl Figures {
    /// Reached, acknowledged, by channel and by response: one pass over the policy's funnel rows
    /// (with how many of each are flagged in the kept audience), or, within a window, over its
    /// deliveries and acknowledgements.
    pub async fn funnel_counts(&self) -> AppResult<FunnelCounts> {
        if !self.window.is_unbounded() {
            return self.funnel_counts_in_window().await;
        }
        let f = funnel_col;
        // Each aggregate's name, built once for the query and the reads of every row.
        let named = |prefix: &str, name: &str| format!("{prefix}_{}", name.to_lowercase());
        let delivered_on: Vec<String> = Channel::ALL
            .iter()
            .map(|c| named("delivered", c.as_str()))
            .collect();
        let answered_on: Vec<String> = Channel::ALL
            .iter()
            .map(|c| named("acknowledged", c.as_str()))
            .collect();
        let answering: Vec<String> = Response::ALL
            .iter()
            .map(|r| named("answering", r.as_str()))
            .collect();
        let mut query = Query::select();
        query
            .expr_as(f(funnel::Column::PrefectureCode), Alias::new("prefecture"))
            .expr_as(
                count_where(f(funnel::Column::FirstDeliveredAt).is_not_null()),
                Alias::new("reached"),
            )
            .expr_as(
                count_where(f(funnel::Column::FirstAcknowledgedAt).is_not_null()),
                Alias::new("acknowledged"),
            )
            .expr_as(
                count_where(
                    f(funnel::Column::FirstAcknowledgedAt)
                        .is_not_null()
                        .and(f(funnel::Column::AcknowledgedByFirm).eq(true)),
                ),
                Alias::new("acknowledged_by_firm"),
            )
            .expr_as(
                count_where(
                    f(funnel::Column::InAudience)
                        .eq(true)
                        .and(f(funnel::Column::FirstDeliveredAt).is_not_null()),
                ),
                Alias::new("reached_in_audience"),
            )
            .expr_as(
                count_where(
                    f(funnel::Column::InAudience)
                        .eq(true)
                        .and(f(funnel::Column::FirstAcknowledgedAt).is_not_null()),
                ),
                Alias::new("acknowledged_in_audience"),
            );
        for (i, channel) in Channel::ALL.iter().enumerate() {
            query
                .expr_as(
                    count_where(
                        f(funnel::Column::DeliveredChannels)
                            .bit_and(channel.bit())
                            .ne(0),
                    ),
                    Alias::new(delivered_on[i].as_str()),
                )
                .expr_as(
                    count_where(
                        f(funnel::Column::AcknowledgedChannels)
                            .bit_and(channel.bit())
                            .ne(0),
                    ),
                    Alias::new(answered_on[i].as_str()),
                );
        }
        for (response, name) in Response::ALL.iter().zip(&answering) {
            query.expr_as(
                count_where(f(funnel::Column::LatestResponse).eq(response.as_str())),
                Alias::new(name.as_str()),
            );
        }
        query
            .from(funnel::Entity)
            .and_where(f(funnel::Column::PolicyId).eq(self.policy))
            .group_by_col((funnel::Entity, funnel::Column::PrefectureCode));
        let mut counts = FunnelCounts::default();
        let mut per_channel = vec![(0i64, 0i64); Channel::ALL.len()];
        let mut per_response = vec![0i64; Response::ALL.len()];
        for row in self.db.query_all(&query).await? {
            let reached = read_count(&row, "reached")?;
            let acknowledged = read_count(&row, "acknowledged")?;
            counts.reached += reached;
            counts.acknowledged += acknowledged;
            counts.acknowledged_by_firm += read_count(&row, "acknowledged_by_firm")?;
            counts.reached_in_audience += read_count(&row, "reached_in_audience")?;
            counts.acknowledged_in_audience += read_count(&row, "acknowledged_in_audience")?;
            for (i, sums) in per_channel.iter_mut().enumerate() {
                sums.0 += read_count(&row, delivered_on[i].as_str())?;
                sums.1 += read_count(&row, answered_on[i].as_str())?;
            }
            for (name, sum) in answering.iter().zip(per_response.iter_mut()) {
                *sum += read_count(&row, name.as_str())?;
            }
            counts.by_region.insert(
                row.try_get::<String>("", "prefecture")?,
                (reached, acknowledged),
            );
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
}
