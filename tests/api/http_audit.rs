//! The graphql-http audit of the GraphQL-over-HTTP spec (npm `graphql-http`, `auditServer`), run by
//! Node against a live server: every audit passes, without a warning or a notice.

use serde_json::Value;

use crate::helpers::{TestApp, node_json, node_tools};

const AUDIT: &str = "tests/node/http-audit.mjs";

async fn audit(app: &TestApp) -> Value {
    let summary = node_json(AUDIT, &[&app.url("/graphql")]).await;
    eprintln!(
        "graphql-http audit: {} audits, {} errors, {} warnings, {} notices",
        summary["total"], summary["error"], summary["warn"], summary["notice"]
    );
    summary
}

#[tokio::test]
async fn the_graphql_over_http_audit_passes_without_an_error_or_a_warning() {
    if !node_tools("graphql-http") {
        return;
    }
    let app = TestApp::spawn_with(|s| s.graphql_introspection = true).await;
    let summary = audit(&app).await;
    assert!(summary["total"].as_u64().unwrap() > 50, "{summary}");
    assert_eq!(summary["ok"], summary["total"], "{summary}");
}

#[tokio::test]
async fn with_introspection_off_only_the_audits_that_read_the_schema_fail() {
    if !node_tools("graphql-http") {
        return;
    }
    let app = TestApp::spawn().await;
    let summary = audit(&app).await;
    let failed = summary["failed"].as_array().unwrap();
    // These audits ask `__type(name: …)`, which a server with introspection off refuses.
    let reads_schema = ["2EA1", "28B9", "D6D5", "6A70"];
    for audit in failed {
        assert!(
            reads_schema.contains(&audit["id"].as_str().unwrap()),
            "{audit}"
        );
    }
}
