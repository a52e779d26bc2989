//! Each kept audience per prefecture (`policy_audience_region`), so `outreach` reads a policy's
//! audience and its `byRegion` audience from what is kept instead of counting the firms; and, on
//! PostgreSQL, the funnel rows' audience flag in the covering primary key, so how much of the
//! audience was reached is counted in the same index-only pass over the policy's funnel rows as
//! everything else.
//!
//! The service keeps the prefectures as it keeps the totals (migration 9): counted with the total,
//! and moved by every firm sync that moves a firm in or out of an audience or between
//! prefectures. Counts kept before have no prefectures, so every kept count is dropped here, to
//! be counted again the first time a reader needs it.
//!
//! All of it is derived: down drops it and nothing is lost.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::m20261203_000007_lean_reach_storage::COVERED;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PolicyAudienceRegion::Table)
                    .col(uuid(PolicyAudienceRegion::PolicyId))
                    .col(string_len(PolicyAudienceRegion::PrefectureCode, 12))
                    .col(big_integer(PolicyAudienceRegion::Audience))
                    .primary_key(
                        Index::create()
                            .col(PolicyAudienceRegion::PolicyId)
                            .col(PolicyAudienceRegion::PrefectureCode),
                    )
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM policy_audience").await?;
        covering_key(manager, &format!("{COVERED}, in_audience")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        covering_key(manager, COVERED).await?;
        manager
            .drop_table(Table::drop().table(PolicyAudienceRegion::Table).to_owned())
            .await
    }
}

/// The funnel table's primary key, covering `columns` (PostgreSQL; SQLite has no `INCLUDE`).
async fn covering_key(manager: &SchemaManager<'_>, columns: &str) -> Result<(), DbErr> {
    if manager.get_database_backend() != DatabaseBackend::Postgres {
        return Ok(());
    }
    manager
        .get_connection()
        .execute_unprepared(&format!(
            "ALTER TABLE policy_firm_funnel DROP CONSTRAINT policy_firm_funnel_pkey, \
             ADD CONSTRAINT policy_firm_funnel_pkey PRIMARY KEY (policy_id, firm_uscc) \
             INCLUDE ({columns})"
        ))
        .await?;
    Ok(())
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyAudienceRegion {
    Table,
    PolicyId,
    PrefectureCode,
    Audience,
}
