//! `upsertFirms`: the single window's firm profiles synced in, all or nothing. A firm that moved
//! prefecture takes its reach rows with it, in the same transaction.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter, Set,
};

use super::Uscc;
use super::input::{FirmInput, FirmRecord, validate_all};
use super::service::{existing_usccs, hold_firms_exclusively, prefecture};
use crate::db::begin_write;
use crate::eligibility::synced_firm_facts;
use crate::entity::{firm, firm_broker};
use crate::error::{AppResult, InputErrors};
use crate::outreach::audience;
use crate::region::RegionCatalog;

/// Rows per INSERT: keeps every statement under SQLite's bound-parameter limit.
const ROWS_PER_STATEMENT: usize = 500;

/// What one sync changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpsertCounts {
    pub created: usize,
    pub updated: usize,
}

/// Creates or updates firms, all or nothing: every row is validated first and every broker must be
/// a known firm (or come in the same call).
pub async fn upsert(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    inputs: Vec<FirmInput>,
    now: DateTime<Utc>,
) -> AppResult<UpsertCounts> {
    let mut records = validate_all(inputs, regions)?;
    // Key order: concurrent syncs lock rows in the same order and cannot deadlock.
    records.sort_by(|a, b| a.uscc.cmp(&b.uscc));
    let txn = begin_write(db).await?;
    let usccs: Vec<String> = records.iter().map(|r| r.uscc.to_string()).collect();
    // The firms first, then the kept audiences, in the order every writer of funnel rows takes
    // them: neither waits for the other in the opposite order.
    let keys: Vec<&str> = usccs.iter().map(String::as_str).collect();
    let before = hold_firms_exclusively(&txn, &keys).await?;
    audience::before_sync(&txn).await?;
    check_brokers_known(&txn, &records).await?;

    let stored: Vec<firm::Model> = records.iter().map(|r| stored(r, now)).collect();
    let moved: Vec<(String, String)> = stored
        .iter()
        .filter_map(|after| {
            let was = before.get(&after.uscc)?;
            (prefecture(was) != prefecture(after))
                .then(|| (after.uscc.clone(), prefecture(after).to_owned()))
        })
        .collect();
    let changes = stored
        .iter()
        .map(|after| {
            let facts = |m: &firm::Model| synced_firm_facts(m, regions);
            let at = |m: &firm::Model| prefecture(m).to_owned();
            let was = match before.get(&after.uscc) {
                Some(was) => Some((facts(was)?, at(was))),
                None => None,
            };
            Ok((after.uscc.clone(), was, (facts(after)?, at(after))))
        })
        .collect::<AppResult<Vec<_>>>()?;
    for chunk in stored.chunks(ROWS_PER_STATEMENT) {
        firm::Entity::insert_many(
            chunk
                .iter()
                .map(|m| m.clone().into_active_model().reset_all()),
        )
        .on_conflict(
            OnConflict::column(firm::Column::Uscc)
                .update_columns([
                    firm::Column::CustomsCode,
                    firm::Column::Name,
                    firm::Column::RegionCode,
                    firm::Column::ProvinceCode,
                    firm::Column::PrefectureCode,
                    firm::Column::Size,
                    firm::Column::Industry,
                    firm::Column::CustomsCredit,
                    firm::Column::ExportValuePrevYearUsd,
                    firm::Column::ImportValuePrevYearUsd,
                    firm::Column::ForeignInvested,
                    firm::Column::RegisteredOn,
                    firm::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    replace_brokers(&txn, &records, now).await?;
    crate::outreach::funnel::relocate(&txn, &moved).await?;
    audience::follow_sync(&txn, regions, &changes).await?;
    txn.commit().await?;

    let updated = before.len();
    Ok(UpsertCounts {
        created: records.len() - updated,
        updated,
    })
}

/// The firm's row as the sync writes it (the columns a conflict leaves alone are the stored ones).
fn stored(r: &FirmRecord, now: DateTime<Utc>) -> firm::Model {
    firm::Model {
        uscc: r.uscc.to_string(),
        customs_code: r.customs_code.clone(),
        name: r.name.as_str().to_owned(),
        region_code: r.region.to_string(),
        province_code: r.province.to_string(),
        prefecture_code: r.prefecture.map(|c| c.to_string()),
        size: r.size,
        industry: r.industry.clone(),
        customs_credit: r.customs_credit,
        export_value_prev_year_usd: r.export_value_prev_year_usd,
        import_value_prev_year_usd: r.import_value_prev_year_usd,
        foreign_invested: r.foreign_invested,
        registered_on: r.registered_on,
        last_filed_at: None,
        broker_count: 0,
        created_at: now,
        updated_at: now,
    }
}

async fn check_brokers_known(db: &impl ConnectionTrait, records: &[FirmRecord]) -> AppResult<()> {
    let in_call: HashSet<&str> = records.iter().map(|r| r.uscc.as_str()).collect();
    let outside: Vec<&str> = records
        .iter()
        .flat_map(|r| r.brokers.iter().flatten())
        .map(Uscc::as_str)
        .filter(|u| !in_call.contains(u))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let known = existing_usccs(db, &outside).await?;
    let mut errors = InputErrors::default();
    for record in records {
        for (j, broker) in record.brokers.iter().flatten().enumerate() {
            if !in_call.contains(broker.as_str()) && !known.contains(broker.as_str()) {
                errors.push(
                    format!("firms[{}].brokers[{j}]", record.row),
                    format!(
                        "no firm {broker} is known: sync the broker as a firm first (it may come in the same call)"
                    ),
                );
            }
        }
    }
    Ok(errors.into_result(())?)
}

async fn replace_brokers(
    db: &impl ConnectionTrait,
    records: &[FirmRecord],
    now: DateTime<Utc>,
) -> AppResult<()> {
    let replaced: Vec<&FirmRecord> = records.iter().filter(|r| r.brokers.is_some()).collect();
    for chunk in replaced.chunks(ROWS_PER_STATEMENT) {
        firm_broker::Entity::delete_many()
            .filter(firm_broker::Column::FirmUscc.is_in(chunk.iter().map(|r| r.uscc.as_str())))
            .exec(db)
            .await?;
    }
    let mut pairs: Vec<(&str, &str)> = replaced
        .iter()
        .flat_map(|r| {
            r.brokers
                .iter()
                .flatten()
                .map(|b| (r.uscc.as_str(), b.as_str()))
        })
        .collect();
    pairs.sort_unstable();
    let links: Vec<firm_broker::ActiveModel> = pairs
        .into_iter()
        .map(|(firm, broker)| firm_broker::ActiveModel {
            firm_uscc: Set(firm.to_owned()),
            broker_uscc: Set(broker.to_owned()),
            created_at: Set(now),
        })
        .collect();
    for chunk in links.chunks(ROWS_PER_STATEMENT) {
        firm_broker::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(db)
            .await?;
    }
    for chunk in replaced.chunks(ROWS_PER_STATEMENT) {
        let mut count = Query::select();
        count
            .expr(Expr::cust("COUNT(*)"))
            .from(firm_broker::Entity)
            .and_where(
                Expr::col((firm_broker::Entity, firm_broker::Column::FirmUscc))
                    .equals((firm::Entity, firm::Column::Uscc)),
            );
        firm::Entity::update_many()
            .col_expr(
                firm::Column::BrokerCount,
                Expr::SubQuery(
                    None,
                    Box::new(
                        sea_orm::sea_query::QueryStatementBuilder::into_sub_query_statement(count),
                    ),
                ),
            )
            .filter(firm::Column::Uscc.is_in(chunk.iter().map(|r| r.uscc.as_str())))
            .exec(db)
            .await?;
    }
    Ok(())
}
