//! The per-(policy, firm) funnel row: when the firm was first reached, on which channels, the
//! newest version it was shown, when it first answered and what it answers now. Written in the
//! transaction of a delivery that changes it and of each acknowledgement; order-independent, so
//! concurrent writers leave the same row.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict};
use sea_orm::{ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::Channel;
use crate::db;
use crate::entity::{acknowledgement, policy_daily_reach as daily, policy_firm_funnel as funnel};
use crate::error::AppResult;

use funnel::Column as C;

fn existing(c: C) -> Expr {
    Expr::col((funnel::Entity, c))
}

fn incoming(c: C) -> Expr {
    db::excluded(c)
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

/// What a (policy, firm) funnel row says of its deliveries.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReachState {
    pub reached: bool,
    pub channels: i32,
    pub version: Option<i32>,
}

impl ReachState {
    /// A new delivery of `version` on `channel`: whether it changes the row (a first reach, a
    /// new channel or a newer version).
    pub fn advance(&mut self, channel: Channel, version: i32) -> bool {
        let unchanged = self.reached
            && self.channels & channel.bit() != 0
            && self.version.is_some_and(|v| v >= version);
        self.reached = true;
        self.channels |= channel.bit();
        self.version = Some(self.version.map_or(version, |v| std::cmp::max(v, version)));
        !unchanged
    }
}

/// A change to a (policy, firm) funnel row: reached on `channels` with `version` at `at`.
pub struct Reach {
    pub policy_id: Uuid,
    pub firm_uscc: String,
    pub prefecture: String,
    pub channels: i32,
    pub version: i32,
    pub at: DateTime<Utc>,
    /// Whether the firm is in the policy's kept audience (none without a kept count).
    pub in_audience: Option<bool>,
}

/// The changes of one batch, one per (policy, firm) and in key order: one statement may update
/// a row once, and every writer takes funnel rows in the same order.
#[derive(Default)]
pub struct Reached(BTreeMap<(Uuid, String), Reach>);

impl Reached {
    pub fn add(&mut self, reach: Reach) {
        match self.0.entry((reach.policy_id, reach.firm_uscc.clone())) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(reach);
            }
            std::collections::btree_map::Entry::Occupied(mut slot) => {
                let held = slot.get_mut();
                held.channels |= reach.channels;
                held.version = std::cmp::max(held.version, reach.version);
                held.at = std::cmp::min(held.at, reach.at);
            }
        }
    }

    /// The (policy, firm) pairs changed.
    pub fn pairs(&self) -> impl Iterator<Item = (Uuid, &str)> {
        self.0.keys().map(|(policy, firm)| (*policy, firm.as_str()))
    }

    /// Sets each pair's audience flag from `flags`.
    pub fn flag(&mut self, flags: &HashMap<(Uuid, String), bool>) {
        for (key, reach) in &mut self.0 {
            reach.in_audience = flags.get(key).copied();
        }
    }
}

/// A new row's audience flag; a row that has one keeps it (the kept count's writers flag it).
fn kept_flag() -> Expr {
    Func::coalesce([existing(C::InAudience), incoming(C::InAudience)]).into()
}

/// Writes the changes to their funnel rows. Order-independent: concurrent writers leave the
/// same row.
pub async fn reached(txn: &DatabaseTransaction, changes: &Reached) -> AppResult<()> {
    const COLUMNS: [C; 8] = [
        C::PolicyId,
        C::FirmUscc,
        C::PrefectureCode,
        C::DeliveredChannels,
        C::FirstDeliveredAt,
        C::LastDeliveredVersion,
        C::AcknowledgedByFirm,
        C::InAudience,
    ];
    let values: Vec<Vec<sea_orm::Value>> = changes
        .0
        .values()
        .map(|r| {
            vec![
                r.policy_id.into(),
                r.firm_uscc.clone().into(),
                r.prefecture.clone().into(),
                r.channels.into(),
                r.at.into(),
                r.version.into(),
                false.into(),
                r.in_audience.into(),
            ]
        })
        .collect();
    db::insert_all(txn, funnel::Entity, &COLUMNS, values, |insert| {
        insert.on_conflict(
            OnConflict::columns([C::PolicyId, C::FirmUscc])
                .value(
                    C::DeliveredChannels,
                    existing(C::DeliveredChannels).bit_or(incoming(C::DeliveredChannels)),
                )
                .value(C::FirstDeliveredAt, earliest(C::FirstDeliveredAt))
                .value(C::LastDeliveredVersion, latest(C::LastDeliveredVersion))
                .value(C::InAudience, kept_flag())
                .to_owned(),
        );
    })
    .await?;
    Ok(())
}

/// A day's counts per policy, added up across statements and written once.
#[derive(Default)]
pub struct DayTally(HashMap<Uuid, DayCounts>);

impl DayTally {
    pub fn entry(&mut self, policy: Uuid) -> &mut DayCounts {
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

/// Which of a policy's rows for one day a writer adds to. A day row is held from its writer's
/// upsert until that writer commits, so writers that shared one would wait on each other at every
/// batch: each writer of filings or answers adds to rows of its own, and the daily series adds a
/// day's rows up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayShard(i16);

impl DayShard {
    /// Where requests that write on their own add (external deliveries, imports, the demo).
    pub const SHARED: DayShard = DayShard(0);

    /// The rows of the `writer`th writer of answers.
    pub fn answers(writer: usize) -> DayShard {
        DayShard(1 + Self::slot(writer))
    }

    /// The rows of the `writer`th writer of filings.
    pub fn filings(writer: usize) -> DayShard {
        DayShard(8 + Self::slot(writer))
    }

    /// One of seven slots: writers beyond them share.
    fn slot(writer: usize) -> i16 {
        i16::try_from(writer % 7).unwrap_or(0)
    }
}

/// Adds to the daily series of each policy, in `shard`'s rows.
pub async fn add_to_day(
    txn: &DatabaseTransaction,
    shard: DayShard,
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
                shard.0.into(),
                c.deliveries.into(),
                c.newly_reached.into(),
                c.acknowledgements.into(),
            ]
        })
        .collect();
    let columns = [
        D::PolicyId,
        D::Day,
        D::Shard,
        D::Deliveries,
        D::NewlyReached,
        D::Acknowledgements,
    ];
    let sum = |c: D| Expr::col((daily::Entity, c)).add(db::excluded(c));
    db::insert_all(txn, daily::Entity, &columns, values, |insert| {
        insert.on_conflict(
            OnConflict::columns([D::PolicyId, D::Day, D::Shard])
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
    /// Whether the firm is in the policy's kept audience (none without a kept count).
    pub in_audience: Option<bool>,
}

/// Counts acknowledgements (each (policy, firm) pair once) in their funnel rows and in the daily
/// series of their local day in `zone`. The latest response is the one with the latest time,
/// whichever transaction commits last (every SET expression reads the row as it was before the
/// update).
pub async fn answered(
    txn: &DatabaseTransaction,
    answers: &[Answered<'_>],
    zone: Tz,
    shard: DayShard,
) -> AppResult<()> {
    if answers.is_empty() {
        return Ok(());
    }
    const COLUMNS: [C; 11] = [
        C::PolicyId,
        C::FirmUscc,
        C::PrefectureCode,
        C::AcknowledgedChannels,
        C::FirstAcknowledgedAt,
        C::AcknowledgedByFirm,
        C::LatestResponse,
        C::LatestResponseVersion,
        C::LatestResponseAt,
        C::LatestAcknowledgementId,
        C::InAudience,
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
                a.row.channel.bit().into(),
                a.row.created_at.into(),
                a.by_firm.into(),
                a.row.response.as_str().into(),
                a.row.policy_version.into(),
                a.row.created_at.into(),
                a.row.id.into(),
                a.in_audience.into(),
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
                .value(C::InAudience, kept_flag())
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
        add_to_day(txn, shard, day, &tally.into_counts()).await?;
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
