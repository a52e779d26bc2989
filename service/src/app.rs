//! The application: built from settings, bound to a port, served until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::auth::TokenVerifier;
use crate::clock::{Clock, SystemClock};
use crate::config::Settings;
use crate::db;
use crate::http::{HttpState, Metrics, PublicAnswers, RateLimits, heavy_permits, router};
use crate::outreach::audience::KeptRules;
use crate::outreach::{Activity, OutreachService, answers, recorder};
use crate::policy::live::LiveCatalog;
use crate::schema::{Documents, Handles, Limits, build_schema};
use crate::state::Base;

/// How long stopping waits for the pool to close once requests are done or abandoned.
const POOL_CLOSE_WAIT: Duration = Duration::from_secs(1);

/// A bound, ready-to-serve instance. Tests build one on port 0 and read the port back.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    db: DatabaseConnection,
    grace: Duration,
}

impl Application {
    /// Connects to the database (migrating it unless told not to), loads reference data and binds
    /// the listener.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Self::build_with_clock(settings, Arc::new(SystemClock)).await
    }

    /// [`Application::build`] with a clock of the caller's (tests move time with it).
    pub async fn build_with_clock(
        settings: Settings,
        clock: Arc<dyn Clock>,
    ) -> anyhow::Result<Application> {
        let jwt = settings.jwt()?;
        let verifier = TokenVerifier::new(&jwt)?;
        verifier.watch_keys(jwt.jwks_poll);
        let db = db::connect(&settings)
            .await
            .with_context(|| format!("connecting to {}", settings.database_url))?;
        if settings.migrate_on_start {
            db::migrate_before_serving(&settings, &db)
                .await
                .context("applying migrations")?;
        }
        let regions = crate::region::load(&db).await.context("loading regions")?;
        // Comments stored before their terms were extracted (or by an older extraction).
        crate::needs::store::catch_up(&db)
            .await
            .context("extracting the terms of stored comments")?;
        crate::needs::terms::warm_up();
        if regions.is_empty() {
            anyhow::bail!("the database has no regions: run `policy-outreach migrate up` first");
        }
        let live = Arc::new(
            LiveCatalog::load(&db, &regions)
                .await
                .context("loading published policies")?,
        );
        live.clone().watch(
            db.clone(),
            regions.clone(),
            Duration::from_millis(settings.catalog_poll_ms),
        );
        crate::policy::live::listen(live.clone(), db.clone(), regions.clone());
        let listener = TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("binding {}", settings.listen))?;
        let grace = Duration::from_secs(settings.shutdown_grace_seconds);
        let settings = Arc::new(settings);
        let base = Base {
            db: db.clone(),
            regions,
            clock: clock.clone(),
            zone: settings.time_zone,
        };
        let rules = KeptRules::new(base.regions.clone());
        let outreach = Arc::new(OutreachService {
            base: base.clone(),
            live: live.clone(),
            recorder: recorder::start(
                db.clone(),
                clock.clone(),
                settings.time_zone,
                rules.clone(),
                base.regions.clone(),
            ),
            answers: answers::start(db.clone(), clock, settings.time_zone, rules.clone()),
            activity: Activity::start(db.clone()),
            reach: crate::outreach::changes::ReachChanges::start(db.clone()),
            rules,
        });
        let handles = Handles {
            base: base.clone(),
            live: live.clone(),
            outreach,
        };
        let http = Arc::new(HttpState {
            schema: build_schema(Some(handles), &settings),
            limits: Limits::new(&settings),
            documents: Documents::default(),
            live,
            public: PublicAnswers::default(),
            heavy: heavy_permits(),
            base,
            settings: settings.clone(),
            verifier,
            rate: RateLimits::new(&settings),
            metrics: Metrics::new(settings.db_max_connections),
            ws_slots: Default::default(),
        });
        Ok(Application {
            listener,
            router: router(http),
            db,
            grace,
        })
    }

    /// Where the server listens.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until SIGTERM or ctrl-c.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run_until(shutdown_signal()).await
    }

    /// Serves until `stop` completes, then lets in-flight requests finish within the grace period
    /// and closes the pool.
    pub async fn run_until(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let (stopping_tx, mut grace_rx) = tokio::sync::watch::channel(false);
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        let server = axum::serve(self.listener, service).with_graceful_shutdown(async move {
            stop.await;
            tracing::info!("shutting down: no new connections, finishing requests in flight");
            let _ = stopping_tx.send(true);
        });
        let grace = self.grace;
        let outcome = tokio::select! {
            served = server => served.map_err(anyhow::Error::from),
            () = async move {
                let _ = grace_rx.wait_for(|stopping| *stopping).await;
                tokio::time::sleep(grace).await;
            } => {
                tracing::warn!(seconds = grace.as_secs(), "grace period over; abandoning requests in flight");
                Ok(())
            }
        };
        // Requests abandoned at the end of the grace period still hold connections, and closing
        // the pool waits for every connection to come back: bound the wait, the database ends
        // their sessions (and rolls back their transactions) when the process exits.
        match tokio::time::timeout(POOL_CLOSE_WAIT, self.db.close()).await {
            Ok(closed) => closed.context("closing the database pool")?,
            Err(_) => tracing::warn!("connections still in use at exit; the database ends them"),
        }
        outcome
    }
}

/// Completes on SIGTERM or ctrl-c.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %err, "cannot listen for ctrl-c");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(err) => {
                tracing::error!(error = %err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
