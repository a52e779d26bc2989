//! A policy's day in the daily series becomes one row per writer (`shard`), added up when read.
//!
//! Every batch of filings adds to the day rows of each policy it presented, and holds them from
//! its upsert until it commits: the writers of filings and of answers, which run side by side,
//! waited on each other's day rows at every batch. Each writer now adds to rows of its own
//! (`DayShard` in the service); the key becomes (policy, day, shard).
//!
//! Up carries every row over as shard 0. Down adds each day's rows up into one. The table is
//! rebuilt on both databases (SQLite cannot change a primary key in place); on PostgreSQL its key
//! keeps its name, and on SQLite its foreign key to the policy (migration 7 dropped it on
//! PostgreSQL only).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DatabaseBackend};

use crate::foreign_key;
use crate::m20261125_000002_create_policies::Policy;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Where a table of the new shape is built before it takes the daily series' name.
const NEXT: &str = "policy_daily_reach_next";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    /// In one transaction on SQLite too: the rebuild is whole or not at all, and every step runs
    /// on the one connection that sees the steps before it.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(
            manager,
            true,
            "SELECT policy_id, day, 0, deliveries, newly_reached, acknowledgements \
             FROM policy_daily_reach",
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        rebuild(
            manager,
            false,
            "SELECT policy_id, day, SUM(deliveries), SUM(newly_reached), SUM(acknowledgements) \
             FROM policy_daily_reach GROUP BY policy_id, day",
        )
        .await
    }
}

/// Builds the daily series anew, with a row per writer when `sharded`, from the rows `select`
/// reads of the current one (in the new table's column order), and gives it the series' name.
async fn rebuild(manager: &SchemaManager<'_>, sharded: bool, select: &str) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let mut table = Table::create();
    table
        .table(Alias::new(NEXT))
        .col(uuid(Daily::PolicyId))
        .col(date(Daily::Day));
    let mut key = Index::create();
    key.col(Daily::PolicyId).col(Daily::Day);
    if sharded {
        table.col(small_integer(Daily::Shard).default(0));
        key.col(Daily::Shard);
    }
    table
        .col(integer(Daily::Deliveries).default(0))
        .col(integer(Daily::NewlyReached).default(0))
        .col(integer(Daily::Acknowledgements).default(0))
        .primary_key(&mut key);
    if backend != DatabaseBackend::Postgres {
        table.foreign_key(&mut foreign_key(
            Alias::new(NEXT),
            Daily::PolicyId,
            Policy::Table,
            Policy::Id,
            ForeignKeyAction::Cascade,
        ));
    }
    manager.create_table(table.to_owned()).await?;
    let db = manager.get_connection();
    db.execute_unprepared(&format!("INSERT INTO {NEXT} {select}"))
        .await?;
    manager
        .drop_table(Table::drop().table(Daily::Table).to_owned())
        .await?;
    manager
        .rename_table(
            Table::rename()
                .table(Alias::new(NEXT), Daily::Table)
                .to_owned(),
        )
        .await?;
    if backend == DatabaseBackend::Postgres {
        db.execute_unprepared(&format!(
            "ALTER TABLE policy_daily_reach RENAME CONSTRAINT {NEXT}_pkey TO policy_daily_reach_pkey"
        ))
        .await?;
    }
    Ok(())
}

#[derive(DeriveIden)]
enum Daily {
    #[sea_orm(iden = "policy_daily_reach")]
    Table,
    PolicyId,
    Day,
    Shard,
    Deliveries,
    NewlyReached,
    Acknowledgements,
}
