//! Less stored per presentation (PostgreSQL):
//!
//! - The funnel's primary key carries the columns the reach figures read, so a policy's reach is
//!   read from the key's index alone, as it was from a second, covering index on `policy_id`,
//!   which this drops. Every first presentation wrote both; now it writes one. The key stays
//!   (policy, firm), so upserts on it are unchanged.
//! - Firm pages keep a tenth free, so recording a firm's filing time (`last_filed_at`, no
//!   index) updates the row in place (a HOT update) instead of adding a row version and an entry
//!   to each of the firm's indexes. It applies to pages written from now on.
//!
//! SQLite has neither `INCLUDE` nor fill factors: there this migration does nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// What the reach figures read of a funnel row besides its key (as the covering index held).
const COVERED: &str = "prefecture_code, first_delivered_at, first_acknowledged_at, \
     acknowledged_by_firm, delivered_channels, acknowledged_channels, latest_response";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared(&format!(
            "ALTER TABLE policy_firm_funnel DROP CONSTRAINT policy_firm_funnel_pkey, \
             ADD CONSTRAINT policy_firm_funnel_pkey PRIMARY KEY (policy_id, firm_uscc) \
             INCLUDE ({COVERED})"
        ))
        .await?;
        db.execute_unprepared("DROP INDEX ix_policy_firm_funnel_policy_id")
            .await?;
        db.execute_unprepared("ALTER TABLE firm SET (fillfactor = 90)")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        db.execute_unprepared("ALTER TABLE firm RESET (fillfactor)")
            .await?;
        db.execute_unprepared(&format!(
            "CREATE INDEX ix_policy_firm_funnel_policy_id ON policy_firm_funnel (policy_id) \
             INCLUDE (firm_uscc, {COVERED})"
        ))
        .await?;
        db.execute_unprepared(
            "ALTER TABLE policy_firm_funnel DROP CONSTRAINT policy_firm_funnel_pkey, \
             ADD CONSTRAINT policy_firm_funnel_pkey PRIMARY KEY (policy_id, firm_uscc)",
        )
        .await?;
        Ok(())
    }
}
