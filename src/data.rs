//! The database and its data: `migrate`, `seed --synthetic`, `import-policies`, `export-schema`.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::ValueEnum;

use policy_outreach::auth::Viewer;
use policy_outreach::clock::{Clock, SystemClock};
use policy_outreach::config::Settings;
use policy_outreach::error::AppError;
use policy_outreach::policy::import;
use policy_outreach::{db, schema};
use policy_outreach_demo as demo;

/// What `migrate` does.
#[derive(ValueEnum, Clone, Copy, Debug)]
pub(super) enum MigrateAction {
    Up,
    Down,
    Status,
}

pub(super) async fn seed_synthetic(
    settings: &Settings,
    size: demo::synthetic::Size,
) -> anyhow::Result<()> {
    let db = db::connect_for_batch(settings)
        .await
        .context("connecting to the database")?;
    db::migrate_up(&db).await.context("applying migrations")?;
    let regions = policy_outreach::region::load(&db).await?;
    let departments = demo::seed_departments(&db, &regions).await?;
    let written = demo::synthetic::seed(&db, &regions, &departments, size).await?;
    db.close().await?;
    writeln!(
        std::io::stdout(),
        "seeded {} firms ({} brokers), {} policies, {} deliveries, {} acknowledgements in {:.1} s; \
         the flagship policy (most deliveries) is {}",
        written.firms,
        written.brokers,
        written.policies,
        written.deliveries,
        written.acknowledgements,
        written.seconds,
        written.flagship
    )?;
    Ok(())
}

pub(super) async fn migrate(
    settings: &Settings,
    action: MigrateAction,
    steps: Option<u32>,
    all: bool,
) -> anyhow::Result<()> {
    let db = db::connect_for_batch(settings)
        .await
        .context("connecting to the database")?;
    let mut out = std::io::stdout().lock();
    match action {
        MigrateAction::Up => db::migrate_up(&db).await?,
        MigrateAction::Down => {
            let steps = if all { None } else { Some(steps.unwrap_or(1)) };
            db::migrate_down(&db, steps).await?;
        }
        MigrateAction::Status => {}
    }
    for (name, applied) in db::migration_status(&db).await? {
        writeln!(
            out,
            "{} {name}",
            if applied { "applied" } else { "pending" }
        )?;
    }
    db.close().await?;
    Ok(())
}

pub(super) async fn import_policies(
    settings: &Settings,
    file: &std::path::Path,
    publish: bool,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let db = db::connect_for_batch(settings)
        .await
        .context("connecting to the database")?;
    db::migrate_up(&db).await.context("applying migrations")?;
    let regions = policy_outreach::region::load(&db).await?;
    let actor = Viewer::Admin {
        subject: "import-policies".to_owned(),
    };
    let outcome = match import::parse(&text) {
        Ok(entries) => {
            import::import(
                &db,
                &regions,
                entries,
                publish,
                &actor,
                SystemClock.now_micros(),
            )
            .await
        }
        Err(err) => Err(err),
    };
    db.close().await?;
    match outcome {
        Ok(imported) => {
            writeln!(
                std::io::stdout(),
                "imported {} policies ({} published) from {}",
                imported.created,
                imported.published,
                file.display()
            )?;
            Ok(())
        }
        Err(AppError::BadUserInput(errors)) => {
            let mut out = std::io::stderr().lock();
            writeln!(out, "{}: nothing was imported:", file.display())?;
            for problem in &errors.0 {
                writeln!(out, "  {}: {}", problem.field, problem.message)?;
            }
            anyhow::bail!("{} problems in {}", errors.0.len(), file.display())
        }
        Err(err) => Err(anyhow::anyhow!("{err}")),
    }
}

pub(super) fn export_schema(output: Option<PathBuf>, federation: bool) -> anyhow::Result<()> {
    let sdl = if federation {
        schema::federation_sdl()
    } else {
        schema::sdl()
    };
    match output {
        Some(path) => {
            std::fs::write(&path, sdl).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().write_all(sdl.as_bytes())?,
    }
    Ok(())
}
