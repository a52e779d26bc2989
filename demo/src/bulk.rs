//! Writing many rows fast: COPY on PostgreSQL, multi-row INSERTs in one transaction on SQLite.

use sea_orm::sea_query::{Alias, Expr, Query, Value};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection};

use policy_outreach::db::begin_write;

/// SQLite's bound-parameter limit, with room to spare.
const SQLITE_PARAMETERS: usize = 30_000;

/// Writes `rows` (values in the order of `columns`) into `table`.
pub async fn write(
    db: &DatabaseConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    match db.get_database_backend() {
        DatabaseBackend::Postgres => copy(db, table, columns, rows).await,
        _ => insert(db, table, columns, rows).await,
    }
}

async fn copy(
    db: &DatabaseConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
) -> anyhow::Result<()> {
    let mut conn = db.get_postgres_connection_pool().acquire().await?;
    let statement = format!(
        "COPY {table} ({}) FROM STDIN WITH (FORMAT csv)",
        columns.join(", ")
    );
    let mut sink = conn.copy_in_raw(&statement).await?;
    let mut buffer = String::with_capacity(1 << 20);
    for row in rows {
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                buffer.push(',');
            }
            // COPY's CSV: an unquoted empty field is NULL, anything quoted is a value.
            if let Some(text) = text(value)? {
                buffer.push('"');
                buffer.push_str(&text.replace('"', "\"\""));
                buffer.push('"');
            }
        }
        buffer.push('\n');
        if buffer.len() > 1 << 20 {
            sink.send(std::mem::take(&mut buffer).into_bytes()).await?;
        }
    }
    sink.send(buffer.into_bytes()).await?;
    sink.finish().await?;
    Ok(())
}

/// A value as COPY reads it; `None` for NULL. A type the loader does not write is an error.
fn text(value: &Value) -> anyhow::Result<Option<String>> {
    Ok(match value {
        Value::Bool(v) => v.map(|b| b.to_string()),
        Value::SmallInt(v) => v.map(|n| n.to_string()),
        Value::Int(v) => v.map(|n| n.to_string()),
        Value::BigInt(v) => v.map(|n| n.to_string()),
        Value::Double(v) => v.map(|n| n.to_string()),
        Value::String(v) => v.clone(),
        Value::Uuid(v) => v.map(|u| u.to_string()),
        Value::ChronoDate(v) => v.map(|d| d.format("%Y-%m-%d").to_string()),
        Value::ChronoDateTimeUtc(v) => v.map(|t| t.to_rfc3339()),
        Value::Json(v) => v.as_ref().map(|j| j.to_string()),
        other => anyhow::bail!("the bulk loader cannot write {other:?}"),
    })
}

async fn insert(
    db: &DatabaseConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
) -> anyhow::Result<()> {
    let txn = begin_write(db).await?;
    for chunk in rows.chunks((SQLITE_PARAMETERS / columns.len()).max(1)) {
        let mut statement = Query::insert();
        statement
            .into_table(Alias::new(table))
            .columns(columns.iter().map(|c| Alias::new(*c)));
        for row in chunk {
            statement.values_panic(row.iter().cloned().map(Expr::from));
        }
        txn.execute(&statement).await?;
    }
    txn.commit().await?;
    Ok(())
}
