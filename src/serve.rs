//! `serve`, with or without the demo: the service itself, and the guide `--demo` prints.

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context as _;
use rand::distr::{Alphanumeric, SampleString};
use secrecy::SecretString;

use policy_outreach::app::Application;
use policy_outreach::auth::Role;
use policy_outreach::config::Settings;
use policy_outreach::db;
use policy_outreach_demo as demo;

use crate::token::token;

pub(super) async fn serve(mut settings: Settings, demo: bool) -> anyhow::Result<()> {
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
        settings.widget_demo = true;
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

pub(super) async fn seed_demo(settings: &Settings) -> anyhow::Result<demo::Seeded> {
    let db = db::connect_for_batch(settings)
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

pub(super) fn print_demo_guide(
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
    writeln!(out, "  console    http://{addr}/console")?;
    writeln!(out, "  panel      http://{addr}/widget/policy-panel.js")?;
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
    let mut console = Vec::new();
    let mut filing = Vec::new();
    for (role, uscc, department) in tokens {
        let token = token(settings, role, uscc, department, None, ttl)?;
        writeln!(out, "  {:<10} {token}", role.as_str())?;
        match role {
            Role::Department | Role::System | Role::Admin => console.push((role, token)),
            Role::Firm | Role::Broker => filing.push((role, token)),
            Role::Anonymous => {}
        }
    }
    writeln!(
        out,
        "\nA single window's declaration form with the filing panel, signed in:"
    )?;
    for (role, token) in filing {
        writeln!(
            out,
            "  {:<10} http://{addr}/widget/demo#token={token}&firm={}",
            role.as_str(),
            seeded.firm
        )?;
    }
    writeln!(
        out,
        "\nDepartment console, signed in (the token travels in the fragment, never to a log):"
    )?;
    for (role, token) in console {
        writeln!(
            out,
            "  {:<10} http://{addr}/console#token={token}",
            role.as_str()
        )?;
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
