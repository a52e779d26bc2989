//! `seed --synthetic`: a large, reproducible data set for measuring the service — firms weighted
//! like China's trading provinces, log-normal export values, brokers serving many firms, policies of
//! realistic shape, and deliveries and acknowledgements spread over months. Written in batched
//! multi-row inserts; the same seed gives the same rows (times are relative to today, UTC).

mod policies;
mod population;
mod reach;
mod shape;

pub use policies::BUSIEST_DEPARTMENT_POLICIES;
pub use shape::FLAGSHIP_SHARE;

use std::collections::HashMap;
use std::time::Instant;

use chrono::Utc;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sea_orm::sea_query::Value as SqlValue;
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use policy_outreach::db::begin_write;
use policy_outreach::needs::tally;
use policy_outreach::outreach::audience;
use policy_outreach::policy::live;
use policy_outreach::region::RegionCatalog;

use crate::bulk;

use policies::write_policies;
use population::{FIRM_COLUMNS, entrust, generate_firms};
use reach::write_reach;

/// How much to generate.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub firms: usize,
    pub policies: usize,
    pub deliveries: usize,
    /// About how many of the flagship policy's acknowledgements carry a comment (others carry
    /// one now and then).
    pub comments: usize,
    pub seed: u64,
    /// The zone the daily series counts days in (`TIME_ZONE`).
    pub zone: chrono_tz::Tz,
}

/// What was written, and how long it took.
#[derive(Debug)]
pub struct Written {
    pub firms: usize,
    pub brokers: usize,
    pub policies: usize,
    pub deliveries: usize,
    pub acknowledgements: usize,
    /// Acknowledgements of the flagship policy with a comment.
    pub flagship_comments: usize,
    pub flagship: Uuid,
    /// The department that leads the first [`policies::BUSIEST_DEPARTMENT_POLICIES`] policies
    /// (the flagship among them) and no other.
    pub busiest_department: String,
    /// How many policies it leads.
    pub busiest_department_policies: usize,
    pub seconds: f64,
}

/// Generates and writes the data set into a migrated database with departments.
pub async fn seed(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    departments: &[&str],
    size: Size,
) -> anyhow::Result<Written> {
    let started = Instant::now();
    let mut rng = StdRng::seed_from_u64(size.seed);
    let today = Utc::now().date_naive();
    let anchor = today.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
    let mut population = generate_firms(&mut rng, regions, size.firms, anchor)?;
    let broker_count = (size.firms / 100).max(1).min(population.usccs.len());
    let entrustments = entrust(&mut rng, &population.provinces, broker_count);
    let mut brokers_per_firm = vec![0i32; population.usccs.len()];
    for (f, _) in &entrustments {
        brokers_per_firm[*f] += 1;
    }
    for (row, count) in population.rows.iter_mut().zip(&brokers_per_firm) {
        row.push((*count).into());
    }
    let firms = &population.usccs;
    bulk::write(db, "firm", &FIRM_COLUMNS, &population.rows).await?;
    tracing::info!(
        firms = firms.len(),
        seconds = started.elapsed().as_secs_f64(),
        "firms written"
    );
    let links: Vec<Vec<SqlValue>> = entrustments
        .iter()
        .map(|(f, b)| {
            vec![
                firms[*f].clone().into(),
                firms[*b].clone().into(),
                anchor.into(),
            ]
        })
        .collect();
    bulk::write(
        db,
        "firm_broker",
        &["firm_uscc", "broker_uscc", "created_at"],
        &links,
    )
    .await?;
    let txn = begin_write(db).await?;
    let policies = write_policies(
        &txn,
        &mut rng,
        regions,
        departments,
        size.policies,
        today,
        anchor,
    )
    .await?;
    txn.commit().await?;
    tracing::info!(
        policies = policies.len(),
        seconds = started.elapsed().as_secs_f64(),
        "policies written"
    );
    let broker_of: HashMap<usize, usize> = entrustments.iter().map(|(f, b)| (*f, *b)).collect();
    let (deliveries, acknowledgements, flagship_comments) = write_reach(
        db,
        &mut rng,
        firms,
        &population.prefectures,
        broker_count,
        &population.in_flagship,
        &broker_of,
        &policies,
        size.deliveries,
        size.comments,
        anchor,
        size.zone,
    )
    .await?;
    live::bump_catalog(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The firms and comments were written around the syncs and the writer that keep audience
    // counts and comment tallies true.
    audience::forget_all(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let txn = begin_write(db).await?;
    tally::recount(&txn, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    txn.commit().await?;
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // Fresh statistics and visibility maps: the planner knows the new tables and can read
        // the covering indexes alone.
        db.execute_unprepared("VACUUM ANALYZE").await?;
    }
    Ok(Written {
        firms: firms.len(),
        brokers: broker_count,
        policies: policies.len(),
        deliveries,
        acknowledgements,
        flagship_comments,
        flagship: policies.first().map(|p| p.0).unwrap_or_default(),
        busiest_department: departments.first().copied().unwrap_or_default().to_owned(),
        busiest_department_policies: policies.len().min(BUSIEST_DEPARTMENT_POLICIES),
        seconds: started.elapsed().as_secs_f64(),
    })
}
