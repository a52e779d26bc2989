//! Recording presentations: one delivery per (policy, version, firm, channel, declaration), repeats
//! counted as impressions, and the per-(policy, firm) funnel row kept current in the same
//! transaction. A bounded number of statements per 1,000 rows, whatever the number of matches.

use std::borrow::Borrow;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{DatabaseConnection, DatabaseTransaction};

use crate::db::{self, begin_write};
use uuid::Uuid;

use super::Channel;
pub use super::delivery::{NewDelivery, Recorded};
use super::funnel;
use crate::entity::delivery;
use crate::error::AppResult;
use crate::firm::service as firms;

/// Deliveries written, then counted in their funnel rows, per round: bounds the rows returned and
/// held at once ([`db::insert_all`] cuts each round into statements).
const ROWS_PER_ROUND: usize = 1_000;

/// [`record`] in a transaction of its own; nothing to write, nothing done.
pub async fn save(
    db: &DatabaseConnection,
    rows: &[impl Borrow<NewDelivery> + Sync],
    now: DateTime<Utc>,
    zone: Tz,
) -> AppResult<Vec<Recorded>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let txn = begin_write(db).await?;
    let recorded = record(&txn, rows, now, zone).await?;
    txn.commit().await?;
    Ok(recorded)
}

/// Records the deliveries and updates the funnel rows of their (policy, firm) pairs. Each pair
/// appears at most once in `rows`.
pub async fn record(
    txn: &DatabaseTransaction,
    rows: &[impl Borrow<NewDelivery> + Sync],
    now: DateTime<Utc>,
    zone: Tz,
) -> AppResult<Vec<Recorded>> {
    let day = now.with_timezone(&zone).date_naive();
    // Rows in key order: concurrent writers then lock rows in the same order and cannot deadlock.
    let mut rows: Vec<&NewDelivery> = rows.iter().map(Borrow::borrow).collect();
    rows.sort_by(|a, b| {
        (a.policy_id, &a.firm_uscc, a.channel, &a.declaration_id).cmp(&(
            b.policy_id,
            &b.firm_uscc,
            b.channel,
            &b.declaration_id,
        ))
    });
    let usccs: Vec<&str> = rows.iter().map(|r| r.firm_uscc.as_str()).collect();
    let prefectures = firms::hold_prefectures(txn, &usccs).await?;
    let mut recorded = Vec::with_capacity(rows.len());
    let mut today = funnel::DayTally::default();
    for chunk in rows.chunks(ROWS_PER_ROUND) {
        let inserted = insert_deliveries(txn, chunk, now).await?;
        funnel::reached(txn, chunk, &inserted, &prefectures, now, &mut today).await?;
        recorded.extend(inserted);
    }
    // The day rows last, once: every writer takes funnel rows before day rows, so a large batch
    // and a single filing never wait on each other in opposite orders.
    funnel::add_to_day(txn, day, &today.into_counts()).await?;
    Ok(recorded)
}

async fn insert_deliveries(
    txn: &DatabaseTransaction,
    rows: &[&NewDelivery],
    now: DateTime<Utc>,
) -> AppResult<Vec<Recorded>> {
    use delivery::Column as C;
    let models = rows
        .iter()
        .map(|row| {
            delivery::ActiveModel::from(delivery::Model {
                id: Uuid::now_v7(),
                policy_id: row.policy_id,
                policy_version: row.policy_version,
                firm_uscc: row.firm_uscc.clone(),
                channel: row.channel,
                declaration_id: row.declaration_id.clone(),
                actor_role: row.actor_role,
                actor_subject: row.actor_subject.clone(),
                broker_uscc: row.broker_uscc.clone(),
                impressions: 1,
                decision: row.decision.clone(),
                note: row.note.clone(),
                delivered_at: now,
                last_shown_at: now,
            })
        })
        .collect();
    let returned = db::insert_models(txn, models, |insert| {
        insert
            .on_conflict(
                OnConflict::columns([
                    C::PolicyId,
                    C::PolicyVersion,
                    C::FirmUscc,
                    C::Channel,
                    C::DeclarationId,
                ])
                .value(
                    C::Impressions,
                    Expr::col((delivery::Entity, C::Impressions)).add(1),
                )
                .value(
                    C::LastShownAt,
                    Expr::col((Alias::new("excluded"), C::LastShownAt)),
                )
                .to_owned(),
            )
            .returning(Query::returning().columns([
                C::Id,
                C::PolicyId,
                C::FirmUscc,
                C::PolicyVersion,
                C::Channel,
                C::DeclarationId,
                C::DeliveredAt,
                C::Impressions,
            ]));
    })
    .await?;
    returned
        .into_iter()
        .map(|row| {
            let channel: String = row.try_get("", "channel")?;
            let impressions: i32 = row.try_get("", "impressions")?;
            Ok(Recorded {
                id: row.try_get("", "id")?,
                policy_id: row.try_get("", "policy_id")?,
                firm_uscc: row.try_get("", "firm_uscc")?,
                policy_version: row.try_get("", "policy_version")?,
                channel: Channel::parse(&channel).unwrap_or(Channel::Other),
                declaration_id: row.try_get("", "declaration_id")?,
                delivered_at: row.try_get("", "delivered_at")?,
                // A repeat only raised the impressions of the row it met.
                is_new: impressions == 1,
            })
        })
        .collect::<Result<_, sea_orm::DbErr>>()
        .map_err(Into::into)
}
