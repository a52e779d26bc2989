//! The released binary as an operator runs it: its log, and how it stops on SIGTERM.

use std::process::ExitStatus;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{
    SECRET, Service, TestDatabase, admin, firm, hold_department_table, stored_department_codes,
    upsert_department, uscc,
};

impl Service {
    async fn gql(&self, token: Option<&str>, query: &str, request_id: &str) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.url("/graphql"))
            .header("x-request-id", request_id)
            .json(&json!({"query": query}));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    fn terminate(&self) {
        let pid = self.child.id().expect("still running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    async fn exit(&mut self, within: Duration) -> ExitStatus {
        tokio::time::timeout(within, self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("the process did not exit within {within:?}"))
            .unwrap()
    }

    /// Everything written to stdout so far, and its JSON events.
    fn log(&self) -> (String, Vec<Value>) {
        let lines = self.stdout.lock().unwrap().clone();
        let events = lines
            .iter()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
            .collect();
        (lines.join("\n"), events)
    }

    async fn in_flight(&self) -> f64 {
        let text = self
            .client
            .get(self.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("policy_outreach_requests_in_flight "))
            .map_or(0.0, |v| v.trim().parse().unwrap())
    }
}

#[tokio::test]
async fn each_request_is_one_json_log_line_saying_who_what_how_long_and_no_token() {
    let database = TestDatabase::create().await;
    let mut service = Service::start(&database, 5).await;
    let firm_token = firm(&uscc("440300", 7));
    let admin_token = admin();
    let sent = [
        ("log-admin", Some(admin_token.as_str()), "{ me { role } }"),
        (
            "log-firm",
            Some(firm_token.as_str()),
            &*upsert_department("NOPE"),
        ),
        (
            "log-forged",
            Some("eyJhbGciOiJub25lIn0.e30.c2ln"),
            "{ me { role } }",
        ),
        ("log-anonymous", None, "{ policies { totalCount } }"),
    ];
    for (id, token, query) in sent {
        service.gql(token, query, id).await;
    }
    service.terminate();
    assert!(service.exit(Duration::from_secs(10)).await.success());

    let (text, events) = service.log();
    let requests: Vec<&Value> = events
        .iter()
        .filter(|e| e["message"] == "request")
        .collect();
    let line = |id: &str| {
        let lines: Vec<&&Value> = requests.iter().filter(|e| e["request_id"] == id).collect();
        assert_eq!(lines.len(), 1, "one line for {id}: {lines:?}");
        (*lines[0]).clone()
    };
    let admin_line = line("log-admin");
    assert_eq!(admin_line["operation"], "query me");
    assert_eq!(admin_line["role"], "ADMIN");
    assert_eq!(admin_line["subject"], "admin-1");
    assert_eq!(admin_line["outcome"], "ok");
    assert_eq!(admin_line["status"], 200);
    assert!(admin_line["duration_ms"].as_f64().unwrap() > 0.0);
    let firm_line = line("log-firm");
    assert_eq!(firm_line["operation"], "mutation upsertDepartment");
    assert_eq!(firm_line["role"], "FIRM");
    assert_eq!(firm_line["outcome"], "error");
    assert_eq!(firm_line["codes"], "FORBIDDEN");
    let forged = line("log-forged");
    assert_eq!(forged["role"], "anonymous");
    assert_eq!(forged["status"], 401);
    assert_eq!(forged["codes"], "UNAUTHENTICATED");
    let anonymous = line("log-anonymous");
    assert_eq!(anonymous["operation"], "query policies");
    assert_eq!(anonymous["role"], "anonymous");

    for secret in [&admin_token, &firm_token, SECRET, "eyJhbGciOiJub25lIn0"] {
        assert!(!text.contains(secret), "the log holds a token or secret");
    }
    for token in [&admin_token, &firm_token] {
        let signature = token.rsplit('.').next().unwrap();
        assert!(!text.contains(signature), "the log holds a signature");
    }
}

async fn until_in_flight(service: &Service, count: f64) {
    let started = Instant::now();
    while service.in_flight().await < count {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "requests never arrived"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sigterm_lets_requests_in_flight_finish_refuses_new_ones_and_exits_in_time() {
    let database = TestDatabase::create().await;
    let grace = Duration::from_secs(10);
    let mut service = Service::start(&database, grace.as_secs()).await;
    let db = policy_outreach::db::connect(&crate::helpers::settings(&database.url))
        .await
        .unwrap();
    let lock = hold_department_table(&db).await;
    let writes: Vec<_> = (0..6)
        .map(|n| {
            let (client, url) = (service.client.clone(), service.url("/graphql"));
            tokio::spawn(async move {
                let response = client
                    .post(url)
                    .bearer_auth(admin())
                    .json(&json!({"query": upsert_department(&format!("SIGTERM-{n}"))}))
                    .send()
                    .await
                    .unwrap();
                (response.status(), response.json::<Value>().await.unwrap())
            })
        })
        .collect();
    until_in_flight(&service, 6.0).await;

    service.terminate();
    let terminated = Instant::now();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A new connection is refused while the six finish.
    let late = reqwest::Client::new()
        .get(service.url("/healthz"))
        .send()
        .await;
    assert!(
        late.is_err(),
        "a request after SIGTERM was served: {late:?}"
    );

    lock.rollback().await.unwrap();
    for write in writes {
        let (status, body) = write.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
    }
    assert!(service.exit(grace).await.success());
    assert!(terminated.elapsed() < grace);
    assert_eq!(stored_department_codes(&db).await.len(), 6);
}

#[tokio::test]
async fn past_the_grace_period_the_process_exits_without_waiting_for_stuck_requests() {
    let database = TestDatabase::create().await;
    let grace = Duration::from_secs(2);
    let mut service = Service::start(&database, grace.as_secs()).await;
    let db = policy_outreach::db::connect(&crate::helpers::settings(&database.url))
        .await
        .unwrap();
    let lock = hold_department_table(&db).await;
    let stuck = {
        let (client, url) = (service.client.clone(), service.url("/graphql"));
        tokio::spawn(async move {
            client
                .post(url)
                .bearer_auth(admin())
                .json(&json!({"query": upsert_department("STUCK")}))
                .send()
                .await
        })
    };
    until_in_flight(&service, 1.0).await;
    service.terminate();
    let terminated = Instant::now();
    // The grace period, then at most a second for the pool: never the stuck request's time.
    assert!(service.exit(grace + Duration::from_secs(4)).await.success());
    let took = terminated.elapsed();
    assert!(
        took >= grace,
        "left after {took:?}, before the grace period"
    );
    // The caller learns its request was cut off rather than waiting forever.
    assert!(stuck.await.unwrap().is_err());
    lock.rollback().await.unwrap();
}
