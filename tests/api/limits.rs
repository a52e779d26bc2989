//! Every request limit: one at the limit runs, one over it is refused before anything executes.
//! Refusals that could have written are mutations, and the test checks nothing was written.

use std::time::Duration;

use policy_outreach::config::Settings;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, admin, error_code, hold_department_table, system, upsert_department_field,
};

async fn departments(app: &TestApp) -> Vec<String> {
    let data = app.ok(None, "{ departments { code } }", json!({})).await;
    data["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

/// The response to a request refused before execution: the code, and no data at all.
fn assert_refused_unrun(body: &Value, code: &str) {
    assert_eq!(error_code(body), code, "{body}");
    assert!(body.get("data").is_none_or(Value::is_null), "{body}");
}

async fn spawn(configure: impl FnOnce(&mut Settings)) -> TestApp {
    TestApp::spawn_with(configure).await
}

#[tokio::test]
async fn depth_at_the_limit_runs_and_one_deeper_is_refused() {
    let app = spawn(|s| s.graphql_max_depth = 6).await;
    // departments > region > parent > parent > parent > code: depth 6.
    let at = "{ departments { region { parent { parent { parent { code } } } } } }";
    assert!(app.gql(None, at, json!({})).await.get("errors").is_none());
    let over = "{ departments { region { parent { parent { parent { parent { code } } } } } } }";
    assert_refused_unrun(&app.gql(None, over, json!({})).await, "QUERY_TOO_COMPLEX");
}

#[tokio::test]
async fn list_fields_cost_what_they_may_return() {
    let app = spawn(|s| s.graphql_max_complexity = 80).await;
    // A page of `first` policies costs `first` times its selection, here `edges { cursor }` (2).
    for (first, allowed) in [(40, true), (41, false)] {
        let query = format!("{{ policies(first: {first}) {{ edges {{ cursor }} }} }}");
        let body = app.gql(None, &query, json!({})).await;
        if allowed {
            assert!(body.get("errors").is_none(), "first {first}: {body}");
        } else {
            assert_refused_unrun(&body, "QUERY_TOO_COMPLEX");
        }
    }
}

#[tokio::test]
async fn aliases_at_the_limit_run_and_one_more_is_refused_unrun() {
    let app = spawn(|s| s.graphql_max_aliases = 3).await;
    let at = format!(
        "mutation {{ {} {} {} }}",
        upsert_department_field("AL-1", Some("a")),
        upsert_department_field("AL-2", Some("b")),
        upsert_department_field("AL-3", Some("c"))
    );
    app.ok(Some(&admin()), &at, json!({})).await;
    let over = format!(
        "mutation {{ {} {} {} {} }}",
        upsert_department_field("AL-4", Some("a")),
        upsert_department_field("AL-5", Some("b")),
        upsert_department_field("AL-6", Some("c")),
        upsert_department_field("AL-7", Some("d"))
    );
    let body = app.gql(Some(&admin()), &over, json!({})).await;
    assert_refused_unrun(&body, "QUERY_TOO_COMPLEX");
    let created = departments(&app).await;
    assert_eq!(created, ["AL-1", "AL-2", "AL-3"]);
}

#[tokio::test]
async fn root_fields_at_the_limit_run_and_one_more_is_refused_unrun() {
    let app = spawn(|s| s.graphql_max_root_fields = 2).await;
    let at = format!(
        "mutation {{ {} {} }}",
        upsert_department_field("RF-1", None),
        upsert_department_field("RF-2", Some("b"))
    );
    app.ok(Some(&admin()), &at, json!({})).await;
    let over = format!(
        "mutation {{ {} {} {} }}",
        upsert_department_field("RF-3", None),
        upsert_department_field("RF-4", Some("b")),
        upsert_department_field("RF-5", Some("c"))
    );
    let body = app.gql(Some(&admin()), &over, json!({})).await;
    assert_refused_unrun(&body, "QUERY_TOO_COMPLEX");
    assert_eq!(departments(&app).await, ["RF-1", "RF-2"]);
}

#[tokio::test]
async fn batches_are_off_and_a_batch_runs_nothing() {
    let app = TestApp::spawn().await;
    let one = json!({"query": format!("mutation {{ {} }}", upsert_department_field("BA-1", None))});
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(admin())
        .json(&json!([one, one]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_refused_unrun(&body, "BAD_USER_INPUT");
    assert!(
        body.to_string()
            .contains("batched requests are not accepted"),
        "{body}"
    );
    assert!(departments(&app).await.is_empty());
}

/// A request body of exactly `size` bytes asking who the caller is.
fn body_of(size: usize) -> String {
    let head = r#"{"query": "{ me { role } }", "extensions": {"p": ""#;
    let tail = r#""}}"#;
    format!("{head}{}{tail}", "x".repeat(size - head.len() - tail.len()))
}

#[tokio::test]
async fn a_body_at_the_limit_runs_and_one_byte_more_is_refused_even_when_streamed() {
    let app = spawn(|s| s.max_body_bytes = 4_096).await;
    let post = |body: reqwest::Body| {
        app.client
            .post(app.url("/graphql"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let at = post(body_of(4_096).into()).await.unwrap();
    assert_eq!(at.status(), 200);
    let over = post(body_of(4_097).into()).await.unwrap();
    assert_eq!(over.status(), 413);

    // No Content-Length: the limit holds on the stream itself, before it is all read.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..64).map(|_| Ok(vec![b' '; 1_024])).collect();
    let streamed = reqwest::Body::wrap_stream(futures::stream::iter(chunks));
    let response = post(streamed).await.unwrap();
    assert_eq!(response.status(), 413);
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_answered_408_and_writes_nothing() {
    let app = spawn(|s| s.request_timeout_seconds = 1).await;
    app.ok(
        Some(&admin()),
        &format!("mutation {{ {} }}", upsert_department_field("TO-1", None)),
        json!({}),
    )
    .await;
    // A small request runs on its own task; one padded past 8 KiB on the blocking pool. Neither
    // may go on to write once it has been answered 408.
    for (code, padding) in [("TO-2", 0), ("TO-3", 10_000)] {
        // Hold the department table so the write must wait longer than the limit.
        let blocker = hold_department_table(&app.db).await;
        let started = std::time::Instant::now();
        let document = format!(
            "mutation {{ {} }} # {}",
            upsert_department_field(code, None),
            "x".repeat(padding)
        );
        let response = app
            .client
            .post(app.url("/graphql"))
            .bearer_auth(admin())
            .json(&json!({ "query": document }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 408, "{code}");
        assert!(started.elapsed() < Duration::from_secs(5));
        blocker.rollback().await.unwrap();
        // Time for an abandoned write to land, were it still running.
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(departments(&app).await, ["TO-1"], "{code}");
    }
}

#[tokio::test]
async fn a_request_that_timed_out_leaves_no_statement_running_on_postgresql() {
    let app = spawn(|s| s.request_timeout_seconds = 1).await;
    if app.db.get_database_backend() != sea_orm::DbBackend::Postgres {
        // SQLite runs each statement inside the service, and the request's task ends with it.
        eprintln!("skipped on SQLite: it has no server to leave a statement running on");
        return;
    }
    let blocker = hold_department_table(&app.db).await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(admin())
        .json(&json!({
            "query": format!("mutation {{ {} }}", upsert_department_field("TO-LEFT", None))
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 408);
    // The table is still held: a statement still running would still wait for it. The server
    // cancels it at the same limit as the request (`statement_timeout`).
    let waiting = sea_orm::Statement::from_string(
        sea_orm::DbBackend::Postgres,
        "SELECT COUNT(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
         AND state = 'active' AND wait_event_type = 'Lock'",
    );
    let mut still_waiting = -1;
    for _ in 0..50 {
        let row = app
            .db
            .query_one_raw(waiting.clone())
            .await
            .unwrap()
            .unwrap();
        still_waiting = row.try_get::<i64>("", "n").unwrap();
        if still_waiting == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        still_waiting, 0,
        "a timed-out request's statement still waits for the lock"
    );
    blocker.rollback().await.unwrap();
    assert!(!departments(&app).await.contains(&"TO-LEFT".to_owned()));
}

#[tokio::test]
async fn a_subject_over_its_rate_is_told_when_to_retry_and_nothing_runs() {
    // One request a second, two in a burst.
    let app = spawn(|s| s.rate_limit_per_subject = 1).await;
    for _ in 0..2 {
        app.ok(Some(&admin()), "{ me { role } }", json!({})).await;
    }
    let response = app
        .client
        .post(app.url("/graphql"))
        .bearer_auth(admin())
        .json(
            &json!({"query": format!("mutation {{ {} }}", upsert_department_field("RL-1", None))}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=2).contains(&retry), "Retry-After {retry}");
    let body: Value = response.json().await.unwrap();
    assert_refused_unrun(&body, "RATE_LIMITED");
    // Another subject has its own bucket; the refused mutation wrote nothing.
    app.ok(Some(&system()), "{ me { role } }", json!({})).await;
    assert!(departments(&app).await.is_empty());
    // The bucket refills.
    tokio::time::sleep(Duration::from_secs(retry)).await;
    app.ok(Some(&admin()), "{ me { role } }", json!({})).await;
}

#[tokio::test]
async fn an_address_over_its_rate_is_refused_but_health_checks_are_not() {
    let app = spawn(|s| s.rate_limit_per_ip = 1).await;
    for _ in 0..2 {
        app.ok(None, "{ me { role } }", json!({})).await;
    }
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({"query": "{ me { role } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert!(response.headers().contains_key("retry-after"));
    let csv = app
        .client
        .get(app.url("/exports/policies/0195/unreached.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(csv.status(), 429);
    for path in ["/healthz", "/readyz"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn introspection_and_suggestions_are_off_unless_configured() {
    let introspect = "{ __schema { queryType { name } } }";
    let misspelt = "{ polices { totalCount } }";
    let closed = TestApp::spawn().await;
    let body = closed.gql(None, introspect, json!({})).await;
    assert_refused_unrun(&body, "FORBIDDEN");
    assert!(
        body.to_string().contains("introspection is turned off"),
        "{body}"
    );
    let body = closed.gql(None, misspelt, json!({})).await;
    assert!(!body.to_string().contains("Did you mean"), "{body}");

    let open = spawn(|s| s.graphql_introspection = true).await;
    let data = open.ok(None, introspect, json!({})).await;
    assert_eq!(data["__schema"]["queryType"]["name"], "Query");
    let body = open.gql(None, misspelt, json!({})).await;
    assert!(body.to_string().contains("Did you mean"), "{body}");
}

/// Admitted documents are kept parsed, not their answers or their variables: the same document
/// sent again runs with its own variables, and one refused stays refused.
#[tokio::test]
async fn a_document_sent_again_runs_again_with_its_own_variables() {
    let app = spawn(|s| s.graphql_max_depth = 6).await;
    let query = "query($region: String) { policies(filter: { region: $region }) { totalCount } }";
    for (region, valid) in [("440305", true), ("9999999", false), ("440305", true)] {
        let body = app.gql(None, query, json!({ "region": region })).await;
        if valid {
            assert_eq!(
                body["data"]["policies"]["totalCount"], 0,
                "{region}: {body}"
            );
        } else {
            assert_eq!(error_code(&body), "BAD_USER_INPUT", "{region}: {body}");
            assert!(body.to_string().contains("filter.region"), "{body}");
        }
    }
    let over = "{ departments { region { parent { parent { parent { parent { code } } } } } } }";
    for _ in 0..2 {
        assert_refused_unrun(&app.gql(None, over, json!({})).await, "QUERY_TOO_COMPLEX");
    }
}
