//! The audience per prefecture, and how much of it was reached and answered.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};

use super::{Figures, count_where, funnel_col, prefecture};
use crate::db::read_count;
use crate::entity::{firm, policy_firm_funnel as funnel};
use crate::error::AppResult;
use crate::outreach::counts::AudienceCounts;

impl Figures {
    /// The audience, and how many of it were reached and answered (`audience`, `reached`,
    /// `acknowledged`): one pass over the audience, joined to the policy's funnel rows (or, in a
    /// window, to the firms reached and answering in it).
    pub(super) fn audience_select(&self) -> SelectStatement {
        let mut query = Query::select();
        query
            .expr_as(Expr::cust("COUNT(*)"), Alias::new("audience"))
            .from(firm::Entity)
            .and_where(self.audience.clone());
        if self.window.is_unbounded() {
            let on_funnel = funnel_col(funnel::Column::PolicyId).eq(self.policy).and(
                funnel_col(funnel::Column::FirmUscc).equals((firm::Entity, firm::Column::Uscc)),
            );
            query
                .expr_as(
                    count_where(funnel_col(funnel::Column::FirstDeliveredAt).is_not_null()),
                    Alias::new("reached"),
                )
                .expr_as(
                    count_where(funnel_col(funnel::Column::FirstAcknowledgedAt).is_not_null()),
                    Alias::new("acknowledged"),
                )
                .left_join(funnel::Entity, on_funnel);
        } else {
            let uscc = Expr::col((firm::Entity, firm::Column::Uscc));
            query
                .expr_as(
                    count_where(uscc.clone().in_subquery(self.reached_firms())),
                    Alias::new("reached"),
                )
                .expr_as(
                    count_where(uscc.in_subquery(self.acknowledged_firms(false))),
                    Alias::new("acknowledged"),
                );
        }
        query
    }

    /// The audience per prefecture, and how many of it were reached and answered: one pass over
    /// the audience, joined to the policy's funnel rows (or, in a window, to the firms reached
    /// and answering in it).
    pub async fn audience_counts(&self) -> AppResult<AudienceCounts> {
        let mut query = self.audience_select();
        query
            .expr_as(prefecture(), Alias::new("prefecture"))
            .group_by_col(Alias::new("prefecture"));
        let mut counts = AudienceCounts::default();
        for row in self.db.query_all(&query).await? {
            let audience = read_count(&row, "audience")?;
            counts.audience += audience;
            counts.reached_in_audience += read_count(&row, "reached")?;
            counts.acknowledged_in_audience += read_count(&row, "acknowledged")?;
            counts
                .by_region
                .insert(row.try_get("", "prefecture")?, audience);
        }
        Ok(counts)
    }
}
