//! Regions (GB/T 2260, loaded from `data/regions.tsv`) and issuing departments.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::{foreign_key, index};

/// The GB/T 2260 regions the migration loads (see `data/README.md`).
pub const REGIONS_TSV: &str = include_str!("../data/regions.tsv");
const INSERT_BATCH: usize = 500;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Region::Table)
                    .col(string_len(Region::Code, 6).primary_key())
                    .col(string_len(Region::Name, 64))
                    .col(small_integer(Region::Level))
                    .col(string_len_null(Region::ParentCode, 6))
                    .foreign_key(&mut foreign_key(
                        Region::Table,
                        Region::ParentCode,
                        Region::Table,
                        Region::Code,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(Region::Table, &[Region::ParentCode]))
            .await?;
        insert_regions(manager).await?;

        manager
            .create_table(
                Table::create()
                    .table(Department::Table)
                    .col(string_len(Department::Code, 32).primary_key())
                    .col(string_len(Department::NameZh, 200))
                    .col(string_len_null(Department::NameEn, 200))
                    .col(string_len_null(Department::RegionCode, 6))
                    .col(timestamp_with_time_zone(Department::CreatedAt))
                    .col(timestamp_with_time_zone(Department::UpdatedAt))
                    .foreign_key(&mut foreign_key(
                        Department::Table,
                        Department::RegionCode,
                        Region::Table,
                        Region::Code,
                        ForeignKeyAction::Restrict,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Department::Table).to_owned())
            .await?;
        // Children first: the implicit delete of DROP TABLE checks the self-reference on SQLite.
        for level in [3, 2, 1] {
            manager
                .exec_stmt(
                    Query::delete()
                        .from_table(Region::Table)
                        .and_where(Expr::col(Region::Level).eq(level))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(Region::Table).to_owned())
            .await
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}

/// Parent rows come before their children in the file, so batches in file order satisfy the key.
async fn insert_regions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let rows = parse_regions()?;
    for batch in rows.chunks(INSERT_BATCH) {
        let mut insert = Query::insert();
        insert.into_table(Region::Table).columns([
            Region::Code,
            Region::Name,
            Region::Level,
            Region::ParentCode,
        ]);
        for row in batch {
            insert.values_panic([
                row.code.into(),
                row.name.into(),
                row.level.into(),
                row.parent.map(str::to_owned).into(),
            ]);
        }
        manager.exec_stmt(insert).await?;
    }
    Ok(())
}

struct RegionRow<'a> {
    code: &'a str,
    name: &'a str,
    level: i16,
    parent: Option<&'a str>,
}

fn parse_regions() -> Result<Vec<RegionRow<'static>>, DbErr> {
    REGIONS_TSV
        .lines()
        .skip(1)
        .enumerate()
        .map(|(i, line)| {
            let bad = || DbErr::Migration(format!("data/regions.tsv line {}: {line:?}", i + 2));
            let mut fields = line.split('\t');
            let (Some(code), Some(name), Some(level), Some(parent), None) = (
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
                fields.next(),
            ) else {
                return Err(bad());
            };
            Ok(RegionRow {
                code,
                name,
                level: level.parse().map_err(|_| bad())?,
                parent: (!parent.is_empty()).then_some(parent),
            })
        })
        .collect()
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Region {
    Table,
    Code,
    Name,
    Level,
    ParentCode,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Department {
    Table,
    Code,
    NameZh,
    NameEn,
    RegionCode,
    CreatedAt,
    UpdatedAt,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_region_row_parses_and_parents_come_first() {
        let rows = parse_regions().expect("regions.tsv parses");
        let mut seen = std::collections::HashSet::new();
        for row in &rows {
            assert_eq!(row.code.len(), 6, "{}", row.code);
            if let Some(parent) = row.parent {
                assert!(
                    seen.contains(parent),
                    "{} before its parent {parent}",
                    row.code
                );
            }
            assert!(seen.insert(row.code), "duplicate {}", row.code);
        }
        assert_eq!(rows.len(), 3348);
    }
}
