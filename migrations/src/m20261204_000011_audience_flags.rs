//! Whether each reached or answering firm is in its policy's audience, kept on its funnel row
//! (`in_audience`), so a department's overview counts how much of each audience it reached in
//! one pass over its funnel rows instead of testing every row's firm against the policy's rule.
//!
//! The flag follows the kept audience of migration 9: a policy with a kept count has every one of
//! its funnel rows flagged under the rule that count was made for. The service flags them when it
//! counts the audience, when it writes a new funnel row, and when a firm sync moves a firm in or
//! out. Existing rows start unflagged, so every kept count is dropped here: each is counted again,
//! and its rows flagged, the first time a reader needs it.
//!
//! The distinct firms a department reached and heard from across its policies are kept too
//! (`department_reach`, a row per department and firm), over the policies listed beside them
//! (`department_reach_policy`): a reader builds a department's rows the first time it needs them,
//! adds a policy's firms when the department gains one and builds them again when it loses one,
//! and the writers of funnel rows add to the departments whose policies they write for.
//!
//! All of it is derived: down drops it and nothing is lost.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::index;

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
        manager
            .create_table(
                Table::create()
                    .table(DepartmentReach::Table)
                    .col(string_len(DepartmentReach::DepartmentCode, 32))
                    .col(string_len(DepartmentReach::FirmUscc, 18))
                    .col(boolean(DepartmentReach::Reached))
                    .col(boolean(DepartmentReach::Acknowledged))
                    .primary_key(
                        Index::create()
                            .col(DepartmentReach::DepartmentCode)
                            .col(DepartmentReach::FirmUscc),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(DepartmentReachPolicy::Table)
                    .col(uuid(DepartmentReachPolicy::PolicyId))
                    .col(string_len(DepartmentReachPolicy::DepartmentCode, 32))
                    .primary_key(
                        Index::create()
                            .col(DepartmentReachPolicy::PolicyId)
                            .col(DepartmentReachPolicy::DepartmentCode),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                DepartmentReachPolicy::Table,
                &[DepartmentReachPolicy::DepartmentCode],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(DepartmentReach::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(DepartmentReachPolicy::Table).to_owned())
            .await?;
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

#[derive(DeriveIden, Clone, Copy)]
enum DepartmentReach {
    Table,
    DepartmentCode,
    FirmUscc,
    Reached,
    Acknowledged,
}

#[derive(DeriveIden, Clone, Copy)]
enum DepartmentReachPolicy {
    Table,
    PolicyId,
    DepartmentCode,
}
