//! The command line: what `main` parses and runs, and what the benchmark runs as its server.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use rand::distr::{Alphanumeric, SampleString};
use secrecy::SecretString;

use policy_outreach::app::Application;
use policy_outreach::auth::{Claims, Role, Viewer, mint};
use policy_outreach::clock::{Clock, SystemClock};
use policy_outreach::config::{LogFormat, Settings};
use policy_outreach::error::AppError;
use policy_outreach::policy::import;
use policy_outreach::{db, schema};
use policy_outreach_demo as demo;

/// Tells foreign-trade firms which preferential policies apply to them, during a customs filing.
#[derive(Parser, Debug)]
#[command(name = "policy-outreach", version)]
pub struct Cli {
    /// A TOML file of settings; POLICY_OUTREACH_* environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the GraphQL API (the default).
    Serve {
        /// Seed a realistic demo into the database, generate a signing secret if none is set, and
        /// print a token per role.
        #[arg(long)]
        demo: bool,
        /// Do not apply pending migrations on start.
        #[arg(long)]
        no_migrate: bool,
    },
    /// Apply, roll back or list migrations.
    Migrate {
        #[arg(value_enum, default_value_t = MigrateAction::Up)]
        action: MigrateAction,
        /// How many to roll back with `down` (default 1).
        #[arg(long, conflicts_with = "all")]
        steps: Option<u32>,
        /// Roll back every migration with `down`.
        #[arg(long)]
        all: bool,
    },
    /// Load data into the database: the demo, or a large synthetic set for measurements.
    Seed {
        /// The demo: departments, policies, firms, brokers, three months of reach.
        #[arg(
            long,
            conflicts_with = "synthetic",
            required_unless_present = "synthetic"
        )]
        demo: bool,
        /// A reproducible synthetic set of the sizes given.
        #[arg(long)]
        synthetic: bool,
        /// Firms to generate (one in a hundred is a broker).
        #[arg(long, default_value_t = 100_000, requires = "synthetic")]
        firms: usize,
        /// Published policies to generate (the first is nationwide and open to every firm).
        #[arg(long, default_value_t = 2_000, requires = "synthetic")]
        policies: usize,
        /// Deliveries to generate (60% to the first policy).
        #[arg(long, default_value_t = 100_000, requires = "synthetic")]
        deliveries: usize,
        /// Random seed: the same seed gives the same data.
        #[arg(long, default_value_t = 1, requires = "synthetic")]
        seed: u64,
    },
    /// Load policies from a JSON file (see README): all are validated first, and nothing is
    /// written when anything is wrong.
    ImportPolicies {
        file: PathBuf,
        /// Publish every policy of the file (else each entry's `publish` decides).
        #[arg(long)]
        publish: bool,
    },
    /// Print the GraphQL schema (SDL), as committed in schema.graphql.
    ExportSchema {
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Mint a token with the configured HS256 secret (development only).
    Token {
        #[arg(long, value_enum)]
        role: TokenRole,
        /// The firm a firm or broker token speaks for.
        #[arg(long)]
        uscc: Option<String>,
        /// The department a department token speaks for.
        #[arg(long)]
        department: Option<String>,
        /// The token's subject (`sub`); defaults to the role and its claim.
        #[arg(long)]
        subject: Option<String>,
        /// Lifetime, like 30m, 8h or 7d.
        #[arg(long, default_value = "8h", value_parser = humantime::parse_duration)]
        ttl: Duration,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum MigrateAction {
    Up,
    Down,
    Status,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum TokenRole {
    Firm,
    Broker,
    Department,
    System,
    Admin,
}

impl From<TokenRole> for Role {
    fn from(role: TokenRole) -> Role {
        match role {
            TokenRole::Firm => Role::Firm,
            TokenRole::Broker => Role::Broker,
            TokenRole::Department => Role::Department,
            TokenRole::System => Role::System,
            TokenRole::Admin => Role::Admin,
        }
    }
}

/// Parses the command line and runs it.
pub fn run() -> anyhow::Result<()> {
    run_from(std::env::args_os())
}

/// [`run`] with the command line given: the first item is the program's name.
pub fn run_from<I, T>(args: I) -> anyhow::Result<()>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::parse_from(args);
    let mut settings = Settings::load(cli.config.as_deref())?;
    init_logging(&settings.log, settings.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve {
            demo: false,
            no_migrate: false,
        }) {
            Command::Serve { demo, no_migrate } => {
                if no_migrate {
                    settings.migrate_on_start = false;
                }
                serve(settings, demo).await
            }
            Command::Migrate { action, steps, all } => migrate(&settings, action, steps, all).await,
            Command::Seed {
                synthetic: true,
                firms,
                policies,
                deliveries,
                seed,
                ..
            } => {
                seed_synthetic(
                    &settings,
                    demo::synthetic::Size {
                        firms,
                        policies,
                        deliveries,
                        seed,
                        zone: settings.time_zone,
                    },
                )
                .await
            }
            Command::Seed { .. } => seed_demo(&settings).await.map(|_| ()),
            Command::ImportPolicies { file, publish } => {
                import_policies(&settings, &file, publish).await
            }
            Command::ExportSchema { output } => export_schema(output),
            Command::Token {
                role,
                uscc,
                department,
                subject,
                ttl,
            } => {
                let role = Role::from(role);
                let token = token(&settings, role, uscc, department, subject, ttl)?;
                writeln!(std::io::stdout(), "{token}")?;
                Ok(())
            }
        }
    })
}

fn init_logging(filter: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

async fn serve(mut settings: Settings, demo: bool) -> anyhow::Result<()> {
    let seeded = if demo {
        if settings.jwt_hs256_secret.is_none() {
            let secret = Alphanumeric.sample_string(&mut rand::rng(), 48);
            settings.jwt_hs256_secret = Some(SecretString::from(secret));
        }
        settings
            .jwt_issuer
            .get_or_insert_with(|| "policy-outreach-demo".to_owned());
        settings
            .jwt_audience
            .get_or_insert_with(|| "policy-outreach".to_owned());
        // The demo is for browsing: GraphiQL's documentation needs introspection.
        settings.graphql_introspection = true;
        Some(seed_demo(&settings).await?)
    } else {
        None
    };
    let application = Application::build(settings.clone()).await?;
    let addr = application.local_addr()?;
    tracing::info!(%addr, database = %settings.database_url, "listening");
    if let Some(seeded) = seeded {
        print_demo_guide(&settings, &seeded, addr)?;
    }
    application.run_until_stopped().await
}

async fn seed_demo(settings: &Settings) -> anyhow::Result<demo::Seeded> {
    let db = db::connect(settings)
        .await
        .context("connecting to the database")?;
    db::migrate_up(&db).await.context("applying migrations")?;
    let seeded = demo::seed(&db, settings.time_zone)
        .await
        .context("seeding the demo")?;
    tracing::info!(
        policies = seeded.policies,
        firms = seeded.firms,
        already_there = seeded.already_seeded,
        "demo data ready"
    );
    db.close().await?;
    Ok(seeded)
}

async fn seed_synthetic(settings: &Settings, size: demo::synthetic::Size) -> anyhow::Result<()> {
    let db = db::connect(settings)
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

fn print_demo_guide(
    settings: &Settings,
    seeded: &demo::Seeded,
    addr: std::net::SocketAddr,
) -> anyhow::Result<()> {
    let ttl = Duration::from_secs(24 * 3600);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "\npolicy-outreach demo: {} policies, {} firms",
        seeded.policies, seeded.firms
    )?;
    writeln!(out, "  GraphiQL   http://{addr}/graphql")?;
    writeln!(
        out,
        "  health     http://{addr}/healthz   http://{addr}/readyz"
    )?;
    writeln!(out, "  metrics    http://{addr}/metrics")?;
    writeln!(
        out,
        "\nTokens (valid 24 h; send as `Authorization: Bearer <token>`):"
    )?;
    let tokens = [
        (Role::Firm, Some(seeded.firm.clone()), None),
        (Role::Broker, Some(seeded.broker.clone()), None),
        (Role::Department, None, Some(seeded.department.clone())),
        (Role::System, None, None),
        (Role::Admin, None, None),
    ];
    for (role, uscc, department) in tokens {
        let token = token(settings, role, uscc, department, None, ttl)?;
        writeln!(out, "  {:<10} {token}", role.as_str())?;
    }
    writeln!(
        out,
        "\nTry: curl -s http://{addr}/graphql -H 'content-type: application/json' \\"
    )?;
    writeln!(
        out,
        "       -d '{{\"query\":\"{{ policies {{ totalCount edges {{ node {{ code title }} }} }} }}\"}}'\n"
    )?;
    Ok(())
}

fn token(
    settings: &Settings,
    role: Role,
    uscc: Option<String>,
    department: Option<String>,
    subject: Option<String>,
    ttl: Duration,
) -> anyhow::Result<String> {
    let jwt = settings.jwt()?;
    match role {
        Role::Firm | Role::Broker if uscc.is_none() => anyhow::bail!("a {role} token needs --uscc"),
        Role::Department if department.is_none() => {
            anyhow::bail!("a department token needs --department")
        }
        _ => {}
    }
    let name = role.as_str().to_ascii_lowercase();
    let sub = subject.unwrap_or_else(|| match (&uscc, &department) {
        (Some(u), _) => format!("{name}:{u}"),
        (_, Some(d)) => format!("{name}:{d}"),
        _ => format!("{name}:dev"),
    });
    mint(
        &jwt,
        &Claims {
            sub,
            role: name,
            uscc,
            department,
        },
        ttl,
    )
}

async fn migrate(
    settings: &Settings,
    action: MigrateAction,
    steps: Option<u32>,
    all: bool,
) -> anyhow::Result<()> {
    let db = db::connect(settings)
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

async fn import_policies(
    settings: &Settings,
    file: &std::path::Path,
    publish: bool,
) -> anyhow::Result<()> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let db = db::connect(settings)
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

fn export_schema(output: Option<PathBuf>) -> anyhow::Result<()> {
    let sdl = schema::sdl();
    match output {
        Some(path) => {
            std::fs::write(&path, sdl).with_context(|| format!("writing {}", path.display()))?
        }
        None => std::io::stdout().write_all(sdl.as_bytes())?,
    }
    Ok(())
}
