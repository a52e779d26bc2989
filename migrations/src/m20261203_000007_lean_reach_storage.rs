//! Less stored per presentation:
//!
//! - A firm's filing time (`last_filed_at`, recorded hourly as it files) loses its index, which
//!   no read uses (`activeLast30Days` counts within an audience, found by the firm's region).
//!   Each record of it wrote an entry to every index of the firm, the two wide covering ones
//!   included; without an index on the column it can be an in-place (HOT) update on PostgreSQL.
//! - The funnel's primary key carries the columns the reach figures read, so a policy's reach is
//!   read from the key's index alone, as it was from a second, covering index on `policy_id`,
//!   which this drops. Every first presentation wrote both; now it writes one. The key stays
//!   (policy, firm), so upserts on it are unchanged.
//! - Firm pages keep a tenth free (PostgreSQL), so such an update finds room on its page. It
//!   applies to pages written from now on.
//!
//! SQLite has neither `INCLUDE` nor fill factors: there only the index is dropped.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::index;
use crate::m20261125_000003_create_firms::Firm;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The index on the firm's filing time, as migration 3 named it.
const LAST_FILED_AT: &str = "ix_firm_last_filed_at";

/// What the reach figures read of a funnel row besides its key (as the covering index held).
const COVERED: &str = "prefecture_code, first_delivered_at, first_acknowledged_at, \
     acknowledged_by_firm, delivered_channels, acknowledged_channels, latest_response";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name(LAST_FILED_AT)
                    .table(Firm::Table)
                    .to_owned(),
            )
            .await?;
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
        manager
            .create_index(index(Firm::Table, &[Firm::LastFiledAt]))
            .await?;
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
