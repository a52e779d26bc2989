use crate::helpers::TestApp;

#[tokio::test]
async fn healthz_and_readyz_answer_200_on_a_migrated_database() {
    let app = TestApp::spawn().await;
    for path in ["/healthz", "/readyz"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_keeps_the_callers() {
    let app = TestApp::spawn().await;
    let response = app.client.get(app.url("/healthz")).send().await.unwrap();
    let generated = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(generated.len(), 36, "a UUID: {generated}");

    let response = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "from-the-single-window-42")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["x-request-id"],
        "from-the-single-window-42"
    );
}

#[tokio::test]
async fn readyz_fails_when_migrations_are_missing() {
    let app = TestApp::spawn().await;
    policy_outreach::db::migrate_down(&app.db, Some(1))
        .await
        .unwrap();
    let response = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(response.status(), 503);
}
