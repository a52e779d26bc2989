//! `/metrics` and the request log: what an operator sees of every request.

use serde_json::json;

use crate::helpers::{TestApp, firm, uscc};

/// The value of the series `name{labels}` in a Prometheus text exposition, if present.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map(|value| value.trim().parse().unwrap())
}

async fn scrape(app: &TestApp) -> String {
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let media = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(media.starts_with("text/plain; version=0.0.4"), "{media}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn metrics_count_requests_by_operation_and_outcome_and_errors_by_code() {
    let app = TestApp::spawn().await;
    for _ in 0..3 {
        app.ok(None, "{ policies { totalCount } }", json!({})).await;
    }
    // Named by its first root field, not by the name the caller chose.
    app.ok(None, "query Whatever { me { role } }", json!({}))
        .await;
    // A field the firm may not read, a token that does not verify, a document that does not
    // validate, a body that is not JSON.
    let forbidden = app
        .gql(
            Some(&firm(&uscc("440300", 1))),
            r#"mutation { upsertDepartment(input: {code: "X", nameZh: "X", nameEn: "X"}) { code } }"#,
            json!({}),
        )
        .await;
    assert_eq!(crate::helpers::error_code(&forbidden), "FORBIDDEN");
    app.gql(Some("not.a.token"), "{ me { role } }", json!({}))
        .await;
    app.gql(None, "{ nosuchField }", json!({})).await;
    app.gql(None, "{ policies(first: 0) { totalCount } }", json!({}))
        .await;
    let text = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "text/plain")
        .body("{ me { role } }")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);
    app.client.get(app.url("/healthz")).send().await.unwrap();

    let metrics = scrape(&app).await;
    let requests = |labels: &str| {
        sample(
            &metrics,
            &format!("policy_outreach_requests_total{{{labels}}}"),
        )
        .unwrap_or(0.0)
    };
    assert_eq!(
        requests(r#"operation="query policies",outcome="ok""#),
        3.0,
        "{metrics}"
    );
    assert_eq!(
        requests(r#"operation="query policies",outcome="error""#),
        1.0,
        "{metrics}"
    );
    assert_eq!(
        requests(r#"operation="query me",outcome="ok""#),
        1.0,
        "{metrics}"
    );
    assert_eq!(
        requests(r#"operation="mutation upsertDepartment",outcome="error""#),
        1.0,
        "{metrics}"
    );
    assert_eq!(
        requests(r#"operation="invalid",outcome="error""#),
        1.0,
        "{metrics}"
    );
    assert_eq!(
        requests(r#"operation="GET /healthz",outcome="ok""#),
        1.0,
        "{metrics}"
    );
    // Refused before any operation was read: named after the route.
    assert_eq!(
        requests(r#"operation="POST /graphql",outcome="error""#),
        2.0,
        "{metrics}"
    );
    assert!(
        !metrics.contains("Whatever"),
        "caller-chosen names are not labels"
    );

    let errors = |code: &str| {
        sample(
            &metrics,
            &format!("policy_outreach_errors_total{{code=\"{code}\"}}"),
        )
        .unwrap_or(0.0)
    };
    assert_eq!(errors("UNAUTHENTICATED"), 1.0, "{metrics}");
    assert_eq!(errors("FORBIDDEN"), 1.0, "{metrics}");
    // The unknown field, `first: 0` and the text/plain body.
    assert_eq!(errors("BAD_USER_INPUT"), 3.0, "{metrics}");

    let count = |operation: &str| {
        sample(
            &metrics,
            &format!("policy_outreach_request_duration_seconds_count{{operation=\"{operation}\"}}"),
        )
        .unwrap_or(0.0)
    };
    assert_eq!(count("query policies"), 4.0, "{metrics}");
    let slowest_bucket = sample(
        &metrics,
        r#"policy_outreach_request_duration_seconds_bucket{le="+Inf",operation="query policies"}"#,
    )
    .or_else(|| {
        sample(
            &metrics,
            r#"policy_outreach_request_duration_seconds_bucket{operation="query policies",le="+Inf"}"#,
        )
    });
    assert_eq!(slowest_bucket, Some(4.0), "{metrics}");

    let pool = |state: &str| {
        sample(
            &metrics,
            &format!("policy_outreach_db_pool_connections{{state=\"{state}\"}}"),
        )
        .unwrap()
    };
    assert!(pool("in_use") + pool("idle") >= 1.0, "{metrics}");
    assert_eq!(
        sample(&metrics, "policy_outreach_db_pool_max_connections"),
        Some(f64::from(app.settings.db_max_connections))
    );
    assert_eq!(
        sample(&metrics, "policy_outreach_db_pool_waiting"),
        Some(0.0)
    );
    // The scrape itself is not in flight.
    assert_eq!(
        sample(&metrics, "policy_outreach_requests_in_flight"),
        Some(0.0)
    );
}
