use serde_json::{Value, json};

use crate::helpers::{TestApp, error_code};

#[tokio::test]
async fn a_post_that_is_not_json_cannot_run_an_operation() {
    let app = TestApp::spawn().await;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
    ] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("content-type", content_type)
            .body(r#"{"query":"{ me { role } }"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 415, "{content_type}");
    }
}

#[tokio::test]
async fn queries_run_over_get_but_mutations_do_not() {
    let app = TestApp::spawn().await;
    let response = app.get_graphql(&[("query", "{ me { role } }")]).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["me"]["role"], "ANONYMOUS");

    let response = app
        .get_graphql(&[(
            "query",
            r#"mutation { upsertDepartment(input: {code: "AB", nameZh: "x"}) { code } }"#,
        )])
        .await;
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "POST");
}

#[tokio::test]
async fn a_browser_gets_graphiql() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/graphql")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .to_lowercase()
            .contains("graphiql")
    );
}

#[tokio::test]
async fn graphql_response_json_is_negotiated_and_invalid_requests_answer_400_under_it() {
    let app = TestApp::spawn().await;
    let invalid = json!({"query": "{ noSuchField }"});
    let response = app
        .post_accepting("application/graphql-response+json", &invalid)
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.headers()["content-type"],
        "application/graphql-response+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&invalid)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "application/json keeps 200 for GraphQL errors"
    );
    assert_eq!(response.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn a_body_that_is_not_a_graphql_request_is_a_clear_400() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body("{\"query\": 12")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn a_forged_cursor_is_bad_input_not_a_crash() {
    use base64::Engine as _;
    let app = TestApp::spawn().await;
    for forged in ["18446744073709551615", "9223372036854775807", "-1", "\"x\""] {
        let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(forged);
        let query = format!("{{ policies(after: \"{cursor}\") {{ totalCount }} }}");
        let body = app.gql(None, &query, json!({})).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{forged}: {body}");
    }
}

#[tokio::test]
async fn a_field_refused_during_execution_still_answers_200_under_graphql_response_json() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .bearer_auth(crate::helpers::system())
        .json(&json!({"query": "mutation { upsertDepartment(input: {code: \"AB\", nameZh: \"x\"}) { code } }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "FORBIDDEN");
}

#[tokio::test]
async fn get_runs_the_operation_named_by_operation_name() {
    let app = TestApp::spawn().await;
    let two_queries = "query A { me { role } } query B { me { subject } }";
    let response = app
        .get_graphql(&[("query", two_queries), ("operationName", "B")])
        .await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body, json!({"data": {"me": {"subject": null}}}));

    let beside_a_mutation = "query A { me { role } } mutation B { upsertDepartment(input: {code: \"AB\", nameZh: \"x\"}) { code } }";
    let response = app
        .get_graphql(&[("query", beside_a_mutation), ("operationName", "A")])
        .await;
    assert_eq!(
        response.status(),
        200,
        "a query chosen beside a mutation runs over GET"
    );
}

#[tokio::test]
async fn a_request_that_fails_before_execution_has_no_data_entry() {
    let app = TestApp::spawn().await;
    for accept in ["application/graphql-response+json", "application/json"] {
        for (what, query) in [
            ("does not parse", "{ me { role }"),
            ("does not validate", "{ noSuchField }"),
            ("is over a limit", &format!("{{ {} }}", "a ".repeat(20_000))),
        ] {
            let response = app.post_accepting(accept, &json!({ "query": query })).await;
            let expected = if accept == "application/json" {
                200
            } else {
                400
            };
            assert_eq!(response.status(), expected, "{accept}: {what}");
            let body: Value = response.json().await.unwrap();
            assert!(body.get("data").is_none(), "{accept}: {what}: {body}");
            assert!(
                body["errors"][0]["extensions"]["code"].is_string(),
                "{body}"
            );
        }
    }
    let executed = app
        .post_accepting(
            "application/graphql-response+json",
            &json!({ "query": "{ firm(uscc: \"bad\") { name } }" }),
        )
        .await;
    let body: Value = executed.json().await.unwrap();
    assert!(
        body.get("data").is_some(),
        "a field that failed during execution keeps data: {body}"
    );
}

#[tokio::test]
async fn a_body_without_query_is_a_400_naming_it() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({"qeury": "{ __typename }"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("\"query\""),
        "{body}"
    );
}

#[tokio::test]
async fn get_variables_must_be_a_json_object() {
    let app = TestApp::spawn().await;
    let query = "query($n: Int) { policies(first: $n) { totalCount } }";
    let ok = app
        .get_graphql(&[("query", query), ("variables", r#"{"n": 1}"#)])
        .await;
    assert_eq!(ok.status(), 200);
    for variables in ["[1]", "5", "\"x\"", "{"] {
        let response = app
            .get_graphql(&[("query", query), ("variables", variables)])
            .await;
        assert_eq!(response.status(), 400, "{variables}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{variables}");
    }
}
