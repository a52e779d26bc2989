//! Connecting to SQLite or PostgreSQL with the same code, migrations, and write transactions.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Alias, Expr, Func, InsertStatement, Query, Value};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    IdenStatic, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm::{ConnectionTrait, EntityTrait, QueryResult};

use crate::config::Settings;

/// Opens the pool. SQLite runs in WAL mode with foreign keys on and a busy timeout, so readers
/// never block the writer and writers queue instead of failing.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(settings.database_url.clone());
    options
        .max_connections(settings.db_max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(settings.db_acquire_timeout_seconds))
        .acquire_timeout(Duration::from_secs(settings.db_acquire_timeout_seconds))
        .sqlx_logging(false);
    let busy_timeout = Duration::from_millis(settings.sqlite_busy_timeout_ms);
    options.map_sqlx_sqlite_opts(move |opts| {
        opts.journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(busy_timeout)
    });
    Database::connect(options).await
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`), so it waits behind other writers for the busy timeout instead of failing with
/// SQLITE_BUSY when a read lock would have to be upgraded; PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Applies every pending migration.
pub async fn migrate_up(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether the database answers and has every migration applied.
pub async fn is_ready(db: &DatabaseConnection) -> bool {
    if db.ping().await.is_err() {
        return false;
    }
    matches!(Migrator::get_pending_migrations_read_only(db).await, Ok(pending) if pending.is_empty())
}

/// Names of applied and pending migrations, for `migrate status`.
pub async fn migration_status(db: &DatabaseConnection) -> Result<Vec<(String, bool)>, DbErr> {
    let applied = Migrator::get_applied_migrations_read_only(db).await?;
    let pending = Migrator::get_pending_migrations_read_only(db).await?;
    Ok(applied
        .iter()
        .map(|m| (m.name().to_owned(), true))
        .chain(pending.iter().map(|m| (m.name().to_owned(), false)))
        .collect())
}

/// Rolls back `steps` migrations, or all of them.
pub async fn migrate_down(db: &DatabaseConnection, steps: Option<u32>) -> Result<(), DbErr> {
    Migrator::down(db, steps).await
}

/// The database backend's name, for logs.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        DatabaseBackend::Postgres => "postgres",
        DatabaseBackend::Sqlite => "sqlite",
        _ => "other",
    }
}

/// Rows per INSERT on SQLite: each statement shape stays in every pooled connection's statement
/// cache, and a VALUES list of a few hundred rows compiles to a program of megabytes. Batches are
/// cut into powers of two up to this, so a table has at most seven shapes, all of them small.
const SQLITE_ROWS_PER_INSERT: usize = 64;

/// Inserts `rows` (values in the order of `columns`) into `entity`'s table and returns what the
/// statements return; `finish` adds each statement's ON CONFLICT and RETURNING. On PostgreSQL the
/// rows travel as one JSON parameter expanded by `jsonb_populate_recordset`: one statement,
/// prepared once per connection, whatever the number of rows, where a VALUES list of each new
/// length would be parsed, planned and cached anew. On SQLite they go as VALUES lists whose
/// lengths are powers of two ([`pieces`]).
pub async fn insert_all<E: EntityTrait>(
    db: &impl ConnectionTrait,
    entity: E,
    columns: &[E::Column],
    rows: Vec<Vec<Value>>,
    finish: impl Fn(&mut InsertStatement),
) -> Result<Vec<QueryResult>, DbErr> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut statements = Vec::new();
    if db.get_database_backend() == DatabaseBackend::Postgres {
        statements.push(json_insert(entity, columns, rows)?);
    } else {
        let mut rows = rows.into_iter();
        for piece in pieces(rows.len(), SQLITE_ROWS_PER_INSERT) {
            let mut insert = Query::insert();
            insert.into_table(entity).columns(columns.iter().copied());
            for row in rows.by_ref().take(piece) {
                insert.values_panic(row.into_iter().map(Expr::from));
            }
            statements.push(insert);
        }
    }
    let mut returned = Vec::new();
    for mut insert in statements {
        finish(&mut insert);
        returned.extend(db.query_all(&insert).await?);
    }
    Ok(returned)
}

/// The lengths `n` items are cut into for statements whose shape depends on their length (VALUES
/// and IN lists): `max` (a power of two) as often as it fits, then the powers of two of the rest,
/// largest first. At most log2(max) + 1 shapes, so a connection's statement cache keeps a few
/// statements per query instead of one per length ever seen.
pub fn pieces(n: usize, max: usize) -> impl Iterator<Item = usize> {
    let max = max.max(1);
    let mut left = n;
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let piece = if left >= max { max } else { 1 << left.ilog2() };
        left -= piece;
        Some(piece)
    })
}

/// Keys per IN list: [`in_pieces`] of this size keep a lookup to ten shapes.
pub const KEYS_PER_LIST: usize = 512;

/// `items` cut into [`pieces`].
pub fn in_pieces<T>(items: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let mut rest = items;
    pieces(items.len(), max).map(move |piece| {
        let (head, tail) = rest.split_at(piece);
        rest = tail;
        head
    })
}

fn json_insert<E: EntityTrait>(
    entity: E,
    columns: &[E::Column],
    rows: Vec<Vec<Value>>,
) -> Result<InsertStatement, DbErr> {
    let records = rows
        .into_iter()
        .map(|row| {
            columns
                .iter()
                .zip(row)
                .map(|(column, value)| Ok((column.as_str().to_owned(), json_of(value)?)))
                .collect::<Result<serde_json::Map<_, _>, DbErr>>()
                .map(serde_json::Value::Object)
        })
        .collect::<Result<Vec<_>, DbErr>>()?;
    let mut source = Query::select();
    source
        .columns(columns.iter().map(|c| Alias::new(c.as_str())))
        .from_function(
            Func::cust(Alias::new("jsonb_populate_recordset"))
                .arg(Expr::cust(format!("NULL::{}", entity.table_name())))
                .arg(serde_json::Value::Array(records)),
            Alias::new("rows"),
        );
    let mut insert = Query::insert();
    insert
        .into_table(entity)
        .columns(columns.iter().copied())
        .select_from(source)
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    Ok(insert)
}

/// A bound value as `jsonb_populate_recordset` reads it back into its column.
fn json_of(value: Value) -> Result<serde_json::Value, DbErr> {
    use serde_json::Value as J;
    Ok(match value {
        Value::Bool(v) => v.map_or(J::Null, J::from),
        Value::Int(v) => v.map_or(J::Null, J::from),
        Value::BigInt(v) => v.map_or(J::Null, J::from),
        Value::String(v) => v.map_or(J::Null, J::from),
        Value::Uuid(v) => v.map_or(J::Null, |u| J::from(u.to_string())),
        Value::ChronoDate(v) => v.map_or(J::Null, |d| J::from(d.to_string())),
        Value::ChronoDateTimeUtc(v) => v.map_or(J::Null, |t| J::from(t.to_rfc3339())),
        Value::Json(v) => v.map_or(J::Null, |j| *j),
        other => return Err(DbErr::Custom(format!("no JSON form for {other:?}"))),
    })
}

#[cfg(test)]
mod tests {
    use super::{in_pieces, pieces};

    #[test]
    fn pieces_cover_every_item_in_powers_of_two_up_to_the_maximum() {
        for n in 0..300 {
            let cut: Vec<usize> = pieces(n, 64).collect();
            assert_eq!(cut.iter().sum::<usize>(), n, "{n} items");
            assert!(
                cut.iter().all(|p| p.is_power_of_two() && *p <= 64),
                "{cut:?}"
            );
            assert!(
                cut.windows(2).all(|w| w[0] >= w[1]),
                "largest first: {cut:?}"
            );
        }
        assert_eq!(pieces(200, 64).collect::<Vec<_>>(), [64, 64, 64, 8]);
    }

    #[test]
    fn in_pieces_keeps_the_order_of_the_items() {
        let items: Vec<u32> = (0..77).collect();
        let cut: Vec<&[u32]> = in_pieces(&items, 32).collect();
        assert_eq!(
            cut.iter().map(|c| c.len()).collect::<Vec<_>>(),
            [32, 32, 8, 4, 1]
        );
        assert_eq!(cut.concat(), items);
    }
}
