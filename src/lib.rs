//! policy-outreach, the command line: what `main` parses and runs, and what the benchmark runs as
//! its server. Parsing and dispatch are here; each group of commands is a module of its own.

mod data;
mod serve;
mod token;

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use policy_outreach::auth::Role;
use policy_outreach::config::{LogFormat, Settings};
use policy_outreach_demo as demo;

use data::{MigrateAction, export_schema, import_policies, migrate, seed_synthetic};

/// Every binary that runs the service (this one, and the benchmark's server) allocates with
/// mimalloc: a request makes and drops many small values, and glibc's allocator took a quarter
/// of the server's time under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use serve::{seed_demo, serve};
use token::{TokenRole, token};

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
        /// The Apollo Federation v2 subgraph SDL a gateway composes, instead of the plain schema.
        #[arg(long)]
        federation: bool,
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
                        // The flagship's answers carry comments, one per twenty deliveries.
                        comments: deliveries / 20,
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
            Command::ExportSchema { output, federation } => export_schema(output, federation),
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
