//! Whether each reached or answering firm is in its policy's audience, kept on its funnel row
//! (`in_audience`), so a department's overview counts how much of each audience it reached in
//! one pass over its funnel rows instead of testing every row's firm against the policy's rule.
//!
//! The flag follows the kept audience of migration 9: a policy with a kept count has every one of
//! its funnel rows flagged under the rule that count was made for. The service flags them when it
//! counts the audience, when it writes a new funnel row, and when a firm sync moves a firm in or
//! out. Existing rows start unflagged, so every kept count is dropped here: each is counted again,
//! and its rows flagged, the first time a reader needs it. Derived data: down drops the column
//! and nothing is lost.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PolicyFirmFunnel::Table)
                    .add_column(boolean_null(PolicyFirmFunnel::InAudience))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM policy_audience")
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(PolicyFirmFunnel::Table)
                    .drop_column(PolicyFirmFunnel::InAudience)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyFirmFunnel {
    Table,
    InAudience,
}
