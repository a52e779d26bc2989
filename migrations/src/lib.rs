//! Schema migrations of policy-outreach. The same migrations run on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261125_000001_create_reference;

pub use m20261125_000001_create_reference::REGIONS_TSV;
mod m20261125_000002_create_policies;
mod m20261125_000003_create_firms;
mod m20261125_000004_create_outreach;
mod m20261125_000005_create_catalog_state;
mod m20261203_000006_filing_ledger;
mod m20261203_000007_lean_reach_storage;
mod m20261204_000008_need_terms;
mod m20261204_000009_policy_audience;
mod m20261204_000010_need_tallies;
mod m20261204_000011_audience_flags;
mod m20261204_000012_audience_by_region;
mod m20261204_000013_daily_rows_per_writer;
mod m20261204_000014_funnel_vacuumed_sooner;
mod m20261204_000015_ledger_lz4;

/// Every migration, in the order they apply.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_reference::Migration),
            Box::new(m20261125_000002_create_policies::Migration),
            Box::new(m20261125_000003_create_firms::Migration),
            Box::new(m20261125_000004_create_outreach::Migration),
            Box::new(m20261125_000005_create_catalog_state::Migration),
            Box::new(m20261203_000006_filing_ledger::Migration),
            Box::new(m20261203_000007_lean_reach_storage::Migration),
            Box::new(m20261204_000008_need_terms::Migration),
            Box::new(m20261204_000009_policy_audience::Migration),
            Box::new(m20261204_000010_need_tallies::Migration),
            Box::new(m20261204_000011_audience_flags::Migration),
            Box::new(m20261204_000012_audience_by_region::Migration),
            Box::new(m20261204_000013_daily_rows_per_writer::Migration),
            Box::new(m20261204_000014_funnel_vacuumed_sooner::Migration),
            Box::new(m20261204_000015_ledger_lz4::Migration),
        ]
    }
}

/// A foreign key from `from_table.from_col` to `to_table.to_col`, named after the pair.
fn foreign_key(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
    on_delete: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    let (from_table, from_col) = (from_table.into_iden(), from_col.into_iden());
    let (to_table, to_col) = (to_table.into_iden(), to_col.into_iden());
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(on_delete)
        .to_owned()
}

/// An index on `table` over `columns`, named after them.
fn index<T: IntoIden + Copy>(table: T, columns: &[T]) -> IndexCreateStatement {
    let table_name = table.into_iden().to_string();
    let mut name = format!("ix_{table_name}");
    let mut stmt = Index::create();
    stmt.table(table);
    for column in columns {
        let column = column.into_iden();
        name.push('_');
        name.push_str(&column.to_string());
        stmt.col(column);
    }
    stmt.name(name).to_owned()
}
