//! The database going away and coming back, on PostgreSQL: the service sits behind a TCP proxy
//! the test can cut, as a network failure or a stopped server would.

use std::time::{Duration, Instant};

use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::{
    TestApp, admin, error_code, hold_department_table, stored_department_codes, upsert_department,
};

/// What the proxy does with traffic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Open,
    /// Every connection closed, new ones closed at once: a database that stopped.
    Cut,
    /// Every connection held open with nothing passing: a partition, not a refusal.
    Frozen,
}

/// A TCP proxy to PostgreSQL that the test can cut or freeze.
struct Proxy {
    address: String,
    mode: watch::Sender<Mode>,
}

impl Proxy {
    async fn start(upstream: String) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let (mode, _) = watch::channel(Mode::Open);
        let modes = mode.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mut watching = modes.subscribe();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let mut client = client;
                    let now = *watching.borrow_and_update();
                    match now {
                        Mode::Cut => return,
                        Mode::Frozen => {
                            let _ = watching.wait_for(|m| *m == Mode::Open).await;
                            return;
                        }
                        Mode::Open => {}
                    }
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let frozen = tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => false,
                        changed = watching.wait_for(|m| *m != Mode::Open) => {
                            changed.is_ok_and(|m| *m == Mode::Frozen)
                        }
                    };
                    if frozen {
                        // Hold both ends, passing nothing, until the network heals.
                        let _ = watching.wait_for(|m| *m == Mode::Open).await;
                    }
                });
            }
        });
        Proxy { address, mode }
    }

    fn set(&self, mode: Mode) {
        self.mode.send_replace(mode);
    }
}

async fn ready(app: &TestApp) -> u16 {
    app.client
        .get(app.url("/readyz"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Polls `/readyz` until it answers `status`, returning how long that took.
async fn until_ready_is(app: &TestApp, status: u16, within: Duration) -> Duration {
    let started = Instant::now();
    while ready(app).await != status {
        assert!(
            started.elapsed() < within,
            "/readyz did not answer {status} within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    started.elapsed()
}

/// The service on a fresh database, reaching it through a proxy.
async fn behind_proxy() -> Option<(TestApp, Proxy, String)> {
    let Some(postgres) = TestApp::postgres_address() else {
        eprintln!("skipped: the fault tests need PostgreSQL (TEST_DATABASE_URL)");
        return None;
    };
    let proxy = Proxy::start(postgres.clone()).await;
    let app = TestApp::spawn_with(|s| {
        s.database_url = s
            .database_url
            .expose()
            .replacen(&postgres, &proxy.address, 1)
            .into();
        s.db_acquire_timeout_seconds = 2;
    })
    .await;
    Some((app, proxy, postgres))
}

/// Runs `request` while the database is away: a clear INTERNAL answer, fast.
async fn refused_fast(app: &TestApp, request: &str, postgres: &str) {
    let started = Instant::now();
    let body = app.gql(Some(&admin()), request, json!({})).await;
    let took = started.elapsed();
    assert_eq!(error_code(&body), "INTERNAL", "{body}");
    assert_eq!(
        body["errors"][0]["message"], "the database is unavailable; try again in a few seconds",
        "{body}"
    );
    assert!(took < Duration::from_secs(4), "{request} took {took:?}");
    assert!(!body.to_string().contains(postgres), "{body}");
}

/// After the database returns: ready again by itself, and writes land.
async fn recovers(app: &TestApp, proxy: &Proxy) -> Duration {
    proxy.set(Mode::Open);
    let recovered = until_ready_is(app, 200, Duration::from_secs(15)).await;
    app.ok(Some(&admin()), &upsert_department("AFTER"), json!({}))
        .await;
    let data = app.ok(None, "{ departments { code } }", json!({})).await;
    assert_eq!(data["departments"].as_array().unwrap().len(), 2);
    assert_eq!(stored_department_codes(&app.db).await, ["AFTER", "BEFORE"]);
    recovered
}

#[tokio::test]
async fn a_stopped_database_fails_readiness_and_requests_fast_and_both_recover_by_themselves() {
    let Some((app, proxy, postgres)) = behind_proxy().await else {
        return;
    };
    app.ok(Some(&admin()), &upsert_department("BEFORE"), json!({}))
        .await;
    assert_eq!(ready(&app).await, 200);

    proxy.set(Mode::Cut);
    let noticed = until_ready_is(&app, 503, Duration::from_secs(5)).await;
    // The process is alive; only readiness follows the database.
    let alive = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), 200);
    refused_fast(&app, &upsert_department("DURING"), &postgres).await;
    refused_fast(&app, "{ departments { code } }", &postgres).await;

    let recovered = recovers(&app, &proxy).await;
    eprintln!("stopped: not ready {noticed:?} after the cut, ready {recovered:?} after its return");
}

#[tokio::test]
async fn a_database_that_hangs_instead_of_refusing_fails_readiness_and_requests_within_seconds() {
    let Some((app, proxy, postgres)) = behind_proxy().await else {
        return;
    };
    app.ok(Some(&admin()), &upsert_department("BEFORE"), json!({}))
        .await;
    proxy.set(Mode::Frozen);
    let started = Instant::now();
    assert_eq!(ready(&app).await, 503);
    let noticed = started.elapsed();
    assert!(noticed < Duration::from_secs(4), "{noticed:?}");
    refused_fast(&app, &upsert_department("DURING"), &postgres).await;
    refused_fast(&app, "{ departments { code } }", &postgres).await;

    let recovered = recovers(&app, &proxy).await;
    eprintln!("frozen: not ready within {noticed:?}, ready {recovered:?} after it healed");
}

#[tokio::test]
async fn a_write_that_waits_out_the_sqlite_lock_answers_a_clear_error_and_writes_nothing() {
    if TestApp::postgres_address().is_some() {
        return; // PostgreSQL queues writers without a busy timeout; see the proxy tests above.
    }
    let app = TestApp::spawn_with(|s| s.sqlite_busy_timeout_ms = 200).await;
    let lock = hold_department_table(&app.db).await;
    let started = Instant::now();
    let body = app
        .gql(Some(&admin()), &upsert_department("BUSY"), json!({}))
        .await;
    assert_eq!(error_code(&body), "INTERNAL", "{body}");
    assert_eq!(
        body["errors"][0]["message"], "the database is unavailable; try again in a few seconds",
        "{body}"
    );
    assert!(started.elapsed() < Duration::from_secs(4));
    lock.rollback().await.unwrap();
    assert!(stored_department_codes(&app.db).await.is_empty());
    app.ok(Some(&admin()), &upsert_department("AFTER"), json!({}))
        .await;
}
