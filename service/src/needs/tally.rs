//! The kept tallies of what firms said about each policy since publication (migration 10): per
//! (policy, term) the distinct firms that used the term, per (policy, response) the comments and
//! the distinct firms that wrote them (`""`: every response). `needs` of one policy without a
//! window reads them instead of counting a hundred thousand comments.
//!
//! The transaction that stores comments adds to them: a comment adds one to its response's
//! comments and to every response's, a firm counts once where it had not commented before, a
//! term where the firm had not used it before. It looks for the earlier comments after the
//! batch's funnel rows are written, so a concurrent writer of the same (policy, firm) pair has
//! committed or waits. Where the term rows are extracted again (when the service starts), the
//! tallies of the policies touched are counted again from the rows, under a lock that makes the
//! writers wait.

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QuerySelect, Set,
};
use uuid::Uuid;

use crate::db::{KEYS_PER_LIST, in_pieces, read_count};
use crate::entity::{
    acknowledgement as ack, need_comment_tally as comments, need_term as term,
    need_term_tally as terms,
};
use crate::error::AppResult;
use crate::outreach::Response;

/// The response of the tallies that count every response.
pub const EVERY_RESPONSE: &str = "";

/// A stored comment and its terms.
pub struct Comment<'a> {
    pub row: &'a ack::Model,
    pub terms: &'a [String],
}

/// Adds the batch's comments to the tallies. Call it after the batch's acknowledgements and funnel
/// rows are written and before its term rows are.
pub async fn add(txn: &impl ConnectionTrait, batch: &[Comment<'_>]) -> AppResult<()> {
    let batch: Vec<&Comment> = batch.iter().filter(|c| c.row.comment.is_some()).collect();
    if batch.is_empty() {
        return Ok(());
    }
    let policies: Vec<Uuid> = distinct(batch.iter().map(|c| c.row.policy_id));
    let firms: Vec<String> = distinct(batch.iter().map(|c| c.row.firm_uscc.clone()));
    let used: Vec<String> = distinct(batch.iter().flat_map(|c| c.terms.iter().cloned()));
    let ids: Vec<Uuid> = batch.iter().map(|c| c.row.id).collect();

    // Who had commented before, with which response, and which terms they had used.
    let mut answered: HashSet<(Uuid, String, String)> = HashSet::new();
    let mut termed: HashSet<(Uuid, String, String)> = HashSet::new();
    for chunk in in_pieces(&firms, KEYS_PER_LIST) {
        let rows: Vec<(Uuid, String, Response)> = ack::Entity::find()
            .select_only()
            .columns([
                ack::Column::PolicyId,
                ack::Column::FirmUscc,
                ack::Column::Response,
            ])
            .filter(ack::Column::Comment.is_not_null())
            .filter(ack::Column::PolicyId.is_in(policies.iter().copied()))
            .filter(ack::Column::FirmUscc.is_in(chunk.iter().cloned()))
            .filter(ack::Column::Id.is_not_in(ids.iter().copied()))
            .into_tuple()
            .all(txn)
            .await?;
        answered.extend(
            rows.into_iter()
                .map(|(p, f, r)| (p, f, r.as_str().to_owned())),
        );
        if used.is_empty() {
            continue;
        }
        let rows: Vec<(Uuid, String, String)> = term::Entity::find()
            .select_only()
            .columns([
                term::Column::PolicyId,
                term::Column::FirmUscc,
                term::Column::Term,
            ])
            .filter(term::Column::PolicyId.is_in(policies.iter().copied()))
            .filter(term::Column::Term.is_in(used.iter().cloned()))
            .filter(term::Column::FirmUscc.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(txn)
            .await?;
        termed.extend(rows);
    }
    // Each comment of the batch is counted once more; its firm once more where these sets did
    // not hold it yet (and from then on they do, so a second comment in the batch is not new).
    let mut commented: HashSet<(Uuid, String)> =
        answered.iter().map(|(p, f, _)| (*p, f.clone())).collect();
    let mut by_response: HashMap<(Uuid, String), (i64, i64)> = HashMap::new();
    let mut by_term: HashMap<(Uuid, String), i64> = HashMap::new();
    for c in &batch {
        let (policy, firm) = (c.row.policy_id, c.row.firm_uscc.clone());
        let response = c.row.response.as_str().to_owned();
        let new_for_policy = commented.insert((policy, firm.clone()));
        let new_for_response = answered.insert((policy, firm.clone(), response.clone()));
        for (key, new) in [
            (EVERY_RESPONSE.to_owned(), new_for_policy),
            (response, new_for_response),
        ] {
            let tally = by_response.entry((policy, key)).or_default();
            tally.0 += 1;
            tally.1 += i64::from(new);
        }
        for word in c.terms {
            if termed.insert((policy, firm.clone(), word.clone())) {
                *by_term.entry((policy, word.clone())).or_default() += 1;
            }
        }
    }

    let comment_rows = by_response
        .into_iter()
        .map(|((policy, response), (n, firms))| comments::ActiveModel {
            policy_id: Set(policy),
            response: Set(response),
            comments: Set(n),
            firms: Set(firms),
        });
    for chunk in comment_rows.collect::<Vec<_>>().chunks(KEYS_PER_LIST) {
        comments::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([comments::Column::PolicyId, comments::Column::Response])
                    .value(
                        comments::Column::Comments,
                        Expr::col((comments::Entity, comments::Column::Comments))
                            .add(Expr::cust("excluded.comments")),
                    )
                    .value(
                        comments::Column::Firms,
                        Expr::col((comments::Entity, comments::Column::Firms))
                            .add(Expr::cust("excluded.firms")),
                    )
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    let term_rows: Vec<terms::ActiveModel> = by_term
        .into_iter()
        .map(|((policy, word), firms)| terms::ActiveModel {
            policy_id: Set(policy),
            term: Set(word),
            firms: Set(firms),
        })
        .collect();
    for chunk in term_rows.chunks(KEYS_PER_LIST) {
        terms::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([terms::Column::PolicyId, terms::Column::Term])
                    .value(
                        terms::Column::Firms,
                        Expr::col((terms::Entity, terms::Column::Firms))
                            .add(Expr::cust("excluded.firms")),
                    )
                    .to_owned(),
            )
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

fn distinct<T: Eq + std::hash::Hash + Clone>(items: impl Iterator<Item = T>) -> Vec<T> {
    items.collect::<HashSet<T>>().into_iter().collect()
}

/// Counts the tallies of `policies` again from the stored rows (every policy when `None`),
/// holding the writers off meanwhile.
pub async fn recount(txn: &impl ConnectionTrait, policies: Option<&[Uuid]>) -> AppResult<()> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        txn.execute_unprepared(
            "LOCK TABLE need_term_tally, need_comment_tally IN SHARE ROW EXCLUSIVE MODE",
        )
        .await?;
    }
    let pieces: Vec<Option<&[Uuid]>> = match policies {
        None => vec![None],
        Some(ids) => in_pieces(ids, KEYS_PER_LIST).map(Some).collect(),
    };
    for piece in pieces {
        let only = |column: Expr| match piece {
            Some(ids) => column.is_in(ids.iter().copied()),
            None => Expr::val(true),
        };
        let mut gone = Query::delete();
        gone.from_table(terms::Entity)
            .and_where(only(Expr::col(terms::Column::PolicyId)));
        txn.execute(&gone).await?;
        let mut gone = Query::delete();
        gone.from_table(comments::Entity)
            .and_where(only(Expr::col(comments::Column::PolicyId)));
        txn.execute(&gone).await?;

        let mut counted = Query::select();
        counted
            .column(term::Column::PolicyId)
            .column(term::Column::Term)
            .expr(Expr::cust("COUNT(DISTINCT firm_uscc)"))
            .from(term::Entity)
            .and_where(only(Expr::col(term::Column::PolicyId)))
            .group_by_col(term::Column::PolicyId)
            .group_by_col(term::Column::Term);
        let mut insert = Query::insert();
        insert
            .into_table(terms::Entity)
            .columns([
                terms::Column::PolicyId,
                terms::Column::Term,
                terms::Column::Firms,
            ])
            .select_from(counted)
            .map_err(|e| crate::error::AppError::internal_msg(e.to_string()))?;
        txn.execute(&insert).await?;

        for every in [false, true] {
            let mut counted = Query::select();
            counted.column(ack::Column::PolicyId);
            if every {
                counted.expr(Expr::val(EVERY_RESPONSE));
            } else {
                counted.column(ack::Column::Response);
            }
            counted
                .expr(Expr::cust("COUNT(*)"))
                .expr(Expr::cust("COUNT(DISTINCT firm_uscc)"))
                .from(ack::Entity)
                .and_where(Expr::col(ack::Column::Comment).is_not_null())
                .and_where(only(Expr::col(ack::Column::PolicyId)))
                .group_by_col(ack::Column::PolicyId);
            if !every {
                counted.group_by_col(ack::Column::Response);
            }
            let mut insert = Query::insert();
            insert
                .into_table(comments::Entity)
                .columns([
                    comments::Column::PolicyId,
                    comments::Column::Response,
                    comments::Column::Comments,
                    comments::Column::Firms,
                ])
                .select_from(counted)
                .map_err(|e| crate::error::AppError::internal_msg(e.to_string()))?;
            txn.execute(&insert).await?;
        }
    }
    Ok(())
}

/// The kept comment tally of one policy and response (`None`: every response).
pub async fn comments_of(
    db: &impl ConnectionTrait,
    policy: Uuid,
    response: Option<Response>,
) -> AppResult<(i64, i64)> {
    let key = response.map_or(EVERY_RESPONSE, Response::as_str);
    Ok(comments::Entity::find_by_id((policy, key.to_owned()))
        .one(db)
        .await?
        .map_or((0, 0), |t| (t.comments, t.firms)))
}

/// The kept comment tallies of one policy per response, in the order of the responses.
pub async fn by_response_of(
    db: &impl ConnectionTrait,
    policy: Uuid,
) -> AppResult<Vec<(Response, i64, i64)>> {
    let rows = comments::Entity::find()
        .filter(comments::Column::PolicyId.eq(policy))
        .filter(comments::Column::Response.ne(EVERY_RESPONSE))
        .all(db)
        .await?;
    let mut found: Vec<(Response, i64, i64)> = rows
        .into_iter()
        .filter_map(|t| Some((Response::parse(&t.response)?, t.comments, t.firms)))
        .collect();
    found.sort_by_key(|(response, _, _)| *response);
    Ok(found)
}

/// The `limit` terms of one policy used by the most firms (then alphabetically).
pub async fn top_terms_of(
    db: &impl ConnectionTrait,
    policy: Uuid,
    limit: u64,
) -> AppResult<Vec<(String, i64)>> {
    let mut query = Query::select();
    query
        .column(terms::Column::Term)
        .column(terms::Column::Firms)
        .from(terms::Entity)
        .and_where(Expr::col(terms::Column::PolicyId).eq(policy))
        .and_where(Expr::col(terms::Column::Firms).gt(0))
        .order_by(terms::Column::Firms, sea_orm::Order::Desc)
        .order_by(terms::Column::Term, sea_orm::Order::Asc)
        .limit(limit);
    db.query_all(&query)
        .await?
        .iter()
        .map(|row| Ok((row.try_get_by_index(0)?, read_count(row, 1)?)))
        .collect()
}
