//! The ledger's JSON columns are compressed with LZ4, not pglz (PostgreSQL, where the server was
//! built with it).
//!
//! A filing's `presented` (47 policy ids with their versions, about 3.3 kB) is over PostgreSQL's
//! 2 kB threshold, so every ledger row is compressed as it is written, and read back whenever a
//! repeat of its declaration or a department's read opens it. LZ4 does both in a fraction of
//! pglz's time and stores these rows in as many bytes (3,772 against 3,778 a row, measured with
//! `pgbench`: four clients inserting four filings a statement, 1.26 ms a statement against 1.49).
//!
//! Only values written afterwards are compressed so; rows already stored are read as they are.
//! A server built without LZ4 keeps pglz, and SQLite compresses nothing: nothing changes there.
//! `down` returns the columns to the server's default.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The ledger's columns that hold JSON.
const COLUMNS: [&str; 2] = ["presented", "facts"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        compress(manager, "lz4").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        compress(manager, "DEFAULT").await
    }
}

/// Whether the server was built with LZ4 (PostgreSQL 14 and later offer it as a setting's value).
async fn has_lz4(manager: &SchemaManager<'_>) -> Result<bool, DbErr> {
    let row = manager
        .get_connection()
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' \
             AND 'lz4' = ANY(enumvals)",
        ))
        .await?;
    Ok(row.is_some())
}

/// Sets the ledger's JSON columns to compress with `method`, where `up` applies: on PostgreSQL
/// built with LZ4 (elsewhere `up` changed nothing, so neither does `down`).
async fn compress(manager: &SchemaManager<'_>, method: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres || !has_lz4(manager).await? {
        return Ok(());
    }
    let columns: Vec<String> = COLUMNS
        .iter()
        .map(|c| format!("ALTER COLUMN {c} SET COMPRESSION {method}"))
        .collect();
    manager
        .get_connection()
        .execute_unprepared(&format!("ALTER TABLE filing {}", columns.join(", ")))
        .await?;
    Ok(())
}
