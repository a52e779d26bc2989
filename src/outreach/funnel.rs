//! The per-(policy, firm) funnel row: when the firm was first and last reached, on which channels,
//! when it first answered and what it answers now. Written in the transaction of each delivery and
//! acknowledgement; order-independent, so concurrent writers leave the same row.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use uuid::Uuid;

use super::deliveries::{NewDelivery, Recorded};
use crate::entity::{acknowledgement, policy_firm_funnel as funnel};
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

/// The deliveries of `rows` reached their firms at `now`; `recorded` says which were new.
pub async fn reached(
    txn: &DatabaseTransaction,
    rows: &[NewDelivery],
    recorded: &[Recorded],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let new: HashSet<(Uuid, &str)> = recorded
        .iter()
        .filter(|r| r.is_new)
        .map(|r| (r.policy_id, r.firm_uscc.as_str()))
        .collect();
    let mut insert = Query::insert();
    insert.into_table(funnel::Entity).columns([
        C::PolicyId,
        C::FirmUscc,
        C::Deliveries,
        C::DeliveredChannels,
        C::FirstDeliveredAt,
        C::LastDeliveredAt,
        C::LastDeliveredVersion,
        C::AcknowledgedByFirm,
    ]);
    for row in rows {
        let new = new.contains(&(row.policy_id, row.firm_uscc.as_str()));
        insert.values_panic([
            row.policy_id.into(),
            row.firm_uscc.clone().into(),
            i32::from(new).into(),
            row.channel.bit().into(),
            now.into(),
            now.into(),
            row.policy_version.into(),
            false.into(),
        ]);
    }
    insert.on_conflict(
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
    );
    txn.execute(&insert).await?;
    Ok(())
}

/// The firm answered with `row`; `by_firm`: itself, not through its broker. The latest response
/// is the one with the latest time, whichever transaction commits last (every SET expression
/// reads the row as it was before the update).
pub async fn answered(
    txn: &DatabaseTransaction,
    row: &acknowledgement::Model,
    by_firm: bool,
) -> AppResult<()> {
    let newer = existing(C::LatestResponseAt)
        .is_null()
        .or(incoming(C::LatestResponseAt).gte(existing(C::LatestResponseAt)));
    let if_newer = |c: C| -> Expr {
        Expr::case(newer.clone(), incoming(c))
            .finally(existing(c))
            .into()
    };
    let mut insert = Query::insert();
    insert
        .into_table(funnel::Entity)
        .columns([
            C::PolicyId,
            C::FirmUscc,
            C::Deliveries,
            C::AcknowledgedChannels,
            C::FirstAcknowledgedAt,
            C::AcknowledgedByFirm,
            C::LatestResponse,
            C::LatestResponseVersion,
            C::LatestResponseAt,
            C::LatestAcknowledgementId,
        ])
        .values_panic([
            row.policy_id.into(),
            row.firm_uscc.clone().into(),
            0.into(),
            row.channel.bit().into(),
            row.created_at.into(),
            by_firm.into(),
            row.response.as_str().into(),
            row.policy_version.into(),
            row.created_at.into(),
            row.id.into(),
        ])
        .on_conflict(
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
    txn.execute(&insert).await?;
    Ok(())
}
