//! A counter bumped by every sync of firms, so a reader that keeps figures computed over firms
//! (the audiences `departmentOutreach` keeps) can tell cheaply, on any instance, whether a firm
//! changed since it counted them.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(FirmState::Table)
                    .col(integer(FirmState::Id).primary_key())
                    .col(big_integer(FirmState::Version))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(FirmState::Table)
                    .columns([FirmState::Id, FirmState::Version])
                    .values_panic([1.into(), 0i64.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(FirmState::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum FirmState {
    Table,
    Id,
    Version,
}
