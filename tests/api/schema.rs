#[test]
fn the_committed_schema_is_the_one_the_code_serves() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
        .expect("schema.graphql at the top of the repository");
    let generated = policy_outreach::schema::sdl();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `cargo run -- export-schema --output schema.graphql`"
    );
}

/// A field that fails is null with its error, and its path, in `errors` (the GraphQL
/// specification's "Handling Field Errors"): a nullable field in place, a non-null one by
/// nulling its nearest nullable parent; the rest of the answer stands. Gateways rely on it: they
/// place a subgraph's error by the null its path leads to.
#[tokio::test]
async fn a_failed_field_is_null_and_a_non_null_one_nulls_its_parent() {
    use crate::helpers::{TestApp, create_departments, create_policy, policy_input, uscc};
    use serde_json::json;

    let app = TestApp::spawn().await;
    create_departments(&app, &[("SZ-COMMERCE", None)]).await;
    let id = create_policy(&app, policy_input("ERR-1", "SZ-COMMERCE", "x"), true)
        .await
        .to_string();
    let response = app
        .gql(
            None,
            "query($id: ID!, $u: String!) {
                policy(id: $id) { code }
                firm(uscc: $u) { name }
                audited: policy(id: $id) { code audit { action } } }",
            json!({"id": id, "u": uscc("440305", 1)}),
        )
        .await;
    let data = response["data"].as_object().expect("data stands");
    assert_eq!(data["policy"]["code"], "ERR-1", "{response}");
    // Refused, nullable: null in place.
    assert!(
        data.get("firm").is_some_and(|firm| firm.is_null()),
        "{response}"
    );
    // `audit` is non-null and refused: the policy it is on is null instead.
    assert!(
        data.get("audited").is_some_and(|policy| policy.is_null()),
        "{response}"
    );
    let errors = response["errors"].as_array().unwrap();
    let paths: Vec<&serde_json::Value> = errors.iter().map(|e| &e["path"]).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(paths.contains(&&json!(["firm"])), "{paths:?}");
    assert!(paths.contains(&&json!(["audited", "audit"])), "{paths:?}");
    let audit = errors
        .iter()
        .find(|e| e["path"] == json!(["audited", "audit"]))
        .unwrap();
    assert_eq!(audit["extensions"]["code"], "FORBIDDEN");
}

/// An error keeps the path of the field that failed, however many lists and objects its null
/// went up through; and in a mutation, a field whose failure nulls the answer stops the fields
/// after it, so nothing is stored that the caller is not shown.
#[tokio::test]
async fn a_failure_keeps_its_path_through_lists_and_stops_the_mutations_after_it() {
    use crate::helpers::{
        TestApp, admin, create_departments, create_policy, policy_input, stored_department_codes,
        upsert_department_field,
    };
    use serde_json::json;

    let app = TestApp::spawn().await;
    create_departments(&app, &[("SZ-COMMERCE", None)]).await;
    create_policy(&app, policy_input("ERR-1", "SZ-COMMERCE", "x"), true).await;
    // `audit` is non-null and refused to an anonymous caller: its null goes up through the
    // non-null list item and the list to `policies`, and to `data`; the error names `audit`.
    let response = app
        .gql(
            None,
            "{ policies { nodes { code audit { action } } } }",
            json!({}),
        )
        .await;
    assert_eq!(response["data"], serde_json::Value::Null, "{response}");
    assert_eq!(
        response["errors"][0]["path"],
        json!(["policies", "nodes", 0, "audit"]),
        "{response}"
    );

    // A refused first mutation: the second is not run.
    let before = stored_department_codes(&app.db).await;
    let mutation = format!(
        "mutation {{ {} {} }}",
        r#"first: upsertDepartment(input: {code: "", nameZh: "空"}) { code }"#,
        upsert_department_field("AFTER-IT", Some("second"))
    );
    let response = app.gql(Some(&admin()), &mutation, json!({})).await;
    assert_eq!(response["data"], serde_json::Value::Null, "{response}");
    assert_eq!(
        response["errors"][0]["path"],
        json!(["first"]),
        "{response}"
    );
    assert_eq!(stored_department_codes(&app.db).await, before);
}
