use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use std::process::Stdio;
use std::sync::{Arc, Mutex};

use policy_outreach::auth::{Claims, mint};
use policy_outreach::clock::{Clock, SystemClock};
use policy_outreach::config::Settings;
use policy_outreach::{Application, db};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use uuid::Uuid;

pub const SECRET: &str = "integration-test-secret-of-32-bytes-or-more";
pub const ISSUER: &str = "https://idp.single-window.test";
pub const AUDIENCE: &str = "policy-outreach";

/// A fresh database that is dropped with the test.
pub struct TestDatabase {
    pub url: String,
    _sqlite_dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl TestDatabase {
    pub async fn create() -> TestDatabase {
        match std::env::var("TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            Some(admin_url) => {
                let name = format!(
                    "po_test_{}_{}",
                    Uuid::now_v7().simple(),
                    COUNTER.fetch_add(1, Ordering::Relaxed)
                );
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("TEST_DATABASE_URL answers");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .expect("create test database");
                admin.close().await.ok();
                let base = admin_url
                    .rsplit_once('/')
                    .map_or(admin_url.as_str(), |(base, _)| base);
                TestDatabase {
                    url: format!("{base}/{name}"),
                    _sqlite_dir: None,
                    postgres: Some((admin_url.clone(), name)),
                }
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
                TestDatabase {
                    url,
                    _sqlite_dir: Some(dir),
                    postgres: None,
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime; a thread with its own runtime may block.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await.ok()?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await
                    .ok()?;
                admin.close().await.ok()
            })
        })
        .join();
    }
}

/// Settings for a test instance on `database_url`, listening on an ephemeral port.
pub fn settings(database_url: &str) -> Settings {
    let mut settings = Settings::defaults();
    settings.database_url = database_url.into();
    settings.listen = "127.0.0.1:0".parse().unwrap();
    settings.jwt_hs256_secret = Some(SECRET.into());
    settings.jwt_issuer = Some(ISSUER.to_owned());
    settings.jwt_audience = Some(AUDIENCE.to_owned());
    settings.db_max_connections = 8;
    // Tests fire bursts from one address; the rate-limit tests turn the limits on.
    settings.rate_limit_per_ip = 0;
    settings.rate_limit_per_subject = 0;
    settings.log = "warn".to_owned();
    settings
}

async fn start(settings: Settings, clock: Arc<dyn Clock>) -> (String, oneshot::Sender<()>) {
    let app = Application::build_with_clock(settings, clock)
        .await
        .expect("application builds");
    let addr = app.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    (format!("http://{addr}"), stop)
}

/// A running instance of the service.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: DatabaseConnection,
    pub settings: Settings,
    stop: Option<oneshot::Sender<()>>,
    _database: TestDatabase,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with_clock(Arc::new(SystemClock)).await
    }

    /// An instance whose "today" the test moves.
    pub async fn spawn_with_clock(clock: Arc<dyn Clock>) -> TestApp {
        Self::spawn_configured(clock, |_| {}).await
    }

    /// PostgreSQL's `host:port` when the tests run on it.
    pub fn postgres_address() -> Option<String> {
        let url = std::env::var("TEST_DATABASE_URL").ok()?;
        let rest = url.split_once("://")?.1;
        let authority = rest.split('/').next()?;
        let host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, host)| host);
        Some(if host.contains(':') {
            host.to_owned()
        } else {
            format!("{host}:5432")
        })
    }

    /// An instance with settings of the test's own.
    pub async fn spawn_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
        Self::spawn_configured(Arc::new(SystemClock), configure).await
    }

    async fn spawn_configured(
        clock: Arc<dyn Clock>,
        configure: impl FnOnce(&mut Settings),
    ) -> TestApp {
        // RUST_LOG=error shows what a failing test's service logged.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let database = TestDatabase::create().await;
        let mut settings = settings(&database.url);
        configure(&mut settings);
        let (base, stop) = start(settings.clone(), clock).await;
        // The test reads the database directly, even when the service reaches it another way.
        let mut direct = settings.clone();
        direct.database_url = database.url.as_str().into();
        let db = db::connect(&direct).await.unwrap();
        TestApp {
            base,
            client: reqwest::Client::new(),
            db,
            settings,
            stop: Some(stop),
            _database: database,
        }
    }

    /// A second instance of the service on the same database, as behind a load balancer.
    pub async fn another_instance(&self) -> (String, oneshot::Sender<()>) {
        start(self.settings.clone(), Arc::new(SystemClock)).await
    }

    /// Stops the server; in-flight requests finish.
    pub fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Runs a GraphQL request and returns the JSON response, whatever its status.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        self.gql_at(&self.base, token, query, variables).await
    }

    /// Runs a GraphQL request against another instance.
    pub async fn gql_at(
        &self,
        base: &str,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Value {
        let mut request = self
            .client
            .post(format!("{base}/graphql"))
            .json(&json!({"query": query, "variables": variables}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap().json().await.unwrap()
    }

    /// `GET /graphql` with these URL parameters.
    pub async fn get_graphql(&self, params: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .get(self.url("/graphql"))
            .query(params)
            .send()
            .await
            .unwrap()
    }

    /// `POST /graphql` of `body`, accepting `accept`.
    pub async fn post_accepting(&self, accept: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(self.url("/graphql"))
            .header("accept", accept)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Runs a GraphQL request that must succeed, returning `data`.
    pub async fn ok(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let response = self.gql(token, query, variables).await;
        assert!(
            response.get("errors").is_none(),
            "unexpected errors: {response}"
        );
        response["data"].clone()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The `extensions.code` of the first error.
pub fn error_code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<no error>")
}

/// The `extensions.field` of every problem of the first error.
pub fn error_fields(response: &Value) -> Vec<String> {
    response["errors"][0]["extensions"]["problems"]
        .as_array()
        .map(|problems| {
            problems
                .iter()
                .map(|p| p["field"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// A valid token for `claims`.
pub fn token_for(claims: Claims) -> String {
    let settings = settings("sqlite::memory:");
    mint(&settings.jwt().unwrap(), &claims, Duration::from_secs(600)).unwrap()
}

pub fn admin() -> String {
    token_for(Claims {
        sub: "admin-1".into(),
        role: "admin".into(),
        uscc: None,
        department: None,
    })
}

pub fn system() -> String {
    token_for(Claims {
        sub: "single-window".into(),
        role: "system".into(),
        uscc: None,
        department: None,
    })
}

pub fn firm(uscc: &str) -> String {
    token_for(Claims {
        sub: format!("firm-{uscc}"),
        role: "firm".into(),
        uscc: Some(uscc.into()),
        department: None,
    })
}

pub fn broker(uscc: &str) -> String {
    token_for(Claims {
        sub: format!("broker-{uscc}"),
        role: "broker".into(),
        uscc: Some(uscc.into()),
        department: None,
    })
}

pub fn department(code: &str) -> String {
    token_for(Claims {
        sub: format!("official-{code}"),
        role: "department".into(),
        uscc: None,
        department: Some(code.into()),
    })
}

/// A valid USCC registered in `region`, different for each `n`.
pub fn uscc(region: &str, n: u32) -> String {
    policy_outreach::firm::Uscc::with_check_character(&format!("91{region}{n:08}A"))
        .unwrap()
        .to_string()
}

/// A firm input with the fields most tests need.
pub fn firm_input(uscc: &str, region: &str) -> Value {
    json!({
        "uscc": uscc,
        "name": format!("测试企业{uscc}"),
        "region": region,
        "size": "SMALL",
        "exportValuePrevYearUsd": 3200000.0,
    })
}

/// Syncs firms as SYSTEM.
pub async fn sync_firms(app: &TestApp, firms: Value) -> Value {
    app.ok(
        Some(&system()),
        "mutation($firms: [FirmInput!]!) { upsertFirms(firms: $firms) { created updated } }",
        json!({"firms": firms}),
    )
    .await["upsertFirms"]
        .clone()
}

/// Creates departments as ADMIN: (code, region).
pub async fn create_departments(app: &TestApp, departments: &[(&str, Option<&str>)]) {
    for (code, region) in departments {
        app.ok(
            Some(&admin()),
            "mutation($input: DepartmentInput!) { upsertDepartment(input: $input) { code } }",
            json!({"input": {"code": code, "nameZh": format!("{code}局"), "nameEn": format!("{code} bureau"), "region": region}}),
        )
        .await;
    }
}

/// Creates a policy as ADMIN through `createPolicy`, publishing it when asked. `input` is a
/// `PolicyInput` in JSON.
pub async fn create_policy(app: &TestApp, input: Value, publish: bool) -> Uuid {
    let data = app
        .ok(
            Some(&admin()),
            "mutation($input: PolicyInput!) { createPolicy(input: $input) { id } }",
            json!({"input": input}),
        )
        .await;
    let id = data["createPolicy"]["id"].as_str().unwrap().to_owned();
    if publish {
        app.ok(
            Some(&admin()),
            "mutation($id: ID!) { publishPolicy(id: $id) { status } }",
            json!({"id": id}),
        )
        .await;
    }
    id.parse().unwrap()
}

/// A minimal policy input led by `lead`.
pub fn policy_input(code: &str, lead: &str, title_en: &str) -> Value {
    json!({
        "code": code,
        "leadIssuer": lead,
        "titleZh": format!("{code}政策"),
        "titleEn": title_en,
        "summaryZh": "摘要",
        "summaryEn": "Summary",
        "benefitKind": "SUBSIDY",
        "effectiveFrom": "2026-01-01",
        "eligibility": {"all": []},
    })
}

/// The `upsertDepartment` field creating department `code`, under `alias` when given.
pub fn upsert_department_field(code: &str, alias: Option<&str>) -> String {
    let alias = alias.map(|a| format!("{a}: ")).unwrap_or_default();
    format!(
        r#"{alias}upsertDepartment(input: {{code: "{code}", nameZh: "{code}局", nameEn: "{code} bureau"}}) {{ code }}"#
    )
}

/// A mutation creating department `code`.
pub fn upsert_department(code: &str) -> String {
    format!("mutation {{ {} }}", upsert_department_field(code, None))
}

/// The department codes stored, in order, read from the database itself.
pub async fn stored_department_codes(db: &DatabaseConnection) -> Vec<String> {
    use sea_orm::Statement;
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT code FROM department ORDER BY code",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| row.try_get::<String>("", "code").unwrap())
    .collect()
}

/// Holds the department table: every write to it waits until the returned transaction ends.
pub async fn hold_department_table(db: &DatabaseConnection) -> sea_orm::DatabaseTransaction {
    let lock = db::begin_write(db).await.unwrap();
    let statement = match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => "LOCK TABLE department IN ACCESS EXCLUSIVE MODE",
        _ => "UPDATE department SET name_en = name_en",
    };
    lock.execute_unprepared(statement).await.unwrap();
    lock
}

/// Whether the Node tools of `package.json` can run: `node` on the PATH and `package` installed by
/// `npm ci`. Absent, the test says it skipped, except under `CI=true`, where it fails.
pub fn node_tools(package: &str) -> bool {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    let installed = root.join("node_modules").join(package).is_dir();
    if node && installed {
        return true;
    }
    let missing = if node {
        format!("node_modules/{package} (run `npm ci`)")
    } else {
        "node".to_owned()
    };
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true and {missing} is missing"
    );
    eprintln!("skipped: {missing} is missing");
    false
}

/// Runs `node SCRIPT ARGS…` from the repository's root and parses the JSON it prints.
pub async fn node_json(script: &str, args: &[&str]) -> Value {
    let output = Command::new("node")
        .arg(script)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{script} failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{script} printed {stdout}: {e}"))
}

/// `policy-outreach serve`, the built binary started as a child process with JSON logs: the
/// service as an operator runs it, in a process of its own.
pub struct Service {
    pub child: Child,
    pub base: String,
    pub stdout: Arc<Mutex<Vec<String>>>,
    pub client: reqwest::Client,
}

impl Service {
    pub async fn start(database: &TestDatabase, grace_seconds: u64) -> Service {
        let mut child = Command::new(env!("CARGO_BIN_EXE_policy-outreach"))
            .arg("serve")
            .env("POLICY_OUTREACH_DATABASE_URL", &database.url)
            .env("POLICY_OUTREACH_LISTEN", "127.0.0.1:0")
            .env("POLICY_OUTREACH_JWT_HS256_SECRET", SECRET)
            .env("POLICY_OUTREACH_JWT_ISSUER", ISSUER)
            .env("POLICY_OUTREACH_JWT_AUDIENCE", AUDIENCE)
            .env("POLICY_OUTREACH_LOG_FORMAT", "json")
            .env("POLICY_OUTREACH_LOG", "info")
            .env("POLICY_OUTREACH_RATE_LIMIT_PER_IP", "0")
            .env(
                "POLICY_OUTREACH_SHUTDOWN_GRACE_SECONDS",
                grace_seconds.to_string(),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("the binary starts");
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let (address_tx, address_rx) = oneshot::channel();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let collected = stdout.clone();
        tokio::spawn(async move {
            let mut address_tx = Some(address_tx);
            while let Ok(Some(line)) = lines.next_line().await {
                if let Ok(event) = serde_json::from_str::<Value>(&line)
                    && event["message"] == "listening"
                    && let Some(tx) = address_tx.take()
                {
                    let _ = tx.send(event["addr"].as_str().unwrap_or_default().to_owned());
                }
                collected.lock().unwrap().push(line);
            }
        });
        let address = tokio::time::timeout(Duration::from_secs(60), address_rx)
            .await
            .expect("the service says where it listens")
            .expect("the log carries the address");
        Service {
            child,
            base: format!("http://{address}"),
            stdout,
            client: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// Every delivery the ledger holds, each with its decision record re-evaluated.
pub async fn stored_deliveries(
    db: &DatabaseConnection,
) -> Vec<policy_outreach::outreach::ledger::StoredDelivery> {
    let regions = policy_outreach::region::load(db).await.unwrap();
    policy_outreach::outreach::ledger::deliveries(db, &regions, None)
        .await
        .unwrap()
}
