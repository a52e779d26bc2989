//! What firms said they need, counted by the database: comments and commenting firms, per
//! response, the most used terms with examples, and the comments themselves, newest first. One
//! policy since publication reads its kept tallies; any other scope is one SQL aggregate over
//! indexed rows. No comment is loaded to be counted.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use futures::future::try_join_all;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Order, Query};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::tally;
use crate::db::read_count;
use crate::entity::{acknowledgement as ack, need_term as term};
use crate::error::AppResult;
use crate::outreach::{Response, Window};

/// Examples shown per term.
pub const EXAMPLES_PER_TERM: usize = 3;

/// Whose comments, when, and with which response.
#[derive(Clone, Debug)]
pub struct Scope {
    /// The policies: one, or every policy of a department.
    pub policies: Vec<Uuid>,
    pub window: Window,
    pub response: Option<Response>,
}

/// Comments in the scope and the distinct firms that wrote them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub comments: i64,
    pub firms: i64,
}

/// Where a comment entry list resumes: after the entry made at this time with this id.
pub type After = (DateTime<Utc>, Uuid);

impl Scope {
    /// The one policy whose kept tallies (`super::tally`) answer for the scope: since
    /// publication, whatever the response.
    fn tallied(&self) -> Option<Uuid> {
        match self.policies.as_slice() {
            [policy] if self.window.is_unbounded() => Some(*policy),
            _ => None,
        }
    }

    /// Acknowledgements with a comment in the scope.
    fn comments(&self) -> Condition {
        let mut condition = Condition::all()
            .add(ack::Column::PolicyId.is_in(self.policies.iter().copied()))
            .add(ack::Column::Comment.is_not_null())
            .add(
                self.window
                    .holds(Expr::col((ack::Entity, ack::Column::CreatedAt))),
            );
        if let Some(response) = self.response {
            condition = condition.add(ack::Column::Response.eq(response));
        }
        condition
    }

    /// Term rows in the scope.
    fn terms(&self) -> Condition {
        let col = |c: term::Column| Expr::col((term::Entity, c));
        let mut condition = Condition::all()
            .add(col(term::Column::PolicyId).is_in(self.policies.iter().copied()))
            .add(self.window.holds(col(term::Column::CreatedAt)));
        if let Some(response) = self.response {
            condition = condition.add(col(term::Column::Response).eq(response.as_str()));
        }
        condition
    }
}

/// How many comments, and from how many firms (kept for one policy since publication).
pub async fn totals(db: &DatabaseConnection, scope: &Scope) -> AppResult<Totals> {
    if let Some(policy) = scope.tallied() {
        let (comments, firms) = tally::comments_of(db, policy, scope.response).await?;
        return Ok(Totals { comments, firms });
    }
    let row: Option<(i64, i64)> = ack::Entity::find()
        .select_only()
        .expr(Expr::cust("COUNT(*)"))
        .expr(Expr::cust("COUNT(DISTINCT firm_uscc)"))
        .filter(scope.comments())
        .into_tuple()
        .one(db)
        .await?;
    let (comments, firms) = row.unwrap_or_default();
    Ok(Totals { comments, firms })
}

/// Comments and commenting firms per response, in the order of the responses.
pub async fn by_response(
    db: &DatabaseConnection,
    scope: &Scope,
) -> AppResult<Vec<(Response, Totals)>> {
    if let Some(policy) = scope.tallied() {
        return Ok(tally::by_response_of(db, policy)
            .await?
            .into_iter()
            .filter(|(response, _, _)| scope.response.is_none_or(|r| r == *response))
            .map(|(response, comments, firms)| (response, Totals { comments, firms }))
            .collect());
    }
    let rows: Vec<(Response, i64, i64)> = ack::Entity::find()
        .select_only()
        .column(ack::Column::Response)
        .expr(Expr::cust("COUNT(*)"))
        .expr(Expr::cust("COUNT(DISTINCT firm_uscc)"))
        .filter(scope.comments())
        .group_by(ack::Column::Response)
        .into_tuple()
        .all(db)
        .await?;
    let mut found: Vec<(Response, Totals)> = rows
        .into_iter()
        .map(|(response, comments, firms)| (response, Totals { comments, firms }))
        .collect();
    found.sort_by_key(|(response, _)| *response);
    Ok(found)
}

/// The `limit` terms used by the most firms (then alphabetically), each with its firm count: kept
/// for one policy since publication; otherwise the distinct (term, firm) pairs read in the order
/// of their index, then counted per term.
pub async fn top_terms(
    db: &DatabaseConnection,
    scope: &Scope,
    limit: u64,
) -> AppResult<Vec<(String, i64)>> {
    if let Some(policy) = scope.tallied()
        && scope.response.is_none()
    {
        return tally::top_terms_of(db, policy, limit).await;
    }
    let mut pairs = Query::select();
    pairs
        .distinct()
        .column((term::Entity, term::Column::Term))
        .column((term::Entity, term::Column::FirmUscc))
        .from(term::Entity)
        .cond_where(scope.terms());
    let firms = Expr::cust("COUNT(*)");
    let mut query = Query::select();
    query
        .column(Alias::new("term"))
        .expr_as(firms.clone(), Alias::new("firms"))
        .from_subquery(pairs, Alias::new("pairs"))
        .group_by_col(Alias::new("term"))
        .order_by_expr(firms, Order::Desc)
        .order_by(Alias::new("term"), Order::Asc)
        .limit(limit);
    db.query_all(&query)
        .await?
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, read_count(row, 1)?)))
        .collect()
}

/// Rows read per term for its examples: the newest, of which the distinct comments are kept.
const EXAMPLE_ROWS: u64 = 50;

/// Up to [`EXAMPLES_PER_TERM`] distinct comments that used each of `terms`, most recent first:
/// for each term, its newest rows from the (policy, term, time) index, the terms read at once.
pub async fn examples(
    db: &DatabaseConnection,
    scope: &Scope,
    terms: &[String],
) -> AppResult<HashMap<String, Vec<String>>> {
    let found = try_join_all(terms.iter().map(|wanted| async move {
        let mut query = Query::select();
        query
            .column((ack::Entity, ack::Column::Comment))
            .from(term::Entity)
            .inner_join(
                ack::Entity,
                Expr::col((ack::Entity, ack::Column::Id))
                    .equals((term::Entity, term::Column::AcknowledgementId)),
            )
            .cond_where(scope.terms())
            .and_where(Expr::col((term::Entity, term::Column::Term)).eq(wanted.as_str()))
            .order_by((term::Entity, term::Column::CreatedAt), Order::Desc)
            .limit(EXAMPLE_ROWS);
        let mut kept: Vec<String> = Vec::new();
        for row in db.query_all(&query).await? {
            let comment: Option<String> = row.try_get_by_index(0)?;
            if let Some(comment) = comment
                && !kept.contains(&comment)
            {
                kept.push(comment);
                if kept.len() == EXAMPLES_PER_TERM {
                    break;
                }
            }
        }
        AppResult::Ok((wanted.clone(), kept))
    }))
    .await?;
    Ok(found.into_iter().collect())
}

/// Comments in the scope that used `term` (every comment when none).
fn entries_query(scope: &Scope, term: Option<&str>) -> sea_orm::Select<ack::Entity> {
    let mut query = ack::Entity::find().filter(scope.comments());
    if let Some(wanted) = term {
        let mut using = Query::select();
        using
            .column((term::Entity, term::Column::AcknowledgementId))
            .from(term::Entity)
            .cond_where(scope.terms())
            .and_where(Expr::col((term::Entity, term::Column::Term)).eq(wanted));
        query = query.filter(ack::Column::Id.in_subquery(using));
    }
    query
}

/// The next `limit` comments after `after`, newest first.
pub async fn entries(
    db: &DatabaseConnection,
    scope: &Scope,
    term: Option<&str>,
    after: Option<After>,
    limit: u64,
) -> AppResult<Vec<ack::Model>> {
    let mut query = entries_query(scope, term);
    if let Some((at, id)) = after {
        query = query.filter(
            Condition::any().add(ack::Column::CreatedAt.lt(at)).add(
                Condition::all()
                    .add(ack::Column::CreatedAt.eq(at))
                    .add(ack::Column::Id.lt(id)),
            ),
        );
    }
    Ok(query
        .order_by_desc(ack::Column::CreatedAt)
        .order_by_desc(ack::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// How many comments [`entries`] lists in all.
pub async fn entry_count(
    db: &DatabaseConnection,
    scope: &Scope,
    term: Option<&str>,
) -> AppResult<u64> {
    Ok(entries_query(scope, term).count(db).await?)
}
