//! The writer of acknowledgements: requests that wait together share one transaction, each
//! (policy, firm) pair once, each counted in its funnel row; a reused key answers the row stored
//! under it.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter,
};
use uuid::Uuid;

use super::audience::KeptRules;
use super::department_reach::{self, Touched};
use super::funnel::{self, DayShard};
use super::group_commit::{GroupCommit, Job, Sink};
use crate::auth::Role;
use crate::clock::Clock;
use crate::db::{self, begin_write};
use crate::eligibility::service::firm_not_synced;
use crate::entity::acknowledgement;
use crate::error::{AppError, AppResult};
use crate::firm::service as firms;
use crate::needs;

/// An acknowledgement waiting to be written. `by_firm`: the firm answered itself, not through its
/// broker.
pub struct Pending {
    pub row: acknowledgement::Model,
    pub by_firm: bool,
    /// The terms of the comment, stored beside it.
    pub terms: Vec<String>,
}

impl Job for Pending {
    type Answer = acknowledgement::Model;

    fn pairs(&self) -> impl Iterator<Item = (Uuid, &str)> {
        std::iter::once((self.row.policy_id, self.row.firm_uscc.as_str()))
    }

    fn rows(&self) -> usize {
        1
    }
}

/// Where acknowledgements are sent to be written.
pub type Answers = GroupCommit<Pending>;

/// Starts the writer of acknowledgements: one, since a batch of them is light and a second
/// writer only halves the batches (measured on PostgreSQL: 2,194 a second with one writer,
/// 1,480 to 1,644 with two).
pub fn start(db: DatabaseConnection, clock: Arc<dyn Clock>, zone: Tz, rules: KeptRules) -> Answers {
    GroupCommit::start(Acknowledgements { db, zone, rules }, clock, 1)
}

struct Acknowledgements {
    db: DatabaseConnection,
    zone: Tz,
    rules: KeptRules,
}

impl Sink for Acknowledgements {
    type Job = Pending;

    async fn write(
        &self,
        jobs: &[Pending],
        now: DateTime<Utc>,
        writer: usize,
    ) -> AppResult<Vec<AppResult<acknowledgement::Model>>> {
        let stamped: Vec<Pending> = jobs
            .iter()
            .map(|job| Pending {
                row: acknowledgement::Model {
                    created_at: now,
                    ..job.row.clone()
                },
                by_firm: job.by_firm,
                terms: job.terms.clone(),
            })
            .collect();
        let txn = begin_write(&self.db).await?;
        let shard = DayShard::answers(writer);
        let answers = record_all(&txn, &stamped, self.zone, shard, &self.rules).await?;
        txn.commit().await?;
        Ok(answers)
    }
}

/// Records acknowledgements (each (policy, firm) pair once) and counts them in the funnel. Each
/// is answered with its stored row, the row stored before under its key, or why it was refused.
pub async fn record_all(
    txn: &DatabaseTransaction,
    pending: &[Pending],
    zone: Tz,
    shard: DayShard,
    rules: &KeptRules,
) -> AppResult<Vec<AppResult<acknowledgement::Model>>> {
    let usccs: Vec<&str> = pending.iter().map(|p| p.row.firm_uscc.as_str()).collect();
    let held = firms::hold_firms(txn, &usccs).await?;
    let known: Vec<&Pending> = pending
        .iter()
        .filter(|p| held.contains_key(&p.row.firm_uscc))
        .collect();
    let inserted = insert_new(txn, &known).await?;
    let stored: Vec<&Pending> = known
        .iter()
        .copied()
        .filter(|p| inserted.contains(&p.row.id))
        .collect();
    let flags = rules
        .flags(
            txn,
            &held,
            stored
                .iter()
                .map(|p| (p.row.policy_id, p.row.firm_uscc.as_str())),
        )
        .await?;
    let counted: Vec<funnel::Answered<'_>> = stored
        .iter()
        .map(|p| funnel::Answered {
            row: &p.row,
            prefecture: held
                .get(&p.row.firm_uscc)
                .map(|f| firms::prefecture(f).to_owned())
                .unwrap_or_default(),
            by_firm: p.by_firm,
            in_audience: flags
                .flags
                .get(&(p.row.policy_id, p.row.firm_uscc.clone()))
                .copied(),
        })
        .collect();
    funnel::answered(txn, &counted, zone, shard).await?;
    let touched: Vec<Touched<'_>> = stored
        .iter()
        .map(|p| Touched {
            policy: p.row.policy_id,
            firm: &p.row.firm_uscc,
            reached: false,
            acknowledged: true,
        })
        .collect();
    department_reach::follow(txn, &touched, &flags.departments).await?;
    let comments: Vec<needs::tally::Comment<'_>> = stored
        .iter()
        .map(|p| needs::tally::Comment {
            row: &p.row,
            terms: &p.terms,
        })
        .collect();
    needs::tally::add(txn, &comments).await?;
    let terms = stored
        .iter()
        .flat_map(|p| needs::store::rows_of(&p.row, &p.terms))
        .collect();
    needs::store::insert(txn, terms).await?;
    let mut answers = Vec::with_capacity(pending.len());
    for p in pending {
        let row = &p.row;
        answers.push(if !held.contains_key(&row.firm_uscc) {
            Err(firm_not_synced(&row.firm_uscc))
        } else if inserted.contains(&row.id) {
            Ok(row.clone())
        } else {
            // Another request with this key won; answer with its row.
            match find_by_key(
                txn,
                row.actor_role,
                &row.actor_subject,
                &row.idempotency_key,
            )
            .await?
            {
                Some(existing) => replay(existing, &row.request_fingerprint),
                None => Err(AppError::internal_msg(
                    "idempotency key conflicted but no row holds it",
                )),
            }
        });
    }
    Ok(answers)
}

/// Inserts the acknowledgements whose idempotency keys are free; returns the ids inserted.
async fn insert_new(txn: &DatabaseTransaction, pending: &[&Pending]) -> AppResult<HashSet<Uuid>> {
    use acknowledgement::Column as A;
    let models = pending
        .iter()
        .map(|p| acknowledgement::ActiveModel::from(p.row.clone()))
        .collect();
    db::insert_models(txn, models, |insert| {
        insert
            .on_conflict(
                OnConflict::columns([A::ActorRole, A::ActorSubject, A::IdempotencyKey])
                    .do_nothing()
                    .to_owned(),
            )
            .returning_col(A::Id);
    })
    .await?
    .iter()
    .map(|row| row.try_get::<Uuid>("", "id").map_err(Into::into))
    .collect()
}

/// Inserts one acknowledgement and counts it; false when its idempotency key is already taken
/// (nothing written). `by_firm`: the firm answered itself, not through its broker.
pub async fn record(
    txn: &DatabaseTransaction,
    row: &acknowledgement::Model,
    by_firm: bool,
    zone: Tz,
    rules: &KeptRules,
) -> AppResult<bool> {
    let pending = [Pending {
        row: row.clone(),
        by_firm,
        terms: needs::terms::terms(row.comment.as_deref().unwrap_or_default()),
    }];
    match record_all(txn, &pending, zone, DayShard::SHARED, rules)
        .await?
        .pop()
    {
        Some(Ok(stored)) => Ok(stored.id == row.id),
        Some(Err(AppError::Conflict(_))) => Ok(false),
        Some(Err(err)) => Err(err),
        None => Err(AppError::internal_msg("an acknowledgement gave no answer")),
    }
}

pub(super) fn replay(
    existing: acknowledgement::Model,
    fingerprint: &str,
) -> AppResult<acknowledgement::Model> {
    if existing.request_fingerprint == fingerprint {
        Ok(existing)
    } else {
        Err(AppError::Conflict(
            "this idempotency key was used for a different acknowledgement; use a new key"
                .to_owned(),
        ))
    }
}

pub(super) async fn find_by_key(
    db: &impl ConnectionTrait,
    role: Role,
    subject: &str,
    key: &str,
) -> AppResult<Option<acknowledgement::Model>> {
    Ok(acknowledgement::Entity::find()
        .filter(acknowledgement::Column::ActorRole.eq(role))
        .filter(acknowledgement::Column::ActorSubject.eq(subject))
        .filter(acknowledgement::Column::IdempotencyKey.eq(key))
        .one(db)
        .await?)
}
