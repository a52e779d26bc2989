//! The figures within a date window, from the deliveries and acknowledgements made in it.

use std::collections::BTreeMap;

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};

use super::{Figures, by_firm_itself, count, funnel_col};
use crate::db::read_count;
use crate::entity::{acknowledgement as ack, filing, policy_firm_funnel as funnel};
use crate::error::AppResult;
use crate::outreach::counts::FunnelCounts;
use crate::outreach::ledger::presenting;
use crate::outreach::{Channel, Response};

impl Figures {
    /// Reached, acknowledged, by channel, by region and by latest response within the window.
    pub(super) async fn funnel_counts_in_window(&self) -> AppResult<FunnelCounts> {
        let reached = self.count_of(self.reached_firms()).await?;
        let acknowledged = self.count_of(self.acknowledged_firms(false)).await?;
        let acknowledged_by_firm = self.count_of(self.acknowledged_firms(true)).await?;
        let mut by_channel: BTreeMap<Channel, (i64, i64)> = BTreeMap::new();
        let mut delivered = self.deliveries_in_window();
        delivered
            .column(filing::Column::Channel)
            .expr(Expr::cust("COUNT(DISTINCT firm_uscc)"))
            .group_by_col(filing::Column::Channel);
        let mut answered = Query::select();
        answered
            .column(ack::Column::Channel)
            .expr(Expr::cust("COUNT(DISTINCT firm_uscc)"))
            .from(ack::Entity)
            .and_where(Expr::col(ack::Column::PolicyId).eq(self.policy))
            .group_by_col(ack::Column::Channel);
        self.window
            .restrict(&mut answered, Expr::col(ack::Column::CreatedAt));
        for (query, is_delivery) in [(delivered, true), (answered, false)] {
            for row in self.db.query_all(&query).await? {
                let name: String = row.try_get_by_index(0)?;
                if let Some(channel) = Channel::parse(&name) {
                    let entry = by_channel.entry(channel).or_default();
                    if is_delivery {
                        entry.0 = read_count(&row, 1)?;
                    } else {
                        entry.1 = read_count(&row, 1)?;
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
                .and_where(funnel_col(funnel::Column::PolicyId).eq(self.policy))
                .and_where(funnel_col(funnel::Column::FirmUscc).in_subquery(firms))
                .group_by_col((funnel::Entity, funnel::Column::PrefectureCode));
            for row in self.db.query_all(&query).await? {
                let entry = by_region.entry(row.try_get_by_index(0)?).or_default();
                if reached {
                    entry.0 = read_count(&row, 1)?;
                } else {
                    entry.1 = read_count(&row, 1)?;
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
            // Within a window the audience is counted over the firms (`audience_counts`).
            reached_in_audience: 0,
            acknowledged_in_audience: 0,
            // Taken over the firms that first answered in the window (`timing.rs`).
            median_hours_to_acknowledge: None,
        })
    }

    /// Firms with a delivery in the window, each once.
    pub(super) fn reached_firms(&self) -> SelectStatement {
        let mut query = self.deliveries_in_window();
        query.distinct().column(filing::Column::FirmUscc);
        query
    }

    /// `FROM filing` restricted to the ledger rows that delivered the policy in the window: each
    /// presentation a row holds was a new delivery at the row's time.
    fn deliveries_in_window(&self) -> SelectStatement {
        let presenting = presenting(self.db.get_database_backend(), self.policy);
        let mut query = Query::select();
        query.from(filing::Entity).and_where(presenting);
        self.window.restrict(
            &mut query,
            Expr::col((filing::Entity, filing::Column::FiledAt)),
        );
        query
    }

    /// Firms with an acknowledgement in the window; `by_firm`: only those that answered
    /// themselves (not only through their broker).
    pub(super) fn acknowledged_firms(&self, by_firm: bool) -> SelectStatement {
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
                Some(read_count(row, 1).map(|firms| (response, firms)))
            })
            .collect::<Result<_, _>>()?;
        counts.sort();
        Ok(counts)
    }
}
