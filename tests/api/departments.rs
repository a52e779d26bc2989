use serde_json::json;

use crate::helpers::{TestApp, admin, department, error_code, error_fields, system};

const UPSERT: &str = "mutation($input: DepartmentInput!) { upsertDepartment(input: $input) { code name nameEn region { code name } } }";

#[tokio::test]
async fn admin_creates_and_renames_a_department() {
    let app = TestApp::spawn().await;
    let input = json!({"code": "SZ-COMMERCE", "nameZh": "深圳市商务局", "nameEn": "Shenzhen Bureau of Commerce", "region": "440300"});
    let data = app
        .ok(Some(&admin()), UPSERT, json!({"input": input}))
        .await;
    assert_eq!(
        data["upsertDepartment"],
        json!({"code": "SZ-COMMERCE", "name": "深圳市商务局", "nameEn": "Shenzhen Bureau of Commerce", "region": {"code": "440300", "name": "深圳市"}})
    );

    let renamed = json!({"code": "SZ-COMMERCE", "nameZh": "深圳市商务局（新）"});
    app.ok(Some(&admin()), UPSERT, json!({"input": renamed}))
        .await;
    let data = app
        .ok(
            None,
            "{ departments { code name region { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["departments"],
        json!([{"code": "SZ-COMMERCE", "name": "深圳市商务局（新）", "region": null}])
    );
}

#[tokio::test]
async fn only_admin_manages_departments() {
    let app = TestApp::spawn().await;
    let input = json!({"input": {"code": "PBOC", "nameZh": "中国人民银行"}});
    for token in [system(), department("PBOC")] {
        let response = app.gql(Some(&token), UPSERT, input.clone()).await;
        assert_eq!(error_code(&response), "FORBIDDEN");
    }
    let response = app.gql(None, UPSERT, input).await;
    assert_eq!(error_code(&response), "UNAUTHENTICATED");
    let data = app.ok(None, "{ departments { code } }", json!({})).await;
    assert_eq!(data["departments"], json!([]), "nothing was written");
}

#[tokio::test]
async fn a_bad_department_names_each_field() {
    let app = TestApp::spawn().await;
    let input = json!({"input": {"code": "sz commerce", "nameZh": " ", "region": "449999"}});
    let response = app.gql(Some(&admin()), UPSERT, input).await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
    assert_eq!(
        error_fields(&response),
        ["input.code", "input.nameZh", "input.region"]
    );
}

#[tokio::test]
async fn text_with_control_characters_is_refused_naming_the_field_on_every_database() {
    let app = TestApp::spawn().await;
    // PostgreSQL cannot store U+0000; both databases refuse it the same way, before writing.
    let body = app
        .gql(
            Some(&admin()),
            "mutation($input: DepartmentInput!) { upsertDepartment(input: $input) { code } }",
            json!({"input": {"code": "NUL-1", "nameZh": "零\u{0}字节", "nameEn": "Nul"}}),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    assert_eq!(error_fields(&body), ["input.nameZh"]);
    assert!(body.to_string().contains("U+0000"), "{body}");
    let data = app.ok(None, "{ departments { code } }", json!({})).await;
    assert_eq!(data["departments"], json!([]));
    let search = app
        .gql(
            None,
            "query($s: String) { policies(filter: {search: $s}) { totalCount } }",
            json!({"s": "a\u{0}"}),
        )
        .await;
    assert_eq!(error_code(&search), "BAD_USER_INPUT", "{search}");
    assert_eq!(error_fields(&search), ["filter.search"]);
}
