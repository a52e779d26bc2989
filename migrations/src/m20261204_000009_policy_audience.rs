//! Each policy's audience, counted once and kept true: one row per policy with the rule it was
//! counted for (its scope and eligibility, and a digest of the two to compare cheaply) and the
//! number of firms in it. The service counts a row when a reader first needs it and, in the
//! transaction of every firm sync, adds what the sync moved in or out, so a department's overview
//! of hundreds of policies reads its audiences instead of scanning the firms once per policy.
//! The rows are derived: dropping them loses nothing but time.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::foreign_key;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PolicyAudience::Table)
                    .col(uuid(PolicyAudience::PolicyId).primary_key())
                    .col(string_len(PolicyAudience::RuleKey, 64))
                    .col(text(PolicyAudience::Scope))
                    .col(text(PolicyAudience::Eligibility))
                    .col(big_integer(PolicyAudience::Audience))
                    .col(timestamp_with_time_zone(PolicyAudience::CountedAt))
                    .foreign_key(&mut foreign_key(
                        PolicyAudience::Table,
                        PolicyAudience::PolicyId,
                        Policy::Table,
                        Policy::Id,
                        ForeignKeyAction::Cascade,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PolicyAudience::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyAudience {
    Table,
    PolicyId,
    RuleKey,
    Scope,
    Eligibility,
    Audience,
    CountedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Policy {
    Table,
    Id,
}
