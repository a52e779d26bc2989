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
//! - The derived reach tables (`policy_firm_funnel`, `policy_daily_reach`) lose their foreign
//!   keys (PostgreSQL). Each was a lookup and a row lock per row written (the policy row's lock
//!   shared by every concurrent writer), and more than half the cost of a first presentation's
//!   funnel row. Their writers keep them true instead: a funnel or day row is written only in
//!   the transaction that holds the firm's row locked, for a policy the live snapshot presented
//!   or that the acknowledgement written beside it refers to (acknowledgements keep their keys),
//!   and no firm or policy is ever deleted (policies retire).
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

/// The foreign keys of the two derived reach tables (PostgreSQL): each checked every row a
/// presentation writes, with a lock on the policy row that every concurrent writer shares.
const DERIVED_KEYS: [(&str, &str); 3] = [
    ("policy_firm_funnel", "fk_policy_firm_funnel_policy_id"),
    ("policy_firm_funnel", "fk_policy_firm_funnel_firm_uscc"),
    ("policy_daily_reach", "fk_policy_daily_reach_policy_id"),
];

/// What the reach figures read of a funnel row besides its key (as the covering index held).
pub(crate) const COVERED: &str = "prefecture_code, first_delivered_at, first_acknowledged_at, \
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
        for (table, constraint) in DERIVED_KEYS {
            db.execute_unprepared(&format!("ALTER TABLE {table} DROP CONSTRAINT {constraint}"))
                .await?;
        }
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
        for (table, constraint) in DERIVED_KEYS {
            let (column, parent, key) = match constraint {
                "fk_policy_firm_funnel_firm_uscc" => ("firm_uscc", "firm", "uscc"),
                _ => ("policy_id", "policy", "id"),
            };
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD CONSTRAINT {constraint} FOREIGN KEY ({column}) \
                 REFERENCES {parent} ({key}) ON DELETE CASCADE"
            ))
            .await?;
        }
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
