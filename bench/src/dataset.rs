//! The synthetic data sets, each in a database of its own that the run creates and drops.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use policy_outreach::entity::policy;
use policy_outreach::policy::PolicyStatus;
use policy_outreach::{Settings, db};
use policy_outreach_demo as demo;
use policy_outreach_demo::synthetic::{self, Size, Written};
use sea_orm::prelude::Uuid;
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, QueryFilter,
    QuerySelect, Statement,
};

/// Which database the run measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A seeded database.
pub struct Dataset {
    pub url: String,
    pub written: Written,
    place: Place,
}

enum Place {
    Postgres { admin: String, name: String },
    Sqlite { file: PathBuf },
}

/// What the load runs draw from: firms to file for, policies to answer.
pub struct Samples {
    pub usccs: Vec<String>,
    pub policies: Vec<String>,
}

/// What the database holds of one subject's acknowledgements.
pub struct Stored {
    pub rows: u64,
    pub duplicate_keys: u64,
}

impl Dataset {
    /// Creates database `name` (replacing one left by an earlier run) and loads `size` into it.
    pub async fn create(
        backend: Backend,
        postgres_url: &str,
        name: &str,
        size: Size,
    ) -> anyhow::Result<Dataset> {
        let (url, place) = match backend {
            Backend::Postgres => {
                let admin = Database::connect(postgres_url)
                    .await
                    .with_context(|| format!("connecting to {postgres_url}"))?;
                let name = format!("po_bench_{name}");
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await?;
                admin.close().await?;
                let base = postgres_url
                    .rsplit_once('/')
                    .map_or(postgres_url, |(base, _)| base);
                (
                    format!("{base}/{name}"),
                    Place::Postgres {
                        admin: postgres_url.to_owned(),
                        name,
                    },
                )
            }
            Backend::Sqlite => {
                let dir = PathBuf::from("target/bench");
                std::fs::create_dir_all(&dir)?;
                let file = dir.join(format!("{name}.db"));
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
                }
                (
                    format!("sqlite://{}?mode=rwc", file.display()),
                    Place::Sqlite { file },
                )
            }
        };
        let db = connect(&url).await?;
        db::migrate_up(&db).await?;
        let regions = policy_outreach::region::load(&db).await?;
        let departments = demo::seed_departments(&db, &regions).await?;
        let written = synthetic::seed(&db, &regions, &departments, size).await?;
        db.close().await?;
        Ok(Dataset {
            url,
            written,
            place,
        })
    }

    /// Up to `firms` firm codes spread over the whole set, and every published policy.
    pub async fn samples(&self, firms: usize) -> anyhow::Result<Samples> {
        let db = connect(&self.url).await?;
        let step = (self.written.firms / firms.max(1)).max(1);
        let mut usccs = strings(
            &db,
            &format!(
                "SELECT uscc FROM (SELECT uscc, ROW_NUMBER() OVER (ORDER BY uscc) AS n FROM firm) \
                 AS numbered WHERE n % {step} = 0"
            ),
        )
        .await?;
        // Firms file in no particular order, as a single window's traffic arrives. In USCC
        // order every policy's new funnel keys would land at the end of its range, splitting the
        // key's pages in half and never filling them again.
        usccs.sort_by_key(|uscc| scattered(uscc));
        let policies: Vec<String> = policy::Entity::find()
            .select_only()
            .column(policy::Column::Id)
            .filter(policy::Column::Status.eq(PolicyStatus::Published))
            .into_tuple::<Uuid>()
            .all(&db)
            .await?
            .iter()
            .map(Uuid::to_string)
            .collect();
        db.close().await?;
        anyhow::ensure!(
            !usccs.is_empty() && !policies.is_empty(),
            "the data set is empty"
        );
        Ok(Samples { usccs, policies })
    }

    /// Bytes the database stores, per relation: each table (with its TOAST) and each index on
    /// PostgreSQL; the whole file on SQLite.
    pub async fn stored_bytes(&self) -> anyhow::Result<BTreeMap<String, i64>> {
        let db = connect(&self.url).await?;
        let sql = match self.place {
            Place::Postgres { .. } => {
                "SELECT CAST(c.relname AS TEXT), CAST(CASE WHEN c.relkind = 'r' \
                 THEN pg_table_size(c.oid) ELSE pg_relation_size(c.oid) END AS BIGINT) \
                 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"
            }
            Place::Sqlite { .. } => {
                "SELECT 'database file', page_count * page_size \
                 FROM pragma_page_count(), pragma_page_size()"
            }
        };
        let mut sizes = BTreeMap::new();
        for row in db
            .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
            .await?
        {
            sizes.insert(row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        }
        db.close().await?;
        Ok(sizes)
    }

    /// Vacuums `table` as autovacuum would (PostgreSQL; nothing on SQLite): its rows' pages are
    /// marked all-visible again, so index-only scans read the index alone.
    pub async fn vacuum(&self, table: &str) -> anyhow::Result<()> {
        if let Place::Postgres { .. } = self.place {
            let db = connect(&self.url).await?;
            db.execute_unprepared(&format!("VACUUM {table}")).await?;
            db.close().await?;
        }
        Ok(())
    }

    /// The acknowledgements recorded under `subject`, and keys recorded more than once.
    pub async fn stored(&self, subject: &str) -> anyhow::Result<Stored> {
        let db = connect(&self.url).await?;
        let rows = count(
            &db,
            &format!("SELECT COUNT(*) FROM acknowledgement WHERE actor_subject = '{subject}'"),
        )
        .await?;
        let duplicate_keys = count(
            &db,
            &format!(
                "SELECT COUNT(*) FROM (SELECT idempotency_key FROM acknowledgement \
                 WHERE actor_subject = '{subject}' GROUP BY idempotency_key HAVING COUNT(*) > 1) AS d"
            ),
        )
        .await?;
        db.close().await?;
        Ok(Stored {
            rows,
            duplicate_keys,
        })
    }

    /// Drops the database.
    pub async fn remove(self) -> anyhow::Result<()> {
        match self.place {
            Place::Postgres { admin, name } => {
                let admin = Database::connect(&admin).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await?;
                admin.close().await?;
            }
            Place::Sqlite { file } => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
                }
            }
        }
        Ok(())
    }
}

async fn connect(url: &str) -> anyhow::Result<DatabaseConnection> {
    let mut settings = Settings::defaults();
    settings.database_url = url.into();
    db::connect(&settings)
        .await
        .with_context(|| format!("connecting to {}", settings.database_url))
}

async fn strings(db: &DatabaseConnection, sql: &str) -> anyhow::Result<Vec<String>> {
    let rows = db
        .query_all_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?;
    Ok(rows
        .iter()
        .map(|row| row.try_get_by_index::<String>(0))
        .collect::<Result<_, _>>()?)
}

async fn count(db: &DatabaseConnection, sql: &str) -> anyhow::Result<u64> {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("a count returns a row")?;
    Ok(u64::try_from(row.try_get_by_index::<i64>(0)?)?)
}

/// A fixed, well-spread order of `text` (FNV-1a): the same firms in the same order on every run.
fn scattered(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
