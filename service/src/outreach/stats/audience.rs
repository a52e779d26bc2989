//! The audience per prefecture, and how much of it was reached and answered.

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement, UnionType};

use super::{Figures, count_where, funnel_col};
use crate::db::read_count;
use crate::entity::{firm, policy_firm_funnel as funnel};
use crate::error::AppResult;
use crate::firm::service::prefecture_of_row;
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
            funnel_reach(&mut query).left_join(funnel::Entity, on_funnel);
        } else {
            // Joined, not tested per firm (`uscc IN (...)`): PostgreSQL runs a subquery too large
            // for its work memory once for every firm of the audience, minutes at a million.
            let touched = Alias::new("touched");
            touched_reach(&mut query).join_subquery(
                JoinType::LeftJoin,
                self.touched_in_window(),
                touched.clone(),
                Expr::col((firm::Entity, firm::Column::Uscc))
                    .equals((touched, Alias::new("firm_uscc"))),
            );
        }
        query
    }

    /// Each firm reached or answering in the window, once: `r` 1 if it was reached in it, `a` 1
    /// if it answered in it.
    fn touched_in_window(&self) -> SelectStatement {
        let flagged = |firms: SelectStatement, reached: i32, answered: i32| {
            let mut flagged = Query::select();
            flagged
                .column(Alias::new("firm_uscc"))
                .expr_as(Expr::val(reached), Alias::new("r"))
                .expr_as(Expr::val(answered), Alias::new("a"))
                .from_subquery(firms, Alias::new("firms"));
            flagged
        };
        let mut both = flagged(self.reached_firms(), 1, 0);
        both.union(
            UnionType::All,
            flagged(self.acknowledged_firms(false), 0, 1),
        );
        let mut once = Query::select();
        once.column(Alias::new("firm_uscc"))
            .expr_as(Expr::cust("MAX(flagged.r)"), Alias::new("r"))
            .expr_as(Expr::cust("MAX(flagged.a)"), Alias::new("a"))
            .from_subquery(both, Alias::new("flagged"))
            .group_by_col(Alias::new("firm_uscc"));
        once
    }

    /// How many of the audience were reached and answered (`reached`, `acknowledged`), driven
    /// from the policy's reach rather than its audience: its funnel rows (or, in a window, the
    /// firms reached and answering in it), each joined to its firm and kept if the firm is in the
    /// audience. It reads as many firms as the policy reached, not as many as it may reach.
    pub(super) fn reach_in_audience_select(&self) -> SelectStatement {
        let mut query = Query::select();
        let firm_is = |uscc: Expr| Expr::col((firm::Entity, firm::Column::Uscc)).eq(uscc);
        if self.window.is_unbounded() {
            funnel_reach(&mut query)
                .from(funnel::Entity)
                .inner_join(firm::Entity, firm_is(funnel_col(funnel::Column::FirmUscc)))
                .and_where(funnel_col(funnel::Column::PolicyId).eq(self.policy));
        } else {
            let touched = Alias::new("touched");
            touched_reach(&mut query)
                .from_subquery(self.touched_in_window(), touched.clone())
                .inner_join(
                    firm::Entity,
                    firm_is(Expr::col((touched, Alias::new("firm_uscc")))),
                );
        }
        query.and_where(self.audience.clone());
        query
    }

    /// The audience per prefecture, and how many of it were reached and answered: one pass over
    /// the audience, joined to the policy's funnel rows (or, in a window, to the firms reached
    /// and answering in it).
    pub async fn audience_counts(&self) -> AppResult<AudienceCounts> {
        let mut query = self.audience_select();
        query
            .expr_as(prefecture_of_row(), Alias::new("prefecture"))
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

/// `reached` and `acknowledged` within a window: the flags of the window's firms
/// ([`Figures::touched_in_window`]) joined to the query as `touched`.
fn touched_reach(query: &mut SelectStatement) -> &mut SelectStatement {
    query
        .expr_as(
            Expr::cust("COALESCE(SUM(touched.r), 0)"),
            Alias::new("reached"),
        )
        .expr_as(
            Expr::cust("COALESCE(SUM(touched.a), 0)"),
            Alias::new("acknowledged"),
        )
}

/// `reached` and `acknowledged`: the funnel rows joined to the query with a first delivery and a
/// first acknowledgement.
fn funnel_reach(query: &mut SelectStatement) -> &mut SelectStatement {
    query
        .expr_as(
            count_where(funnel_col(funnel::Column::FirstDeliveredAt).is_not_null()),
            Alias::new("reached"),
        )
        .expr_as(
            count_where(funnel_col(funnel::Column::FirstAcknowledgedAt).is_not_null()),
            Alias::new("acknowledged"),
        )
}
