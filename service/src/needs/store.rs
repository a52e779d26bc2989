//! Writing the terms of acknowledgements' comments: beside each new acknowledgement, in its
//! transaction; and, when the service starts, for acknowledgements stored before their terms
//! were extracted (or by an older extraction), the tallies of their policies counted again.

use std::collections::HashSet;
use std::time::Instant;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use uuid::Uuid;

use super::tally;
use super::terms::{TERMS_VERSION, terms};
use crate::db::{self, begin_write};
use crate::entity::{acknowledgement as ack, need_term};
use crate::error::AppResult;

/// Acknowledgements whose terms are extracted again per transaction when the service starts.
const CATCH_UP_BATCH: u64 = 500;

/// The term rows of a stored acknowledgement whose comment has `found` terms.
pub fn rows_of(row: &ack::Model, found: &[String]) -> Vec<need_term::ActiveModel> {
    found
        .iter()
        .map(|term| {
            need_term::ActiveModel::from(need_term::Model {
                acknowledgement_id: row.id,
                term: term.clone(),
                policy_id: row.policy_id,
                firm_uscc: row.firm_uscc.clone(),
                response: row.response,
                created_at: row.created_at,
            })
        })
        .collect()
}

/// Stores term rows; a row already there (an extraction that ran twice at once) is kept.
pub async fn insert(db: &impl ConnectionTrait, rows: Vec<need_term::ActiveModel>) -> AppResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    db::insert_models(db, rows, |insert| {
        insert.on_conflict(
            OnConflict::columns([
                need_term::Column::AcknowledgementId,
                need_term::Column::Term,
            ])
            .do_nothing()
            .to_owned(),
        );
    })
    .await?;
    Ok(())
}

/// Extracts the terms of every stored comment that has none from the current extraction, a batch
/// per transaction; returns how many comments it read.
pub async fn catch_up(db: &DatabaseConnection) -> AppResult<u64> {
    let started = Instant::now();
    let mut done = 0u64;
    let mut after: Option<Uuid> = None;
    let mut touched: HashSet<Uuid> = HashSet::new();
    loop {
        let mut query = ack::Entity::find()
            .filter(ack::Column::Comment.is_not_null())
            .filter(
                ack::Column::TermsVersion
                    .is_null()
                    .or(ack::Column::TermsVersion.lt(TERMS_VERSION)),
            )
            .order_by_asc(ack::Column::Id)
            .limit(CATCH_UP_BATCH);
        if let Some(after) = after {
            query = query.filter(ack::Column::Id.gt(after));
        }
        let batch = query.all(db).await?;
        let Some(last) = batch.last() else {
            break;
        };
        after = Some(last.id);
        let ids: Vec<Uuid> = batch.iter().map(|a| a.id).collect();
        let rows: Vec<need_term::ActiveModel> = batch
            .iter()
            .flat_map(|a| rows_of(a, &terms(a.comment.as_deref().unwrap_or_default())))
            .collect();
        let txn = begin_write(db).await?;
        need_term::Entity::delete_many()
            .filter(need_term::Column::AcknowledgementId.is_in(ids.clone()))
            .exec(&txn)
            .await?;
        insert(&txn, rows).await?;
        ack::Entity::update_many()
            .col_expr(ack::Column::TermsVersion, Expr::val(TERMS_VERSION))
            .filter(ack::Column::Id.is_in(ids))
            .exec(&txn)
            .await?;
        txn.commit().await?;
        done += batch.len() as u64;
        touched.extend(batch.iter().map(|a| a.policy_id));
    }
    if !touched.is_empty() {
        let policies: Vec<Uuid> = touched.into_iter().collect();
        let txn = begin_write(db).await?;
        tally::recount(&txn, Some(&policies)).await?;
        txn.commit().await?;
    }
    if done > 0 {
        tracing::info!(
            comments = done,
            took_ms = started.elapsed().as_millis() as u64,
            "extracted the terms of stored comments"
        );
    }
    Ok(done)
}
