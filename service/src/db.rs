//! Connecting to SQLite or PostgreSQL with the same code, migrations, and write transactions.

use std::future::Future;
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, InsertStatement, Query, Value};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Iterable, QueryResult};
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction, DbErr,
    IdenStatic, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::config::Settings;

/// Opens the pool the service answers from. SQLite runs in WAL mode with foreign keys on and a
/// busy timeout, so readers never block the writer and writers queue instead of failing. On
/// PostgreSQL no statement outlives the request timeout (`statement_timeout`): a request that
/// timed out, or whose client went away, would otherwise leave its query running on the server,
/// and a few such requests could keep the database busy for minutes.
pub async fn connect(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    open(
        settings,
        Some(Duration::from_secs(settings.request_timeout_seconds)),
    )
    .await
}

/// Opens a pool for work no request waits for (migrations, seeding, imports from the command
/// line): its statements run as long as they need.
pub async fn connect_for_batch(settings: &Settings) -> Result<DatabaseConnection, DbErr> {
    open(settings, None).await
}

/// Applies every pending migration before serving from `db`: on PostgreSQL over a pool of its
/// own without the statement timeout, since a migration may take longer than any request; on
/// SQLite on `db` itself (an in-memory database is one per pool).
pub async fn migrate_before_serving(
    settings: &Settings,
    db: &DatabaseConnection,
) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return migrate_up(db).await;
    }
    let batch = connect_for_batch(settings).await?;
    let migrated = migrate_up(&batch).await;
    batch.close().await?;
    migrated
}

/// `statement_timeout`: the longest any one PostgreSQL statement may run (none when absent or 0).
async fn open(
    settings: &Settings,
    statement_timeout: Option<Duration>,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(settings.database_url.expose());
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
    if let Some(timeout) = statement_timeout.filter(|t| !t.is_zero()) {
        let millis = timeout.as_millis().to_string();
        options.map_sqlx_postgres_opts(move |opts| {
            opts.options([("statement_timeout", millis.as_str())])
        });
    }
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
/// rows travel as one JSON parameter expanded by `json_populate_recordset`: one statement,
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
        statements.push(json_insert(entity, columns, &rows)?);
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

/// Inserts `models` with every column of their entity, as [`insert_all`] does; the values are
/// moved out of the models, not copied.
pub async fn insert_models<A: ActiveModelTrait>(
    db: &impl ConnectionTrait,
    models: Vec<A>,
    finish: impl Fn(&mut InsertStatement),
) -> Result<Vec<QueryResult>, DbErr> {
    let columns: Vec<<A::Entity as EntityTrait>::Column> =
        <A::Entity as EntityTrait>::Column::iter().collect();
    let rows = models
        .into_iter()
        .map(|mut model| {
            columns
                .iter()
                .map(|c| {
                    model
                        .take(*c)
                        .into_value()
                        .ok_or_else(|| DbErr::Custom(format!("{} is not set", c.as_str())))
                })
                .collect()
        })
        .collect::<Result<_, DbErr>>()?;
    insert_all(db, A::Entity::default(), &columns, rows, finish).await
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
    rows: &[Vec<Value>],
) -> Result<InsertStatement, DbErr> {
    let names: Vec<String> = columns
        .iter()
        .map(|c| serde_json::to_string(c.as_str()))
        .collect::<Result<_, _>>()
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    let mut text = Vec::with_capacity(rows.len() * 64 * columns.len());
    text.push(b'[');
    for (i, row) in rows.iter().enumerate() {
        if i > 0 {
            text.push(b',');
        }
        text.push(b'{');
        for (j, (name, value)) in names.iter().zip(row).enumerate() {
            if j > 0 {
                text.push(b',');
            }
            text.extend_from_slice(name.as_bytes());
            text.push(b':');
            write_json(&mut text, value)?;
        }
        text.push(b'}');
    }
    text.push(b']');
    let text = String::from_utf8(text).map_err(|e| DbErr::Custom(e.to_string()))?;
    let mut source = Query::select();
    source
        .columns(columns.iter().map(|c| Alias::new(c.as_str())))
        .from_function(
            Func::cust(Alias::new("json_populate_recordset"))
                .arg(Expr::cust(format!("NULL::{}", entity.table_name())))
                .arg(Expr::val(text).cast_as(Alias::new("json"))),
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

/// A bound value as `json_populate_recordset` reads it back into its column, written straight
/// into the parameter's text: no JSON tree is built for a batch of rows.
fn write_json(out: &mut Vec<u8>, value: &Value) -> Result<(), DbErr> {
    fn text(out: &mut Vec<u8>, value: &impl serde::Serialize) -> Result<(), DbErr> {
        serde_json::to_writer(out, value).map_err(|e| DbErr::Custom(e.to_string()))
    }
    match value {
        Value::Bool(Some(v)) => text(out, v),
        Value::SmallInt(Some(v)) => text(out, v),
        Value::Int(Some(v)) => text(out, v),
        Value::BigInt(Some(v)) => text(out, v),
        Value::String(Some(v)) => text(out, v),
        Value::Uuid(Some(v)) => text(out, v),
        Value::ChronoDate(Some(v)) => text(out, v),
        Value::ChronoDateTimeUtc(Some(v)) => text(out, &v.to_rfc3339()),
        Value::Json(Some(v)) => text(out, v),
        Value::Bool(None)
        | Value::SmallInt(None)
        | Value::Int(None)
        | Value::BigInt(None)
        | Value::String(None)
        | Value::Uuid(None)
        | Value::ChronoDate(None)
        | Value::ChronoDateTimeUtc(None)
        | Value::Json(None) => {
            out.extend_from_slice(b"null");
            Ok(())
        }
        other => Err(DbErr::Custom(format!("no JSON form for {other:?}"))),
    }
}

/// Branches of one `UNION ALL` statement: under SQLite's limit of 500 compound selects.
pub const UNION_BRANCHES: usize = 200;

/// Runs one `SELECT` per policy as the branches of `UNION ALL` statements, [`UNION_BRANCHES`] to
/// a statement, each branch labelled with its policy (a `policy` column), and gives every row
/// with the policy of its branch: a figure per policy for any number of policies in a bounded
/// number of statements.
pub async fn per_policy(
    db: &impl ConnectionTrait,
    branches: Vec<(uuid::Uuid, sea_orm::sea_query::SelectStatement)>,
) -> Result<Vec<(uuid::Uuid, QueryResult)>, DbErr> {
    let mut rows = Vec::new();
    for chunk in branches.chunks(UNION_BRANCHES) {
        let mut labelled = chunk.iter().map(|(policy, select)| {
            let mut branch = select.clone();
            branch.expr_as(Expr::val(policy.to_string()), Alias::new("policy"));
            branch
        });
        let Some(mut query) = labelled.next() else {
            continue;
        };
        for branch in labelled {
            query.union(sea_orm::sea_query::UnionType::All, branch);
        }
        for row in db.query_all(&query).await? {
            let text: String = row.try_get("", "policy")?;
            let policy = uuid::Uuid::parse_str(&text)
                .map_err(|e| DbErr::Custom(format!("policy id {text}: {e}")))?;
            rows.push((policy, row));
        }
    }
    Ok(rows)
}

/// A count or sum read from `row` at `index` (a position or a column name): PostgreSQL gives
/// BIGINT, SQLite INTEGER, an empty SUM NULL (read as 0). Any other type is an error, never a
/// silent zero.
/// In an upsert's conflict action, the value the statement tried to insert into `column`.
pub fn excluded(column: impl sea_orm::sea_query::IntoIden) -> Expr {
    Expr::col((Alias::new("excluded"), column))
}

pub fn read_count<I>(row: &QueryResult, index: I) -> Result<i64, DbErr>
where
    I: sea_orm::ColIdx + Copy + std::fmt::Debug,
{
    row.try_get_by::<Option<i64>, I>(index)
        .map(Option::unwrap_or_default)
        .or_else(|_| row.try_get_by::<i32, I>(index).map(i64::from))
        .map_err(|err| DbErr::Custom(format!("column {index:?} is not a count: {err}")))
}

#[cfg(test)]
mod tests;

/// What a PostgreSQL listener hears on its channel.
pub enum Heard<'a> {
    /// A notification, with its payload.
    Said(&'a str),
    /// The listening connection was lost and is back: whatever was said meanwhile is unheard,
    /// so the listener catches up from the tables.
    Missed,
}

/// On PostgreSQL, hands each notification on `channel` to `hear` until the process ends,
/// listening again whenever the connection is lost (then telling `hear` it may have missed
/// some). On SQLite there is nothing to listen to: nothing is started.
pub fn listen<F, Fut>(db: &DatabaseConnection, channel: &'static str, mut hear: F)
where
    F: FnMut(Heard<'_>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    if db.get_database_backend() != DatabaseBackend::Postgres {
        return;
    }
    let pool = db.get_postgres_connection_pool().clone();
    tokio::spawn(async move {
        loop {
            let mut listener = match sea_orm::sqlx::postgres::PgListener::connect_with(&pool).await
            {
                Ok(listener) => listener,
                Err(err) => {
                    tracing::warn!(error = %err, channel, "could not listen");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if let Err(err) = listener.listen(channel).await {
                tracing::warn!(error = %err, channel, "could not listen");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
            loop {
                match listener.try_recv().await {
                    Ok(Some(notification)) => hear(Heard::Said(notification.payload())).await,
                    Ok(None) => hear(Heard::Missed).await,
                    Err(err) => {
                        tracing::warn!(error = %err, channel, "lost the notifications; listening again");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        hear(Heard::Missed).await;
                        break;
                    }
                }
            }
        }
    });
}

/// On PostgreSQL, sends each of `payloads` on `channel` in one statement (delivered when the
/// surrounding transaction commits); elsewhere, nothing. Payloads are the service's own ids,
/// quoted as SQL strings.
pub async fn notify(
    db: &impl ConnectionTrait,
    channel: &str,
    payloads: &[String],
) -> Result<(), DbErr> {
    if db.get_database_backend() != DatabaseBackend::Postgres || payloads.is_empty() {
        return Ok(());
    }
    let quoted: Vec<String> = payloads
        .iter()
        .map(|p| format!("'{}'", p.replace('\'', "''")))
        .collect();
    db.execute_unprepared(&format!(
        "SELECT pg_notify('{channel}', payload) FROM unnest(ARRAY[{}]::text[]) AS payload",
        quoted.join(",")
    ))
    .await?;
    Ok(())
}
