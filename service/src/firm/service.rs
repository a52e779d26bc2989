//! Reading firms: a profile, its brokers, where firms are registered, whether a broker is
//! entrusted. Syncing them is [`super::sync`].

use std::collections::{HashMap, HashSet};

use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::Uscc;
use crate::db::{KEYS_PER_LIST, in_pieces};
use crate::entity::{firm, firm_broker};
use crate::error::AppResult;

/// The prefecture (the province for a province-level firm) of each of `usccs` that is synced.
pub async fn prefectures_of(
    db: &impl ConnectionTrait,
    usccs: &[&str],
) -> AppResult<HashMap<String, String>> {
    Ok(read_firms(db, usccs, Hold::Not)
        .await?
        .into_iter()
        .map(|(uscc, firm)| (uscc, prefecture(&firm).to_owned()))
        .collect())
}

/// [`prefecture`] in SQL, of the `firm` row a query reads.
pub fn prefecture_of_row() -> Expr {
    Func::coalesce([
        Expr::col((firm::Entity, firm::Column::PrefectureCode)),
        Expr::col((firm::Entity, firm::Column::ProvinceCode)),
    ])
    .into()
}

/// Where the firm's reach rows are kept: its prefecture, or its province at province level.
pub fn prefecture(firm: &firm::Model) -> &str {
    firm.prefecture_code
        .as_deref()
        .unwrap_or(&firm.province_code)
}

/// Each of `usccs` that is synced, read inside a write transaction and held until it ends
/// (`FOR SHARE` on PostgreSQL; SQLite's single writer holds everything). A firm changed by a
/// concurrent [`super::sync`] either changes first, and this reads it as changed, or waits for
/// this transaction and then moves the funnel rows it wrote.
pub async fn hold_firms(
    txn: &DatabaseTransaction,
    usccs: &[&str],
) -> AppResult<HashMap<String, firm::Model>> {
    hold_in_key_order(txn, usccs, Hold::Shared).await
}

/// [`hold_firms`], holding the firms against every other writer that holds them (until the
/// transaction ends): presentations to one firm are recorded one transaction at a time.
pub async fn hold_firms_exclusively(
    txn: &DatabaseTransaction,
    usccs: &[&str],
) -> AppResult<HashMap<String, firm::Model>> {
    hold_in_key_order(txn, usccs, Hold::Exclusive).await
}

/// The firms, locked in key order, as upsert locks them: no two writers deadlock.
async fn hold_in_key_order(
    txn: &DatabaseTransaction,
    usccs: &[&str],
    hold: Hold,
) -> AppResult<HashMap<String, firm::Model>> {
    let mut sorted = usccs.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    read_firms(txn, &sorted, hold).await
}

/// How the firm rows read are held.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Hold {
    Not,
    Shared,
    Exclusive,
}

async fn read_firms(
    db: &impl ConnectionTrait,
    usccs: &[&str],
    hold: Hold,
) -> AppResult<HashMap<String, firm::Model>> {
    let mut found = HashMap::new();
    for chunk in in_pieces(usccs, KEYS_PER_LIST) {
        let mut select =
            firm::Entity::find().filter(firm::Column::Uscc.is_in(chunk.iter().copied()));
        select = match hold {
            Hold::Not => select,
            Hold::Shared => select.order_by_asc(firm::Column::Uscc).lock_shared(),
            Hold::Exclusive => select.order_by_asc(firm::Column::Uscc).lock_exclusive(),
        };
        found.extend(
            select
                .all(db)
                .await?
                .into_iter()
                .map(|f| (f.uscc.clone(), f)),
        );
    }
    Ok(found)
}

/// Which of `usccs` are synced firms.
pub async fn existing_usccs(
    db: &impl ConnectionTrait,
    usccs: &[&str],
) -> AppResult<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in in_pieces(usccs, KEYS_PER_LIST) {
        let rows: Vec<String> = firm::Entity::find()
            .select_only()
            .column(firm::Column::Uscc)
            .filter(firm::Column::Uscc.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows);
    }
    Ok(found)
}

/// The firm with this USCC, if synced.
pub async fn find(db: &DatabaseConnection, uscc: &Uscc) -> AppResult<Option<firm::Model>> {
    Ok(firm::Entity::find_by_id(uscc.as_str()).one(db).await?)
}

/// The brokers a firm has entrusted, by USCC.
pub async fn brokers_of(db: &DatabaseConnection, uscc: &str) -> AppResult<Vec<firm::Model>> {
    let brokers: Vec<String> = firm_broker::Entity::find()
        .select_only()
        .column(firm_broker::Column::BrokerUscc)
        .filter(firm_broker::Column::FirmUscc.eq(uscc))
        .into_tuple()
        .all(db)
        .await?;
    Ok(firm::Entity::find()
        .filter(firm::Column::Uscc.is_in(brokers))
        .all(db)
        .await?)
}

/// Whether `firm` has entrusted `broker`.
pub async fn entrusts(db: &DatabaseConnection, firm: &Uscc, broker: &Uscc) -> AppResult<bool> {
    Ok(
        firm_broker::Entity::find_by_id((firm.to_string(), broker.to_string()))
            .one(db)
            .await?
            .is_some(),
    )
}

/// The firms of `usccs` that exist, by USCC.
pub async fn find_all(
    db: &impl ConnectionTrait,
    usccs: &[String],
) -> AppResult<HashMap<String, firm::Model>> {
    let mut found = HashMap::new();
    for chunk in in_pieces(usccs, KEYS_PER_LIST) {
        let rows = firm::Entity::find()
            .filter(firm::Column::Uscc.is_in(chunk.iter().cloned()))
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|f| (f.uscc.clone(), f)));
    }
    Ok(found)
}
