//! `upsertFirms`: the single window's firm profiles synced in, all or nothing. A firm that moved
//! prefecture takes its reach rows with it, in the same transaction.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};

use super::Uscc;
use super::input::{FirmInput, FirmRecord, validate_all};
use super::service::{existing_usccs, prefectures_of};
use crate::db::begin_write;
use crate::entity::{firm, firm_broker};
use crate::error::{AppResult, InputErrors};
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
    check_brokers_known(&txn, &records).await?;

    let usccs: Vec<&str> = records.iter().map(|r| r.uscc.as_str()).collect();
    let before = prefectures_of(&txn, &usccs).await?;
    let existing: HashSet<String> = before.keys().cloned().collect();
    let moved: Vec<(String, String)> = records
        .iter()
        .filter_map(|r| {
            let now = r.prefecture.unwrap_or(r.province).to_string();
            let was = before.get(r.uscc.as_str())?;
            (was != &now).then(|| (r.uscc.to_string(), now))
        })
        .collect();
    for chunk in records.chunks(ROWS_PER_STATEMENT) {
        firm::Entity::insert_many(chunk.iter().map(|r| active_model(r, now)))
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
    txn.commit().await?;

    let updated = records
        .iter()
        .filter(|r| existing.contains(r.uscc.as_str()))
        .count();
    Ok(UpsertCounts {
        created: records.len() - updated,
        updated,
    })
}

fn active_model(r: &FirmRecord, now: DateTime<Utc>) -> firm::ActiveModel {
    firm::ActiveModel {
        uscc: Set(r.uscc.to_string()),
        customs_code: Set(r.customs_code.clone()),
        name: Set(r.name.as_str().to_owned()),
        region_code: Set(r.region.to_string()),
        province_code: Set(r.province.to_string()),
        prefecture_code: Set(r.prefecture.map(|c| c.to_string())),
        size: Set(r.size),
        industry: Set(r.industry.clone()),
        customs_credit: Set(r.customs_credit),
        export_value_prev_year_usd: Set(r.export_value_prev_year_usd),
        import_value_prev_year_usd: Set(r.import_value_prev_year_usd),
        foreign_invested: Set(r.foreign_invested),
        registered_on: Set(r.registered_on),
        last_filed_at: Set(None),
        broker_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
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
