use serde_json::{Value, json};

use crate::helpers::{
    TestApp, admin, broker, department, error_code, error_fields, firm, firm_input, sync_firms,
    system, uscc,
};

const UPSERT: &str =
    "mutation($firms: [FirmInput!]!) { upsertFirms(firms: $firms) { created updated } }";
const FIRM: &str = "query($uscc: String!) { firm(uscc: $uscc) {
    uscc name size exportValuePrevYearUsd region { code name parent { code } } brokers { uscc name }
} }";

async fn firm_count(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    policy_outreach::entity::firm::Entity::find()
        .count(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_single_window_creates_then_updates_firms_with_their_brokers() {
    let app = TestApp::spawn().await;
    let (agent, client) = (uscc("440304", 1), uscc("440305", 2));
    let mut with_broker = firm_input(&client, "440305");
    with_broker["brokers"] = json!([agent]);
    let counts = sync_firms(&app, json!([firm_input(&agent, "440304"), with_broker])).await;
    assert_eq!(counts, json!({"created": 2, "updated": 0}));

    let data = app.ok(Some(&system()), FIRM, json!({"uscc": client})).await;
    assert_eq!(
        data["firm"]["region"],
        json!({"code": "440305", "name": "南山区", "parent": {"code": "440300"}})
    );
    assert_eq!(data["firm"]["brokers"][0]["uscc"], agent.as_str());
    assert_eq!(data["firm"]["exportValuePrevYearUsd"], 3200000.0);

    let mut changed = firm_input(&client, "440305");
    changed["size"] = json!("MEDIUM");
    changed["brokers"] = json!([]);
    let counts = sync_firms(&app, json!([changed])).await;
    assert_eq!(counts, json!({"created": 0, "updated": 1}));
    let data = app.ok(Some(&system()), FIRM, json!({"uscc": client})).await;
    assert_eq!(data["firm"]["size"], "MEDIUM");
    assert_eq!(
        data["firm"]["brokers"],
        json!([]),
        "an empty list replaces the brokers"
    );
}

#[tokio::test]
async fn leaving_brokers_out_keeps_the_entrustments() {
    let app = TestApp::spawn().await;
    let (agent, client) = (uscc("440304", 1), uscc("440305", 2));
    let mut with_broker = firm_input(&client, "440305");
    with_broker["brokers"] = json!([agent]);
    sync_firms(&app, json!([firm_input(&agent, "440304"), with_broker])).await;
    sync_firms(&app, json!([firm_input(&client, "440305")])).await;
    let data = app.ok(Some(&system()), FIRM, json!({"uscc": client})).await;
    assert_eq!(data["firm"]["brokers"][0]["uscc"], agent.as_str());
}

#[tokio::test]
async fn one_bad_row_writes_nothing_and_every_bad_field_is_named() {
    let app = TestApp::spawn().await;
    let good = firm_input(&uscc("440305", 1), "440305");
    let mut bad_check = firm_input(&uscc("440305", 2), "440305");
    let code = bad_check["uscc"].as_str().unwrap().to_owned();
    let wrong_check = if code.ends_with('0') { "1" } else { "0" };
    bad_check["uscc"] = json!(format!("{}{wrong_check}", &code[..17]));
    let mut bad_fields = firm_input(&uscc("440305", 3), "440305");
    bad_fields["region"] = json!("440399");
    bad_fields["exportValuePrevYearUsd"] = json!(-5.0);
    bad_fields["industry"] = json!("manufacturing");
    bad_fields["customsCode"] = json!("12345");
    bad_fields["brokers"] = json!([bad_fields["uscc"].clone()]);
    let response = app
        .gql(
            Some(&system()),
            UPSERT,
            json!({"firms": [good, bad_check, bad_fields]}),
        )
        .await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
    assert_eq!(
        error_fields(&response),
        [
            "firms[1].uscc",
            "firms[2].customsCode",
            "firms[2].region",
            "firms[2].industry",
            "firms[2].exportValuePrevYearUsd",
            "firms[2].brokers[0]",
        ]
    );
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("check character")
    );
    assert_eq!(firm_count(&app).await, 0, "all or nothing");
}

#[tokio::test]
async fn an_unknown_broker_is_named_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let mut client = firm_input(&uscc("440305", 2), "440305");
    client["brokers"] = json!([uscc("440304", 9)]);
    let response = app
        .gql(Some(&system()), UPSERT, json!({"firms": [client]}))
        .await;
    assert_eq!(error_fields(&response), ["firms[0].brokers[0]"]);
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("sync the broker")
    );
    assert_eq!(firm_count(&app).await, 0);
}

#[tokio::test]
async fn more_than_a_thousand_firms_or_a_repeated_firm_is_refused() {
    let app = TestApp::spawn().await;
    let many: Vec<Value> = (0..1001)
        .map(|n| firm_input(&uscc("440305", n), "440305"))
        .collect();
    let response = app
        .gql(Some(&system()), UPSERT, json!({"firms": many}))
        .await;
    assert_eq!(error_fields(&response), ["firms"]);

    let twice = firm_input(&uscc("440305", 1), "440305");
    let response = app
        .gql(
            Some(&system()),
            UPSERT,
            json!({"firms": [twice.clone(), twice]}),
        )
        .await;
    assert_eq!(error_fields(&response), ["firms[1].uscc"]);
    assert_eq!(firm_count(&app).await, 0);
}

#[tokio::test]
async fn a_thousand_firms_sync_in_one_call() {
    let app = TestApp::spawn().await;
    let many: Vec<Value> = (0..1000)
        .map(|n| firm_input(&uscc("440305", n), "440305"))
        .collect();
    let counts = sync_firms(&app, json!(many)).await;
    assert_eq!(counts, json!({"created": 1000, "updated": 0}));
    assert_eq!(firm_count(&app).await, 1000);
}

#[tokio::test]
async fn only_the_single_window_and_admin_sync_firms() {
    let app = TestApp::spawn().await;
    let input = json!({"firms": [firm_input(&uscc("440305", 1), "440305")]});
    let code = uscc("440305", 1);
    for token in [firm(&code), broker(&code), department("SZ-COMMERCE")] {
        assert_eq!(
            error_code(&app.gql(Some(&token), UPSERT, input.clone()).await),
            "FORBIDDEN"
        );
    }
    assert_eq!(
        error_code(&app.gql(None, UPSERT, input.clone()).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(firm_count(&app).await, 0);
    app.ok(Some(&admin()), UPSERT, input).await;
    assert_eq!(firm_count(&app).await, 1);
}

#[tokio::test]
async fn a_firm_sees_itself_and_its_brokers_see_it_but_nobody_else_does() {
    let app = TestApp::spawn().await;
    let (agent, client, stranger, other_agent) = (
        uscc("440304", 1),
        uscc("440305", 2),
        uscc("440305", 3),
        uscc("440304", 4),
    );
    let mut entrusting = firm_input(&client, "440305");
    entrusting["brokers"] = json!([agent]);
    sync_firms(
        &app,
        json!([
            firm_input(&agent, "440304"),
            firm_input(&other_agent, "440304"),
            entrusting,
            firm_input(&stranger, "440305")
        ]),
    )
    .await;
    let ask = |uscc: &str| json!({"uscc": uscc});

    assert_eq!(
        app.ok(Some(&firm(&client)), FIRM, ask(&client)).await["firm"]["uscc"],
        client.as_str()
    );
    assert_eq!(
        app.ok(Some(&broker(&agent)), FIRM, ask(&client)).await["firm"]["uscc"],
        client.as_str()
    );
    assert_eq!(
        app.ok(Some(&broker(&agent)), FIRM, ask(&agent)).await["firm"]["uscc"],
        agent.as_str()
    );
    for (token, whom) in [
        (firm(&client), &stranger),
        (broker(&other_agent), &client),
        (department("SZ-COMMERCE"), &client),
    ] {
        assert_eq!(
            error_code(&app.gql(Some(&token), FIRM, ask(whom)).await),
            "FORBIDDEN"
        );
    }
    assert_eq!(
        error_code(&app.gql(None, FIRM, ask(&client)).await),
        "UNAUTHENTICATED"
    );

    // A firm asking about an unknown code is refused exactly like one asking about a stranger.
    let unknown = uscc("440305", 99);
    assert_eq!(
        error_code(&app.gql(Some(&firm(&client)), FIRM, ask(&unknown)).await),
        "FORBIDDEN"
    );
    assert_eq!(
        app.ok(Some(&system()), FIRM, ask(&unknown)).await["firm"],
        Value::Null
    );
    assert_eq!(
        error_fields(&app.gql(Some(&system()), FIRM, ask("not-a-uscc")).await),
        ["uscc"]
    );
}

#[tokio::test]
async fn concurrent_syncs_all_succeed_without_busy_errors() {
    let app = TestApp::spawn().await;
    let token = system();
    let calls = (0..24).map(|batch| {
        let firms: Vec<Value> = (0..20)
            .map(|n| firm_input(&uscc("440305", batch * 100 + n), "440305"))
            .collect();
        let (app, token) = (&app, &token);
        async move { app.gql(Some(token), UPSERT, json!({"firms": firms})).await }
    });
    let responses = futures::future::join_all(calls).await;
    for response in &responses {
        assert!(response.get("errors").is_none(), "{response}");
    }
    assert_eq!(firm_count(&app).await, 24 * 20);
}

#[tokio::test]
async fn a_firm_sees_who_its_brokers_are_but_not_their_profiles() {
    let app = TestApp::spawn().await;
    let (agent, client) = (uscc("440304", 1), uscc("440305", 2));
    let mut entrusting = firm_input(&client, "440305");
    entrusting["brokers"] = json!([agent]);
    sync_firms(&app, json!([firm_input(&agent, "440304"), entrusting])).await;
    let who = "{ me { firm { brokers { uscc name region { code } } } } }";
    let data = app.ok(Some(&firm(&client)), who, json!({})).await;
    assert_eq!(data["me"]["firm"]["brokers"][0]["uscc"], agent.as_str());
    for field in [
        "exportValuePrevYearUsd",
        "customsCredit",
        "size",
        "acknowledgements { totalCount }",
        "brokers { uscc }",
    ] {
        let query = format!("{{ me {{ firm {{ brokers {{ {field} }} }} }} }}");
        let response = app.gql(Some(&firm(&client)), &query, json!({})).await;
        assert_eq!(error_code(&response), "FORBIDDEN", "{field}: {response}");
    }
    let as_system =
        format!("{{ firm(uscc: \"{client}\") {{ brokers {{ exportValuePrevYearUsd }} }} }}");
    app.ok(Some(&system()), &as_system, json!({})).await;
    let response = app.gql(Some(&broker(&agent)), &as_system, json!({})).await;
    assert!(
        response.get("errors").is_none(),
        "a broker sees its own profile in the list: {response}"
    );
}
