//! The per-(policy, firm) funnel row: when the firm was first and last reached, on which channels,
//! when it first answered and what it answers now. Written in the transaction of each delivery and
//! acknowledgement; order-independent, so concurrent writers leave the same row.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::delivery::{NewDelivery, Recorded};
use crate::db;
use crate::entity::{acknowledgement, policy_daily_reach as daily, policy_firm_funnel as funnel};
use crate::error::AppResult;

use funnel::Column as C;

fn existing(c: C) -> Expr {
    Expr::col((funnel::Entity, c))
}

fn incoming(c: C) -> Expr {
    Expr::col((Alias::new("excluded"), c))
}

/// The earlier of the stored and the incoming time (either may be missing).
fn earliest(c: C) -> Expr {
    Expr::case(
        existing(c).is_null().or(incoming(c).lt(existing(c))),
        incoming(c),
    )
    .finally(existing(c))
    .into()
}

/// The later of the stored and the incoming value.
fn latest(c: C) -> Expr {
    Expr::case(
        existing(c).is_null().or(incoming(c).gt(existing(c))),
        incoming(c),
    )
    .finally(existing(c))
    .into()
}

/// The deliveries of `rows` reached their firms at `now`; `recorded` says which were new and
/// `prefectures` where each firm is. Adds the policies' deliveries and first reaches to `today`.
pub async fn reached(
    txn: &DatabaseTransaction,
    rows: &[&NewDelivery],
    recorded: &[Recorded],
    prefectures: &HashMap<String, String>,
    now: DateTime<Utc>,
    today: &mut DayTally,
) -> AppResult<()> {
    let new: HashSet<(Uuid, &str)> = recorded
        .iter()
        .filter(|r| r.is_new)
        .map(|r| (r.policy_id, r.firm_uscc.as_str()))
        .collect();
    const COLUMNS: [C; 9] = [
        C::PolicyId,
        C::FirmUscc,
        C::PrefectureCode,
        C::Deliveries,
        C::DeliveredChannels,
        C::FirstDeliveredAt,
        C::LastDeliveredAt,
        C::LastDeliveredVersion,
        C::AcknowledgedByFirm,
    ];
    let mut values = Vec::with_capacity(rows.len());
    for row in rows {
        let new = new.contains(&(row.policy_id, row.firm_uscc.as_str()));
        values.push(vec![
            row.policy_id.into(),
            row.firm_uscc.clone().into(),
            prefectures
                .get(&row.firm_uscc)
                .cloned()
                .unwrap_or_default()
                .into(),
            i32::from(new).into(),
            row.channel.bit().into(),
            now.into(),
            now.into(),
            row.policy_version.into(),
            false.into(),
        ]);
    }
    let returned = db::insert_all(txn, funnel::Entity, &COLUMNS, values, |insert| {
        insert
            .on_conflict(
                OnConflict::columns([C::PolicyId, C::FirmUscc])
                    .value(
                        C::Deliveries,
                        existing(C::Deliveries).add(incoming(C::Deliveries)),
                    )
                    .value(
                        C::DeliveredChannels,
                        existing(C::DeliveredChannels).bit_or(incoming(C::DeliveredChannels)),
                    )
                    .value(C::FirstDeliveredAt, earliest(C::FirstDeliveredAt))
                    .value(C::LastDeliveredAt, latest(C::LastDeliveredAt))
                    .value(C::LastDeliveredVersion, latest(C::LastDeliveredVersion))
                    .to_owned(),
            )
            .returning(Query::returning().columns([C::PolicyId, C::FirmUscc, C::Deliveries]));
    })
    .await?;
    for r in recorded.iter().filter(|r| r.is_new) {
        today.entry(r.policy_id).deliveries += 1;
    }
    for row in returned {
        let policy: Uuid = row.try_get("", "policy_id")?;
        let firm: String = row.try_get("", "firm_uscc")?;
        let deliveries: i32 = row.try_get("", "deliveries")?;
        // Every first presentation of a (policy, firm) is a new delivery, and the count reads
        // the committed row: it is 1 after this statement only for the writer that took it from
        // 0, whichever of two concurrent first reaches commits first.
        if deliveries == 1 && new.contains(&(policy, firm.as_str())) {
            today.entry(policy).newly_reached += 1;
        }
    }
    Ok(())
}

/// A day's counts per policy, added up across statements and written once.
#[derive(Default)]
pub struct DayTally(HashMap<Uuid, DayCounts>);

impl DayTally {
    fn entry(&mut self, policy: Uuid) -> &mut DayCounts {
        self.0.entry(policy).or_insert_with(|| DayCounts {
            policy,
            deliveries: 0,
            newly_reached: 0,
            acknowledgements: 0,
        })
    }

    pub fn into_counts(self) -> Vec<DayCounts> {
        self.0.into_values().collect()
    }
}

/// What happened to one policy on one day.
pub struct DayCounts {
    pub policy: Uuid,
    pub deliveries: i32,
    pub newly_reached: i32,
    pub acknowledgements: i32,
}

/// Adds to the daily series of each policy.
pub async fn add_to_day(
    txn: &DatabaseTransaction,
    day: NaiveDate,
    counts: &[DayCounts],
) -> AppResult<()> {
    use daily::Column as D;
    let counts: Vec<&DayCounts> = counts
        .iter()
        .filter(|c| c.deliveries + c.newly_reached + c.acknowledgements > 0)
        .collect();
    if counts.is_empty() {
        return Ok(());
    }
    let mut sorted = counts;
    sorted.sort_by_key(|c| c.policy);
    let values = sorted
        .into_iter()
        .map(|c| {
            vec![
                c.policy.into(),
                day.into(),
                c.deliveries.into(),
                c.newly_reached.into(),
                c.acknowledgements.into(),
            ]
        })
        .collect();
    let columns = [
        D::PolicyId,
        D::Day,
        D::Deliveries,
        D::NewlyReached,
        D::Acknowledgements,
    ];
    let sum = |c: D| Expr::col((daily::Entity, c)).add(Expr::col((Alias::new("excluded"), c)));
    db::insert_all(txn, daily::Entity, &columns, values, |insert| {
        insert.on_conflict(
            OnConflict::columns([D::PolicyId, D::Day])
                .value(D::Deliveries, sum(D::Deliveries))
                .value(D::NewlyReached, sum(D::NewlyReached))
                .value(D::Acknowledgements, sum(D::Acknowledgements))
                .to_owned(),
        );
    })
    .await?;
    Ok(())
}

/// An acknowledgement to count in its funnel row and its day.
pub struct Answered<'a> {
    pub row: &'a acknowledgement::Model,
    /// Where the firm is.
    pub prefecture: String,
    /// The firm answered itself, not through its broker.
    pub by_firm: bool,
}

/// Counts acknowledgements (each (policy, firm) pair once) in their funnel rows and in the daily
/// series of their local day in `zone`. The latest response is the one with the latest time,
/// whichever transaction commits last (every SET expression reads the row as it was before the
/// update).
pub async fn answered(
    txn: &DatabaseTransaction,
    answers: &[Answered<'_>],
    zone: Tz,
) -> AppResult<()> {
    if answers.is_empty() {
        return Ok(());
    }
    const COLUMNS: [C; 11] = [
        C::PolicyId,
        C::FirmUscc,
        C::PrefectureCode,
        C::Deliveries,
        C::AcknowledgedChannels,
        C::FirstAcknowledgedAt,
        C::AcknowledgedByFirm,
        C::LatestResponse,
        C::LatestResponseVersion,
        C::LatestResponseAt,
        C::LatestAcknowledgementId,
    ];
    let newer = existing(C::LatestResponseAt)
        .is_null()
        .or(incoming(C::LatestResponseAt).gte(existing(C::LatestResponseAt)));
    let if_newer = |c: C| -> Expr {
        Expr::case(newer.clone(), incoming(c))
            .finally(existing(c))
            .into()
    };
    // Key order, as every writer of funnel rows takes them.
    let mut sorted: Vec<&Answered<'_>> = answers.iter().collect();
    sorted.sort_by(|a, b| {
        (a.row.policy_id, &a.row.firm_uscc).cmp(&(b.row.policy_id, &b.row.firm_uscc))
    });
    let values = sorted
        .iter()
        .map(|a| {
            vec![
                a.row.policy_id.into(),
                a.row.firm_uscc.clone().into(),
                a.prefecture.clone().into(),
                0.into(),
                a.row.channel.bit().into(),
                a.row.created_at.into(),
                a.by_firm.into(),
                a.row.response.as_str().into(),
                a.row.policy_version.into(),
                a.row.created_at.into(),
                a.row.id.into(),
            ]
        })
        .collect();
    db::insert_all(txn, funnel::Entity, &COLUMNS, values, |insert| {
        insert.on_conflict(
            OnConflict::columns([C::PolicyId, C::FirmUscc])
                .value(
                    C::AcknowledgedChannels,
                    existing(C::AcknowledgedChannels).bit_or(incoming(C::AcknowledgedChannels)),
                )
                .value(C::FirstAcknowledgedAt, earliest(C::FirstAcknowledgedAt))
                .value(
                    C::AcknowledgedByFirm,
                    existing(C::AcknowledgedByFirm).or(incoming(C::AcknowledgedByFirm)),
                )
                .value(C::LatestResponse, if_newer(C::LatestResponse))
                .value(C::LatestResponseVersion, if_newer(C::LatestResponseVersion))
                .value(
                    C::LatestAcknowledgementId,
                    if_newer(C::LatestAcknowledgementId),
                )
                .value(C::LatestResponseAt, latest(C::LatestResponseAt))
                .to_owned(),
        );
    })
    .await?;
    let mut days: BTreeMap<NaiveDate, DayTally> = BTreeMap::new();
    for a in answers {
        let day = a.row.created_at.with_timezone(&zone).date_naive();
        days.entry(day)
            .or_default()
            .entry(a.row.policy_id)
            .acknowledgements += 1;
    }
    for (day, tally) in days {
        add_to_day(txn, day, &tally.into_counts()).await?;
    }
    Ok(())
}

/// Moves the funnel rows of firms that changed region to their new prefecture.
pub async fn relocate(db: &impl ConnectionTrait, moved: &[(String, String)]) -> AppResult<()> {
    for (uscc, prefecture) in moved {
        funnel::Entity::update_many()
            .col_expr(C::PrefectureCode, Expr::val(prefecture.as_str()))
            .filter(Expr::col(C::FirmUscc).eq(uscc.as_str()))
            .exec(db)
            .await?;
    }
    Ok(())
}
