//! The funnel table is vacuumed after a hundredth of its rows changed or arrived, not a fifth
//! (PostgreSQL).
//!
//! Reach figures read a policy's funnel rows from the covering primary key alone, which holds
//! only while their pages are marked all-visible. Every first reach inserts a row and every answer
//! or audience recount rewrites one, and each clears its page's mark until a vacuum sets it
//! again. At the default thresholds (a fifth of the table) a recount that flags a policy's
//! 100,000 rows among 1.5 million never brings a vacuum: the flagship's `outreach` then read the
//! table beside the key, 54 ms instead of 27–34. At a hundredth, autovacuum passes within its
//! next round (a minute by default).
//!
//! SQLite has no vacuum thresholds: nothing changes there. `down` restores the defaults.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        on_postgres(
            manager,
            "ALTER TABLE policy_firm_funnel SET (autovacuum_vacuum_scale_factor = 0.01, \
             autovacuum_vacuum_insert_scale_factor = 0.01)",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        on_postgres(
            manager,
            "ALTER TABLE policy_firm_funnel RESET (autovacuum_vacuum_scale_factor, \
             autovacuum_vacuum_insert_scale_factor)",
        )
        .await
    }
}

async fn on_postgres(manager: &SchemaManager<'_>, sql: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() == DatabaseBackend::Postgres {
        manager.get_connection().execute_unprepared(sql).await?;
    }
    Ok(())
}
