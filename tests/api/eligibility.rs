use serde_json::{Value, json};

use crate::helpers::{
    TestApp, admin, broker, create_departments, create_policy, department, error_code,
    error_fields, firm, firm_input, policy_input, sync_firms, system, uscc,
};

const CHECK: &str = "query($policyId: ID!, $firmUscc: String!, $declaration: DeclarationInput) {
    eligibility(policyId: $policyId, firmUscc: $firmUscc, declaration: $declaration) {
        outcome inScope inEffect reasons { fact op expected actual outcome text }
    }
}";

struct World {
    app: TestApp,
    policy: String,
    expired: String,
    small: String,
    large: String,
    guangzhou: String,
    agent: String,
}

/// The Shenzhen export-credit-insurance scheme, a lapsed scheme, and firms on either side of it.
async fn world() -> World {
    let app = TestApp::spawn().await;
    create_departments(&app, &[("SZ-COMMERCE", Some("440300")), ("PBOC", None)]).await;
    let mut scheme = policy_input("SZ-ECI", "SZ-COMMERCE", "Shenzhen export credit insurance");
    scheme["regions"] = json!(["440300"]);
    scheme["eligibility"] = json!({"all": [
        {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000},
        {"fact": "declaration.direction", "op": "eq", "value": "EXPORT"}
    ]});
    let policy = create_policy(&app, scheme, true).await.to_string();
    let mut lapsed = policy_input("SZ-OLD", "SZ-COMMERCE", "A scheme that ended");
    lapsed["effectiveFrom"] = json!("2020-01-01");
    lapsed["effectiveTo"] = json!("2020-12-31");
    let expired = create_policy(&app, lapsed, true).await.to_string();

    let (agent, small, large, guangzhou) = (
        uscc("440304", 1),
        uscc("440305", 2),
        uscc("440306", 3),
        uscc("440106", 4),
    );
    let mut small_firm = firm_input(&small, "440305");
    small_firm["brokers"] = json!([agent]);
    let mut large_firm = firm_input(&large, "440306");
    large_firm["exportValuePrevYearUsd"] = json!(8000000.0);
    sync_firms(
        &app,
        json!([
            firm_input(&agent, "440304"),
            small_firm,
            large_firm,
            firm_input(&guangzhou, "440106")
        ]),
    )
    .await;
    World {
        app,
        policy,
        expired,
        small,
        large,
        guangzhou,
        agent,
    }
}

fn export(firm: &str) -> Value {
    json!({"id": "DEC-2026-0001", "firmUscc": firm, "direction": "EXPORT", "tradeMode": "0110",
           "country": "US", "port": "5301", "items": [{"hsCode": "8517130000", "valueUsd": 120000}]})
}

#[tokio::test]
async fn a_small_shenzhen_exporter_qualifies_and_is_told_why() {
    let w = world().await;
    let vars = json!({"policyId": w.policy, "firmUscc": w.small, "declaration": export(&w.small)});
    let data = w.app.ok(Some(&firm(&w.small)), CHECK, vars).await;
    let result = &data["eligibility"];
    assert_eq!(result["outcome"], "TRUE");
    assert_eq!(result["inScope"], true);
    assert_eq!(result["inEffect"], true);
    let reasons = result["reasons"].as_array().unwrap();
    assert_eq!(reasons.len(), 3, "the scope, then each condition");
    assert_eq!(reasons[0]["fact"], "firm.region");
    assert_eq!(reasons[1]["actual"], 3200000.0);
    assert_eq!(reasons[1]["expected"], 8000000);
    assert_eq!(
        reasons[1]["text"],
        "上年出口额3,200,000美元，低于8,000,000美元"
    );
    assert_eq!(reasons[2]["outcome"], "TRUE");
}

#[tokio::test]
async fn a_firm_sees_why_it_does_not_qualify() {
    let w = world().await;
    let vars = json!({"policyId": w.policy, "firmUscc": w.large, "declaration": export(&w.large)});
    let data = w.app.ok(Some(&firm(&w.large)), CHECK, vars).await;
    assert_eq!(data["eligibility"]["outcome"], "FALSE");
    assert_eq!(
        data["eligibility"]["reasons"][1]["outcome"], "FALSE",
        "US$8,000,000 is not below itself"
    );

    let vars = json!({"policyId": w.policy, "firmUscc": w.guangzhou});
    let data = w.app.ok(Some(&firm(&w.guangzhou)), CHECK, vars).await;
    assert_eq!(data["eligibility"]["outcome"], "FALSE");
    assert_eq!(data["eligibility"]["inScope"], false);
}

#[tokio::test]
async fn without_a_declaration_the_outcome_is_unknown_and_a_lapsed_policy_is_not_in_effect() {
    let w = world().await;
    let data = w
        .app
        .ok(
            Some(&system()),
            CHECK,
            json!({"policyId": w.policy, "firmUscc": w.small}),
        )
        .await;
    assert_eq!(data["eligibility"]["outcome"], "UNKNOWN");
    assert_eq!(data["eligibility"]["reasons"][2]["actual"], Value::Null);
    let data = w
        .app
        .ok(
            Some(&system()),
            CHECK,
            json!({"policyId": w.expired, "firmUscc": w.small}),
        )
        .await;
    assert_eq!(data["eligibility"]["inEffect"], false);
}

#[tokio::test]
async fn who_may_ask_about_whom() {
    let w = world().await;
    let about = |firm: &str| json!({"policyId": w.policy, "firmUscc": firm});
    for token in [
        firm(&w.small),
        broker(&w.agent),
        department("SZ-COMMERCE"),
        system(),
        admin(),
    ] {
        w.app.ok(Some(&token), CHECK, about(&w.small)).await;
    }
    for token in [firm(&w.large), broker(&w.large), department("PBOC")] {
        let response = w.app.gql(Some(&token), CHECK, about(&w.small)).await;
        assert_eq!(error_code(&response), "FORBIDDEN");
    }
    assert_eq!(
        error_code(&w.app.gql(None, CHECK, about(&w.small)).await),
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn an_unknown_firm_must_be_synced_first() {
    let w = world().await;
    let stranger = uscc("440305", 77);
    let response = w
        .app
        .gql(
            Some(&system()),
            CHECK,
            json!({"policyId": w.policy, "firmUscc": stranger}),
        )
        .await;
    assert_eq!(error_code(&response), "NOT_FOUND");
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("sync it first")
    );
}

#[tokio::test]
async fn a_bad_declaration_names_each_field() {
    let w = world().await;
    let mut declaration = export(&w.small);
    declaration["country"] = json!("XX");
    declaration["port"] = json!("53");
    declaration["items"] = json!([{"hsCode": "85.17"}, {"hsCode": "8517", "valueUsd": -1}]);
    let vars = json!({"policyId": w.policy, "firmUscc": w.small, "declaration": declaration});
    let response = w.app.gql(Some(&system()), CHECK, vars).await;
    assert_eq!(
        error_fields(&response),
        [
            "declaration.country",
            "declaration.port",
            "declaration.items[0].hsCode",
            "declaration.items[1].valueUsd"
        ]
    );
    let vars = json!({"policyId": w.policy, "firmUscc": w.small, "declaration": export(&w.large)});
    let response = w.app.gql(Some(&system()), CHECK, vars).await;
    assert_eq!(error_fields(&response), ["declaration.firmUscc"]);
}

#[tokio::test]
async fn checking_eligibility_records_nothing() {
    use sea_orm::{EntityTrait, PaginatorTrait};
    let w = world().await;
    let vars = json!({"policyId": w.policy, "firmUscc": w.small, "declaration": export(&w.small)});
    w.app.ok(Some(&firm(&w.small)), CHECK, vars).await;
    let deliveries = policy_outreach::entity::filing::Entity::find()
        .count(&w.app.db)
        .await
        .unwrap();
    assert_eq!(deliveries, 0);
}

/// A rule that names every firm fact, as a department might write to read a firm's profile.
fn prying_rule() -> Value {
    json!({"all": [
        {"fact": "firm.customsCredit", "op": "eq", "value": "GENERAL"},
        {"fact": "firm.importValuePrevYearUsd", "op": "gt", "value": 0},
        {"fact": "firm.registeredOn", "op": "gt", "value": "1990-01-01"},
        {"fact": "firm.foreignInvested", "op": "eq", "value": true}
    ]})
}

fn facts_of(data: &Value) -> Vec<String> {
    data["eligibility"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["fact"].as_str().unwrap().to_owned())
        .collect()
}

async fn audited_checks(w: &World, policy: &str) -> Vec<Value> {
    let data = w
        .app
        .ok(
            Some(&admin()),
            "query($id: ID!) { policy(id: $id) { audit { action version actorRole actorDepartment changes } } }",
            json!({"id": policy}),
        )
        .await;
    data["policy"]["audit"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "ELIGIBILITY")
        .cloned()
        .collect()
}

#[tokio::test]
async fn a_department_reads_firm_facts_only_through_versions_it_published_and_each_read_is_audited()
{
    let w = world().await;
    let official = department("SZ-COMMERCE");
    let mut draft = policy_input("SZ-PRY", "SZ-COMMERCE", "A throwaway draft");
    draft["eligibility"] = prying_rule();
    let created = w
        .app
        .ok(
            Some(&official),
            "mutation($input: PolicyInput!) { createPolicy(input: $input) { id } }",
            json!({"input": draft}),
        )
        .await;
    let draft_id = created["createPolicy"]["id"].as_str().unwrap().to_owned();
    let refused = w
        .app
        .gql(
            Some(&official),
            CHECK,
            json!({"policyId": draft_id, "firmUscc": w.large}),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not been published"),
        "{refused}"
    );
    assert!(audited_checks(&w, &draft_id).await.is_empty());

    // A new draft of a published policy does not change what the department reads through it.
    let mut edit = policy_input("SZ-ECI", "SZ-COMMERCE", "Shenzhen export credit insurance");
    edit["regions"] = json!(["440300"]);
    edit["eligibility"] = prying_rule();
    w.app
        .ok(
            Some(&official),
            "mutation($id: ID!, $input: PolicyInput!) { updatePolicy(id: $id, input: $input) { version } }",
            json!({"id": w.policy, "input": edit}),
        )
        .await;
    let data = w
        .app
        .ok(
            Some(&official),
            CHECK,
            json!({"policyId": w.policy, "firmUscc": w.large}),
        )
        .await;
    assert_eq!(
        facts_of(&data),
        [
            "firm.region",
            "firm.exportValuePrevYearUsd",
            "declaration.direction"
        ],
        "the published version's rule, not the draft's"
    );
    let checks = audited_checks(&w, &w.policy).await;
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0]["version"], 1);
    assert_eq!(checks[0]["actorRole"], "DEPARTMENT");
    assert_eq!(checks[0]["actorDepartment"], "SZ-COMMERCE");
    assert_eq!(
        checks[0]["changes"],
        json!({"firm": w.large, "withDeclaration": false})
    );

    // Retired, the last published version still answers, and is still audited.
    w.app
        .ok(
            Some(&official),
            "mutation($id: ID!) { retirePolicy(id: $id) { status } }",
            json!({"id": w.policy}),
        )
        .await;
    let data = w
        .app
        .ok(
            Some(&official),
            CHECK,
            json!({"policyId": w.policy, "firmUscc": w.small, "declaration": export(&w.small)}),
        )
        .await;
    assert_eq!(data["eligibility"]["inEffect"], false);
    assert_eq!(facts_of(&data).len(), 3);
    assert_eq!(audited_checks(&w, &w.policy).await.len(), 2);

    // Another department may not read through it at all; a firm's own check is not audited.
    let other = w
        .app
        .gql(
            Some(&department("PBOC")),
            CHECK,
            json!({"policyId": w.policy, "firmUscc": w.small}),
        )
        .await;
    assert_eq!(error_code(&other), "FORBIDDEN");
    w.app
        .ok(
            Some(&firm(&w.small)),
            CHECK,
            json!({"policyId": w.expired, "firmUscc": w.small}),
        )
        .await;
    assert!(audited_checks(&w, &w.expired).await.is_empty());
}
