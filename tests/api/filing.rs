use std::time::{Duration, Instant};

use policy_outreach::entity::{acknowledgement, firm as firm_entity, policy_firm_funnel};
use policy_outreach::outreach::ledger::StoredDelivery;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, admin, broker, create_departments, create_policy, department, error_code,
    error_fields, firm, firm_input, policy_input, sync_firms, system, uscc,
};

const APPLICABLE: &str = "query($d: DeclarationInput!, $all: Boolean) {
    applicablePolicies(declaration: $d, includeDismissed: $all) {
        policy { id code version } certain isNew
        reasons { fact outcome text }
        delivery { id channel policyVersion declarationId deliveredAt }
        acknowledgement { response comment }
    }
}";
/// Publishes the draft version of policy `id` as ADMIN.
async fn publish_as_admin(app: &TestApp, id: &str) {
    app.ok(
        Some(&admin()),
        "mutation($id: ID!) { publishPolicy(id: $id) { version } }",
        json!({"id": id}),
    )
    .await;
}

const ACK: &str = "mutation($input: AcknowledgementInput!) {
    acknowledgePolicy(input: $input) { id response channel actorRole comment policyVersion firm { uscc } policy { code } }
}";

struct World {
    app: TestApp,
    exporter: String,
    other: String,
    agent: String,
    stranger_agent: String,
    /// code → id
    ids: std::collections::HashMap<&'static str, String>,
}

/// Four policies that match a small Shenzhen exporter's export of phones to the US, with
/// different deadlines and rules, and one that does not match.
async fn world() -> World {
    let app = TestApp::spawn().await;
    create_departments(&app, &[("SZ-COMMERCE", Some("440300")), ("PBOC", None)]).await;
    let (exporter, other, agent, stranger_agent) = (
        uscc("440305", 1),
        uscc("440305", 2),
        uscc("440304", 3),
        uscc("440304", 4),
    );
    let mut client = firm_input(&exporter, "440305");
    client["brokers"] = json!([agent]);
    sync_firms(
        &app,
        json!([
            firm_input(&agent, "440304"),
            firm_input(&stranger_agent, "440304"),
            client,
            firm_input(&other, "440305")
        ]),
    )
    .await;
    let mut ids = std::collections::HashMap::new();
    let specs: [(&str, Option<&str>, Value); 5] = [
        ("NO-DEADLINE", None, json!({"all": []})),
        ("LATE-DEADLINE", Some("2099-06-30"), json!({"all": []})),
        ("EARLY-DEADLINE", Some("2099-01-31"), json!({"all": []})),
        (
            "EARLY-MORE-MATCHED",
            Some("2099-01-31"),
            json!({"all": [
                {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000},
                {"fact": "declaration.direction", "op": "eq", "value": "EXPORT"}
            ]}),
        ),
        (
            "IMPORTS-ONLY",
            None,
            json!({"fact": "declaration.direction", "op": "eq", "value": "IMPORT"}),
        ),
    ];
    for (code, deadline, rule) in specs {
        let mut input = policy_input(code, "SZ-COMMERCE", code);
        input["applyDeadline"] = json!(deadline);
        input["eligibility"] = rule;
        ids.insert(code, create_policy(&app, input, true).await.to_string());
    }
    World {
        app,
        exporter,
        other,
        agent,
        stranger_agent,
        ids,
    }
}

fn export(firm: &str, id: Option<&str>) -> Value {
    json!({"id": id, "firmUscc": firm, "direction": "EXPORT", "country": "US",
           "items": [{"hsCode": "8517130000", "valueUsd": 50000}]})
}

fn codes(data: &Value) -> Vec<String> {
    data["applicablePolicies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["policy"]["code"].as_str().unwrap().to_owned())
        .collect()
}

async fn deliveries(app: &TestApp) -> Vec<StoredDelivery> {
    crate::helpers::stored_deliveries(&app.db).await
}

/// How many deliveries each (policy, firm) has.
fn per_pair(stored: &[StoredDelivery]) -> std::collections::HashMap<(uuid::Uuid, String), usize> {
    let mut counts = std::collections::HashMap::new();
    for d in stored {
        *counts
            .entry((d.policy_id, d.firm_uscc.clone()))
            .or_insert(0) += 1;
    }
    counts
}

#[tokio::test]
async fn matches_come_soonest_deadline_first_with_reasons_and_their_delivery() {
    let w = world().await;
    let data = w
        .app
        .ok(
            Some(&firm(&w.exporter)),
            APPLICABLE,
            json!({"d": export(&w.exporter, Some("DEC-1"))}),
        )
        .await;
    assert_eq!(
        codes(&data),
        [
            "EARLY-MORE-MATCHED",
            "EARLY-DEADLINE",
            "LATE-DEADLINE",
            "NO-DEADLINE"
        ]
    );
    let first = &data["applicablePolicies"][0];
    assert_eq!(first["certain"], true);
    assert_eq!(first["isNew"], true);
    assert_eq!(first["reasons"].as_array().unwrap().len(), 2);
    assert_eq!(first["delivery"]["channel"], "SINGLE_WINDOW");
    assert_eq!(first["delivery"]["declarationId"], "DEC-1");
    assert_eq!(first["acknowledgement"], Value::Null);

    let stored = deliveries(&w.app).await;
    assert_eq!(stored.len(), 4, "one delivery per match");
    let decision = stored
        .iter()
        .find(|d| d.id.to_string() == first["delivery"]["id"])
        .unwrap()
        .decision
        .clone()
        .unwrap();
    assert_eq!(decision["policyVersion"], 1);
    assert_eq!(
        decision["facts"]["firm"]["export_value_prev_year_usd"],
        3200000.0
    );
    assert_eq!(decision["facts"]["declaration"]["country"], "US");
    assert_eq!(decision["outcome"], "TRUE");
}

/// A decision record is rebuilt from the ledger row and the rule of the version presented: a
/// later version with another rule does not change why the firm was shown the earlier one.
#[tokio::test]
async fn a_decision_record_evaluates_the_version_that_was_presented() {
    let w = world().await;
    let token = firm(&w.exporter);
    w.app
        .ok(
            Some(&token),
            APPLICABLE,
            json!({"d": export(&w.exporter, Some("DEC-WHY"))}),
        )
        .await;
    let id = &w.ids["EARLY-MORE-MATCHED"];
    let mut edit = policy_input("EARLY-MORE-MATCHED", "SZ-COMMERCE", "Imports now");
    edit["applyDeadline"] = json!("2099-01-31");
    edit["eligibility"] = json!({"fact": "declaration.direction", "op": "eq", "value": "IMPORT"});
    w.app.ok(Some(&admin()), "mutation($id: ID!, $input: PolicyInput!) { updatePolicy(id: $id, input: $input) { version } }", json!({"id": id, "input": edit})).await;
    publish_as_admin(&w.app, id).await;

    let stored = deliveries(&w.app).await;
    let shown: Vec<&StoredDelivery> = stored
        .iter()
        .filter(|d| d.policy_id.to_string() == *id)
        .collect();
    assert_eq!(shown.len(), 1);
    let decision = shown[0].decision.clone().unwrap();
    assert_eq!(decision["policyVersion"], 1);
    assert_eq!(
        decision["outcome"], "TRUE",
        "version 1's rule on the facts filed, not version 2's"
    );
    assert_eq!(decision["matchedConditions"], 2);
    assert_eq!(decision["facts"]["declaration"]["direction"], "EXPORT");
    assert_eq!(decision["facts"]["firm"]["region"], "440305");
    assert!(
        stored
            .iter()
            .all(|d| d.decision.as_ref().unwrap()["outcome"] == "TRUE"),
        "a filing presents only what its facts qualify for"
    );
}

#[tokio::test]
async fn asking_twice_for_one_declaration_records_one_delivery() {
    let w = world().await;
    let token = firm(&w.exporter);
    let vars = json!({"d": export(&w.exporter, Some("DEC-7"))});
    let first = w.app.ok(Some(&token), APPLICABLE, vars.clone()).await;
    let second = w.app.ok(Some(&token), APPLICABLE, vars).await;
    assert_eq!(
        first["applicablePolicies"][0]["delivery"]["id"],
        second["applicablePolicies"][0]["delivery"]["id"]
    );
    assert_eq!(
        second["applicablePolicies"][0]["isNew"], false,
        "shown before"
    );
    let stored = deliveries(&w.app).await;
    assert_eq!(stored.len(), 4);
    assert!(stored.iter().all(|d| d.impressions == 2));
    assert!(per_pair(&stored).values().all(|n| *n == 1));
    let funnel = policy_firm_funnel::Entity::find()
        .all(&w.app.db)
        .await
        .unwrap();
    assert_eq!(funnel.len(), 4);
    assert!(funnel.iter().all(|f| f.first_delivered_at.is_some()));

    let another_declaration = json!({"d": export(&w.exporter, Some("DEC-8"))});
    w.app
        .ok(Some(&token), APPLICABLE, another_declaration)
        .await;
    let stored = deliveries(&w.app).await;
    assert_eq!(stored.len(), 8, "a new declaration is a new presentation");
    assert!(per_pair(&stored).values().all(|n| *n == 2));
}

/// Filings that arrive together are written together; the same declaration asked many times at
/// once still records one delivery per policy, each shown as often as it was asked.
#[tokio::test]
async fn twenty_concurrent_filings_of_one_declaration_record_one_delivery_per_policy() {
    let w = world().await;
    let token = firm(&w.exporter);
    let vars = json!({"d": export(&w.exporter, Some("DEC-PEAK"))});
    let calls = (0..20).map(|_| w.app.ok(Some(&token), APPLICABLE, vars.clone()));
    let answers = futures::future::join_all(calls).await;
    let delivery_ids: std::collections::HashSet<&str> = answers
        .iter()
        .flat_map(|a| a["applicablePolicies"].as_array().unwrap())
        .map(|m| m["delivery"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(delivery_ids.len(), 4, "every answer names the same four");
    let new = answers
        .iter()
        .filter(|a| a["applicablePolicies"][0]["isNew"] == true)
        .count();
    assert!(new >= 1, "the first filings see the policies as new");
    let stored = deliveries(&w.app).await;
    assert_eq!(stored.len(), 4);
    assert!(
        stored.iter().all(|d| d.impressions == 20),
        "{:?}",
        stored.iter().map(|d| d.impressions).collect::<Vec<_>>()
    );
    assert!(per_pair(&stored).values().all(|n| *n == 1));
}

/// Many firms' filings at once, each answered with its own presentations.
#[tokio::test]
async fn concurrent_filings_of_different_firms_each_get_their_own_deliveries() {
    let w = world().await;
    let firms = [&w.exporter, &w.other];
    let calls = (0..10).map(|i| {
        let uscc = firms[i % 2];
        let declaration = format!("DEC-{i}");
        let app = &w.app;
        async move {
            let answer = app
                .ok(
                    Some(&firm(uscc)),
                    APPLICABLE,
                    json!({"d": export(uscc, Some(&declaration))}),
                )
                .await;
            (declaration, answer)
        }
    });
    let answers = futures::future::join_all(calls).await;
    let stored = deliveries(&w.app).await;
    assert_eq!(
        stored.len(),
        40,
        "four policies for each of ten declarations"
    );
    for (declaration, answer) in answers {
        for shown in answer["applicablePolicies"].as_array().unwrap() {
            let id = shown["delivery"]["id"].as_str().unwrap();
            let row = stored.iter().find(|d| d.id.to_string() == id).unwrap();
            assert_eq!(row.declaration_id, declaration);
            assert_eq!(shown["delivery"]["declarationId"], declaration.as_str());
        }
    }
}

#[tokio::test]
async fn a_broker_files_only_for_firms_that_entrusted_it() {
    let w = world().await;
    let vars = json!({"d": export(&w.exporter, None)});
    let data = w
        .app
        .ok(Some(&broker(&w.agent)), APPLICABLE, vars.clone())
        .await;
    assert_eq!(
        data["applicablePolicies"][0]["delivery"]["channel"],
        "BROKER"
    );
    let stored = deliveries(&w.app).await;
    assert!(
        stored
            .iter()
            .all(|d| d.broker_uscc.as_deref() == Some(w.agent.as_str()))
    );
    assert!(stored.iter().all(|d| d.declaration_id.is_empty()));

    let refused = w
        .app
        .gql(Some(&broker(&w.stranger_agent)), APPLICABLE, vars)
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}

#[tokio::test]
async fn a_firm_cannot_ask_for_another_firms_declaration_and_others_are_refused() {
    let w = world().await;
    let vars = json!({"d": export(&w.exporter, None)});
    for token in [firm(&w.other), department("SZ-COMMERCE"), admin()] {
        assert_eq!(
            error_code(&w.app.gql(Some(&token), APPLICABLE, vars.clone()).await),
            "FORBIDDEN"
        );
    }
    assert_eq!(
        error_code(&w.app.gql(None, APPLICABLE, vars).await),
        "UNAUTHENTICATED"
    );
    assert!(deliveries(&w.app).await.is_empty());
}

#[tokio::test]
async fn the_system_files_for_any_firm_on_the_channel_it_names() {
    let w = world().await;
    let query = "query($d: DeclarationInput!) { applicablePolicies(declaration: $d, channel: WECHAT) { delivery { channel } } }";
    let data = w
        .app
        .ok(Some(&system()), query, json!({"d": export(&w.other, None)}))
        .await;
    assert_eq!(
        data["applicablePolicies"][0]["delivery"]["channel"],
        "WECHAT"
    );
    let refused = w
        .app
        .gql(
            Some(&firm(&w.other)),
            query,
            json!({"d": export(&w.other, None)}),
        )
        .await;
    assert_eq!(error_fields(&refused), ["channel"]);
}

#[tokio::test]
async fn a_firm_the_service_never_heard_of_must_be_synced_first() {
    let w = world().await;
    let unknown = uscc("440305", 99);
    let response = w
        .app
        .gql(
            Some(&firm(&unknown)),
            APPLICABLE,
            json!({"d": export(&unknown, None)}),
        )
        .await;
    assert_eq!(error_code(&response), "NOT_FOUND");
    assert!(
        response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("must sync it first")
    );
}

#[tokio::test]
async fn an_unknown_firm_among_concurrent_filings_fails_alone() {
    let w = world().await;
    let token = system();
    let unknown = uscc("440305", 999);
    // Filings wait together for the writer, which evaluates them in one batch: the unknown firm's
    // is refused without taking the others' presentations with it.
    let calls = (0..9).map(|i| {
        let firm_uscc = [&w.exporter, &w.other, &unknown][i % 3].clone();
        let (app, token) = (&w.app, &token);
        async move {
            let variables = json!({"d": export(&firm_uscc, Some(&format!("MIX-{i}")))});
            app.gql(Some(token), APPLICABLE, variables).await
        }
    });
    let answers = futures::future::join_all(calls).await;
    let mut new_to = std::collections::HashMap::<String, usize>::new();
    for (i, answer) in answers.iter().enumerate() {
        if i % 3 == 2 {
            assert_eq!(error_code(answer), "NOT_FOUND", "{answer}");
            let message = answer["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains(unknown.as_str()), "{message}");
            continue;
        }
        let shown = answer["data"]["applicablePolicies"].as_array().unwrap();
        assert_eq!(
            codes(&answer["data"]),
            [
                "EARLY-MORE-MATCHED",
                "EARLY-DEADLINE",
                "LATE-DEADLINE",
                "NO-DEADLINE"
            ]
        );
        let firm_uscc = if i % 3 == 0 { &w.exporter } else { &w.other };
        *new_to.entry(firm_uscc.clone()).or_default() +=
            shown.iter().filter(|p| p["isNew"] == true).count();
    }
    // Each firm's first filing to be written was new for all four policies; its later filings,
    // in the same batch or after it, for none.
    assert_eq!(new_to[&w.exporter], 4, "{answers:?}");
    assert_eq!(new_to[&w.other], 4, "{answers:?}");
    let stored = deliveries(&w.app).await;
    assert_eq!(
        stored.len(),
        24,
        "four policies for each of six declarations"
    );
    assert!(stored.iter().all(|d| d.firm_uscc != unknown));
    let funnel = policy_firm_funnel::Entity::find()
        .all(&w.app.db)
        .await
        .unwrap();
    assert_eq!(funnel.len(), 8, "four policies reached at each known firm");
}

#[tokio::test]
async fn a_bad_declaration_is_refused_field_by_field() {
    let w = world().await;
    let mut d = export(&w.exporter, Some("has spaces"));
    d["items"] = json!(
        (0..501)
            .map(|_| json!({"hsCode": "8517"}))
            .collect::<Vec<_>>()
    );
    d["tradeMode"] = json!("110");
    let response = w
        .app
        .gql(Some(&firm(&w.exporter)), APPLICABLE, json!({"d": d}))
        .await;
    assert_eq!(
        error_fields(&response),
        [
            "declaration.id",
            "declaration.tradeMode",
            "declaration.items"
        ]
    );
}

async fn acknowledge(w: &World, token: &str, input: Value) -> Value {
    w.app.gql(Some(token), ACK, json!({"input": input})).await
}

#[tokio::test]
async fn a_dismissed_policy_stays_hidden_until_a_new_version_is_published() {
    let w = world().await;
    let token = firm(&w.exporter);
    let vars = json!({"d": export(&w.exporter, None)});
    w.app.ok(Some(&token), APPLICABLE, vars.clone()).await;
    let id = &w.ids["NO-DEADLINE"];
    let ack = acknowledge(
        &w,
        &token,
        json!({"policyId": id, "response": "DISMISSED", "idempotencyKey": "dismiss-0001"}),
    )
    .await;
    assert_eq!(ack["data"]["acknowledgePolicy"]["response"], "DISMISSED");

    let hidden = w.app.ok(Some(&token), APPLICABLE, vars.clone()).await;
    assert!(!codes(&hidden).contains(&"NO-DEADLINE".to_owned()));
    let shown = w
        .app
        .ok(
            Some(&token),
            APPLICABLE,
            json!({"d": export(&w.exporter, None), "all": true}),
        )
        .await;
    let entry = shown["applicablePolicies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["policy"]["code"] == "NO-DEADLINE")
        .unwrap()
        .clone();
    assert_eq!(entry["acknowledgement"]["response"], "DISMISSED");

    let mut edit = policy_input("NO-DEADLINE", "SZ-COMMERCE", "Version two");
    edit["eligibility"] = json!({"all": []});
    w.app.ok(Some(&admin()), "mutation($id: ID!, $input: PolicyInput!) { updatePolicy(id: $id, input: $input) { version } }", json!({"id": id, "input": edit})).await;
    let still = w.app.ok(Some(&token), APPLICABLE, vars.clone()).await;
    assert!(
        !codes(&still).contains(&"NO-DEADLINE".to_owned()),
        "a draft version changes nothing"
    );
    publish_as_admin(&w.app, id).await;
    let again = w.app.ok(Some(&token), APPLICABLE, vars).await;
    let entry = again["applicablePolicies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["policy"]["code"] == "NO-DEADLINE")
        .unwrap()
        .clone();
    assert_eq!(entry["policy"]["version"], 2);
    assert_eq!(entry["isNew"], true, "this version was never shown");
}

#[tokio::test]
async fn an_acknowledgement_replays_by_key_and_conflicts_on_other_input() {
    let w = world().await;
    let token = firm(&w.exporter);
    let id = &w.ids["LATE-DEADLINE"];
    let input = json!({"policyId": id, "response": "WILL_APPLY", "comment": "  需要申请表模板  ", "idempotencyKey": "key-will-apply-1"});
    let first = acknowledge(&w, &token, input.clone()).await;
    let ack = &first["data"]["acknowledgePolicy"];
    assert_eq!(ack["channel"], "SINGLE_WINDOW");
    assert_eq!(ack["actorRole"], "FIRM");
    assert_eq!(
        ack["comment"], "需要申请表模板",
        "stored as checked: trimmed"
    );
    assert_eq!(ack["firm"]["uscc"], w.exporter.as_str());
    assert_eq!(ack["policy"]["code"], "LATE-DEADLINE");
    let replay = acknowledge(&w, &token, input.clone()).await;
    assert_eq!(replay["data"]["acknowledgePolicy"]["id"], ack["id"]);
    let mut changed = input.clone();
    changed["response"] = json!("APPLIED");
    assert_eq!(
        error_code(&acknowledge(&w, &token, changed).await),
        "CONFLICT"
    );
    let rows = acknowledgement::Entity::find()
        .count(&w.app.db)
        .await
        .unwrap();
    assert_eq!(rows, 1);
    let funnel = policy_firm_funnel::Entity::find()
        .one(&w.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        funnel.first_delivered_at, None,
        "acknowledged without being shown here: allowed and recorded"
    );
    assert!(funnel.acknowledged_by_firm);
}

#[tokio::test]
async fn fifty_concurrent_acknowledgements_with_one_key_record_exactly_one() {
    let w = world().await;
    let token = firm(&w.exporter);
    let input = json!({"policyId": w.ids["EARLY-DEADLINE"], "response": "INTERESTED", "idempotencyKey": "one-key-for-all-50"});
    let calls = (0..50).map(|_| acknowledge(&w, &token, input.clone()));
    let responses = futures::future::join_all(calls).await;
    let ids: std::collections::HashSet<String> = responses
        .iter()
        .map(|r| {
            r["data"]["acknowledgePolicy"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("{r}"))
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "every caller got the same acknowledgement");
    assert_eq!(
        acknowledgement::Entity::find()
            .count(&w.app.db)
            .await
            .unwrap(),
        1
    );
}

/// Acknowledgements arriving together are written in one batch; one for a firm the service
/// never heard of fails alone, naming the sync, and the others are stored.
#[tokio::test]
async fn an_unknown_firm_among_concurrent_acknowledgements_fails_alone() {
    let w = world().await;
    let token = system();
    let unknown = uscc("440305", 999);
    let policies = ["EARLY-DEADLINE", "LATE-DEADLINE", "NO-DEADLINE"];
    let mut calls = Vec::new();
    for (i, code) in policies.iter().enumerate() {
        for firm_uscc in [&w.exporter, &w.other, &unknown] {
            let input = json!({"policyId": w.ids[code], "firmUscc": firm_uscc,
                "response": "INTERESTED", "idempotencyKey": format!("batch-{i}-{firm_uscc}")});
            calls.push(acknowledge(&w, &token, input));
        }
    }
    let answers = futures::future::join_all(calls).await;
    for (i, answer) in answers.iter().enumerate() {
        if i % 3 == 2 {
            assert_eq!(error_code(answer), "NOT_FOUND", "{answer}");
            let message = answer["errors"][0]["message"].as_str().unwrap();
            assert!(message.contains("upsertFirms"), "{message}");
        } else {
            assert_eq!(
                answer["data"]["acknowledgePolicy"]["response"], "INTERESTED",
                "{answer}"
            );
        }
    }
    assert_eq!(
        acknowledgement::Entity::find()
            .count(&w.app.db)
            .await
            .unwrap(),
        6
    );
    let funnel = policy_firm_funnel::Entity::find()
        .all(&w.app.db)
        .await
        .unwrap();
    assert_eq!(funnel.len(), 6);
    assert!(funnel.iter().all(|f| f.first_acknowledged_at.is_some()));
}

#[tokio::test]
async fn who_may_acknowledge_for_whom() {
    let w = world().await;
    let id = &w.ids["EARLY-DEADLINE"];
    let input = |firm: Option<&str>, key: &str| json!({"policyId": id, "firmUscc": firm, "response": "SEEN", "idempotencyKey": key});
    let by_broker = acknowledge(
        &w,
        &broker(&w.agent),
        input(Some(&w.exporter), "broker-ack-1"),
    )
    .await;
    assert_eq!(by_broker["data"]["acknowledgePolicy"]["channel"], "BROKER");
    let by_system = acknowledge(&w, &system(), input(Some(&w.other), "system-ack-1")).await;
    assert_eq!(
        by_system["data"]["acknowledgePolicy"]["actorRole"],
        "SYSTEM"
    );
    for (token, firm_uscc, code) in [
        (firm(&w.exporter), Some(w.other.as_str()), "FORBIDDEN"),
        (
            broker(&w.stranger_agent),
            Some(w.exporter.as_str()),
            "FORBIDDEN",
        ),
        (
            department("SZ-COMMERCE"),
            Some(w.exporter.as_str()),
            "FORBIDDEN",
        ),
        (admin(), Some(w.exporter.as_str()), "FORBIDDEN"),
        (system(), None, "BAD_USER_INPUT"),
    ] {
        assert_eq!(
            error_code(&acknowledge(&w, &token, input(firm_uscc, "refused-key-1")).await),
            code
        );
    }
    let short_key = acknowledge(&w, &firm(&w.exporter), input(None, "short")).await;
    assert_eq!(error_fields(&short_key), ["input.idempotencyKey"]);
    let long_comment = json!({"policyId": id, "response": "SEEN", "idempotencyKey": "long-comment-1", "comment": "字".repeat(2001)});
    assert_eq!(
        error_fields(&acknowledge(&w, &firm(&w.exporter), long_comment).await),
        ["input.comment"]
    );
    let funnel = policy_firm_funnel::Entity::find()
        .filter(policy_firm_funnel::Column::FirmUscc.eq(w.exporter.as_str()))
        .one(&w.app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!funnel.acknowledged_by_firm, "only its broker answered");
}

#[tokio::test]
async fn the_inbox_lists_what_the_firm_may_qualify_for_newest_first() {
    let w = world().await;
    let token = firm(&w.exporter);
    let query = "query($first: Int, $after: String) { myPolicies(first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { certain policy { code } acknowledgement { response } } }
    } }";
    acknowledge(&w, &token, json!({"policyId": w.ids["NO-DEADLINE"], "response": "INTERESTED", "idempotencyKey": "inbox-ack-1"})).await;
    let data = w.app.ok(Some(&token), query, json!({"first": 3})).await;
    let inbox = &data["myPolicies"];
    assert_eq!(
        inbox["totalCount"], 5,
        "the import-only policy may apply to an import declaration"
    );
    assert_eq!(inbox["pageInfo"]["hasNextPage"], true);
    let nodes: Vec<Value> = inbox["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"].clone())
        .collect();
    assert_eq!(nodes[0]["policy"]["code"], "IMPORTS-ONLY", "newest first");
    assert_eq!(nodes[0]["certain"], false);
    assert_eq!(nodes[1]["policy"]["code"], "EARLY-MORE-MATCHED");
    assert_eq!(nodes[1]["certain"], false);
    let rest = w
        .app
        .ok(
            Some(&token),
            query,
            json!({"first": 3, "after": inbox["pageInfo"]["endCursor"]}),
        )
        .await;
    let last = &rest["myPolicies"]["edges"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()["node"];
    assert_eq!(last["policy"]["code"], "NO-DEADLINE");
    assert_eq!(last["certain"], true);
    assert_eq!(last["acknowledgement"]["response"], "INTERESTED");
    for token in [system(), broker(&w.agent), department("SZ-COMMERCE")] {
        assert_eq!(
            error_code(&w.app.gql(Some(&token), query, json!({})).await),
            "FORBIDDEN"
        );
    }
}

#[tokio::test]
async fn deliveries_on_external_channels_are_counted_once_per_firm() {
    let w = world().await;
    let mutation = "mutation($input: RecordDeliveriesInput!) { recordDeliveries(input: $input) { recorded alreadyRecorded unknownFirms } }";
    let unknown = uscc("440305", 77);
    let input = json!({"policyId": w.ids["LATE-DEADLINE"], "channel": "SMS", "note": "2026 Q4 campaign",
                       "firmUsccs": [w.exporter, w.other, w.exporter, unknown]});
    let first = w
        .app
        .ok(
            Some(&department("SZ-COMMERCE")),
            mutation,
            json!({"input": input}),
        )
        .await;
    assert_eq!(
        first["recordDeliveries"],
        json!({"recorded": 2, "alreadyRecorded": 0, "unknownFirms": [unknown]})
    );
    let again = w
        .app
        .ok(Some(&system()), mutation, json!({"input": input}))
        .await;
    assert_eq!(again["recordDeliveries"]["alreadyRecorded"], 2);
    let stored = deliveries(&w.app).await;
    assert_eq!(stored.len(), 2);
    assert!(
        stored
            .iter()
            .all(|d| d.note.as_deref() == Some("2026 Q4 campaign") && d.impressions == 2)
    );

    let refused = w
        .app
        .gql(Some(&department("PBOC")), mutation, json!({"input": input}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "not its policy");
    assert_eq!(
        error_code(
            &w.app
                .gql(Some(&firm(&w.exporter)), mutation, json!({"input": input}))
                .await
        ),
        "FORBIDDEN"
    );
    let mut single_window = input.clone();
    single_window["channel"] = json!("SINGLE_WINDOW");
    single_window["firmUsccs"] = json!(["bad"]);
    let response = w
        .app
        .gql(Some(&system()), mutation, json!({"input": single_window}))
        .await;
    assert_eq!(
        error_fields(&response),
        ["input.channel", "input.firmUsccs[0]"]
    );
    let mut too_many = input.clone();
    too_many["firmUsccs"] = json!((0..10_001).map(|n| uscc("440305", n)).collect::<Vec<_>>());
    let response = w
        .app
        .gql(Some(&system()), mutation, json!({"input": too_many}))
        .await;
    assert_eq!(error_fields(&response), ["input.firmUsccs"]);
}

#[tokio::test]
async fn filing_records_the_firms_last_filing_time_without_delaying_the_answer() {
    let w = world().await;
    let before = firm_entity::Entity::find_by_id(w.exporter.clone())
        .one(&w.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(before.last_filed_at, None);
    w.app
        .ok(
            Some(&firm(&w.exporter)),
            APPLICABLE,
            json!({"d": export(&w.exporter, None)}),
        )
        .await;
    let started = Instant::now();
    let first = loop {
        let row = firm_entity::Entity::find_by_id(w.exporter.clone())
            .one(&w.app.db)
            .await
            .unwrap()
            .unwrap();
        if let Some(at) = row.last_filed_at {
            break at;
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "the filing time was never written"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    w.app
        .ok(
            Some(&firm(&w.exporter)),
            APPLICABLE,
            json!({"d": export(&w.exporter, None)}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let row = firm_entity::Entity::find_by_id(w.exporter.clone())
        .one(&w.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.last_filed_at, Some(first), "written at most hourly");
}

#[tokio::test]
async fn a_retired_policy_takes_no_more_responses() {
    let w = world().await;
    let id = &w.ids["NO-DEADLINE"];
    w.app
        .ok(
            Some(&admin()),
            "mutation($id: ID!) { retirePolicy(id: $id) { status } }",
            json!({"id": id}),
        )
        .await;
    let response = acknowledge(
        &w,
        &firm(&w.exporter),
        json!({"policyId": id, "response": "APPLIED", "idempotencyKey": "after-retire-1"}),
    )
    .await;
    assert_eq!(error_code(&response), "CONFLICT");
}

#[tokio::test]
async fn the_inbox_keeps_a_policy_that_only_the_declaration_can_still_decide() {
    let w = world().await;
    // Size unknown, but the export value already satisfies the alternative.
    let partial = uscc("440305", 50);
    let mut profile = firm_input(&partial, "440305");
    profile.as_object_mut().unwrap().remove("size");
    sync_firms(&w.app, json!([profile])).await;
    let mut input = policy_input("EITHER-OR", "SZ-COMMERCE", "either or");
    input["eligibility"] = json!({"all": [
        {"any": [
            {"fact": "firm.size", "op": "eq", "value": "SMALL"},
            {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000}
        ]},
        {"fact": "declaration.direction", "op": "eq", "value": "EXPORT"},
        {"not": {"fact": "firm.customsCredit", "op": "eq", "value": "DISHONEST"}}
    ]});
    create_policy(&w.app, input, true).await;
    let query = "{ myPolicies(first: 100) { edges { node { certain policy { code } } } } }";
    let data = w.app.ok(Some(&firm(&partial)), query, json!({})).await;
    let codes: Vec<&str> = data["myPolicies"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["policy"]["code"].as_str().unwrap())
        .collect();
    assert!(
        !codes.contains(&"EITHER-OR"),
        "credit rating unknown: the firm facts do not qualify yet"
    );

    let mut rated = firm_input(&partial, "440305");
    rated.as_object_mut().unwrap().remove("size");
    rated["customsCredit"] = json!("GENERAL");
    sync_firms(&w.app, json!([rated])).await;
    let data = w.app.ok(Some(&firm(&partial)), query, json!({})).await;
    let entry = data["myPolicies"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["policy"]["code"] == "EITHER-OR")
        .cloned();
    assert_eq!(
        entry.map(|e| e["node"]["certain"].clone()),
        Some(json!(false)),
        "{data}"
    );
}

#[tokio::test]
async fn the_inbox_hides_what_the_firm_dismissed_unless_asked() {
    let w = world().await;
    let token = firm(&w.exporter);
    acknowledge(&w, &token, json!({"policyId": w.ids["NO-DEADLINE"], "response": "NOT_APPLICABLE", "idempotencyKey": "inbox-close-1"})).await;
    let count = |data: &Value| data["myPolicies"]["totalCount"].as_i64().unwrap();
    let hidden = w
        .app
        .ok(Some(&token), "{ myPolicies { totalCount } }", json!({}))
        .await;
    let all = w
        .app
        .ok(
            Some(&token),
            "{ myPolicies(includeDismissed: true) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(count(&all) - count(&hidden), 1);
}

/// A filing presenting 40 policies writes one ledger row; a firm filing again, every version
/// already shown, writes one more and leaves every funnel row as it was; a repeat of the same
/// declaration writes no row at all. Counted table by table.
#[tokio::test]
async fn a_filing_presenting_forty_policies_writes_a_bounded_number_of_rows() {
    use policy_outreach::entity::{filing, policy_daily_reach};
    let app = TestApp::spawn().await;
    create_departments(&app, &[("SZ-COMMERCE", Some("440300"))]).await;
    let exporter = uscc("440305", 1);
    sync_firms(&app, json!([firm_input(&exporter, "440305")])).await;
    for i in 0..40 {
        let input = policy_input(&format!("EVERYONE-{i:02}"), "SZ-COMMERCE", "For every firm");
        create_policy(&app, input, true).await;
    }
    let token = firm(&exporter);
    let rows = |db: sea_orm::DatabaseConnection| async move {
        (
            filing::Entity::find().count(&db).await.unwrap(),
            policy_firm_funnel::Entity::find().all(&db).await.unwrap(),
            policy_daily_reach::Entity::find().all(&db).await.unwrap(),
        )
    };
    // The day rows of (policy, day), and how many each writer that filed keeps (a writer adds to
    // rows of its own: a day's counters may be held by as many writers as filed that day).
    let day_rows = |rows: &[policy_daily_reach::Model]| {
        let days: std::collections::HashSet<_> =
            rows.iter().map(|r| (r.policy_id, r.day)).collect();
        let mut per_writer: std::collections::BTreeMap<i16, usize> = Default::default();
        for row in rows {
            *per_writer.entry(row.shard).or_default() += 1;
        }
        (days.len(), per_writer.into_values().collect::<Vec<_>>())
    };

    let first = app
        .ok(
            Some(&token),
            APPLICABLE,
            json!({"d": export(&exporter, Some("DEC-A"))}),
        )
        .await;
    assert_eq!(first["applicablePolicies"].as_array().unwrap().len(), 40);
    let (filings, funnel, days) = rows(app.db.clone()).await;
    assert_eq!(filings, 1, "one ledger row for forty presentations");
    assert_eq!(funnel.len(), 40, "forty first reaches: forty funnel rows");
    assert_eq!(day_rows(&days), (40, vec![40]));

    let again = app
        .ok(
            Some(&token),
            APPLICABLE,
            json!({"d": export(&exporter, Some("DEC-B"))}),
        )
        .await;
    let matches = again["applicablePolicies"].as_array().unwrap();
    assert!(matches.iter().all(|m| m["isNew"] == false));
    assert!(
        matches
            .iter()
            .all(|m| m["delivery"]["declarationId"] == "DEC-B")
    );
    let (filings, unchanged, days) = rows(app.db.clone()).await;
    assert_eq!(filings, 2, "a new declaration: one more ledger row");
    assert_eq!(
        unchanged, funnel,
        "every version already shown: no funnel row changes"
    );
    let (policy_days, per_writer) = day_rows(&days);
    assert_eq!(policy_days, 40, "the same days");
    assert!(
        per_writer.iter().all(|rows| *rows == 40) && !per_writer.is_empty(),
        "at most a row per policy and writer: {per_writer:?}"
    );

    let repeat = app
        .ok(
            Some(&token),
            APPLICABLE,
            json!({"d": export(&exporter, Some("DEC-B"))}),
        )
        .await;
    assert_eq!(repeat["applicablePolicies"], again["applicablePolicies"]);
    let (filings, unchanged, _) = rows(app.db.clone()).await;
    assert_eq!(filings, 2, "a repeat writes no ledger row");
    assert_eq!(unchanged, funnel);

    let stored = deliveries(&app).await;
    assert_eq!(stored.len(), 80, "forty deliveries per declaration");
    assert!(stored.iter().all(|d| d.decision.is_some()));
    if app.db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        // Forty presentations with their facts are over PostgreSQL's 2 kB threshold: each ledger
        // row is compressed as it is written, with LZ4 where the server has it (migration 15),
        // and read back above.
        let methods: Vec<Option<String>> = sea_orm::ConnectionTrait::query_all_raw(
            &app.db,
            sea_orm::Statement::from_string(
                sea_orm::DatabaseBackend::Postgres,
                "SELECT pg_column_compression(presented) AS method FROM filing",
            ),
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("", "method").unwrap())
        .collect();
        let expected = if crate::migrations::server_has_lz4(&app.db).await {
            "lz4"
        } else {
            "pglz"
        };
        assert_eq!(methods, vec![Some(expected.to_owned()); 2]);
    }
    let data = app
        .ok(
            Some(&system()),
            "query($id: ID!) { outreach(policyId: $id) { reached daily { deliveries newlyReached } } }",
            json!({"id": first["applicablePolicies"][0]["policy"]["id"]}),
        )
        .await;
    assert_eq!(data["outreach"]["reached"], 1);
    assert_eq!(
        data["outreach"]["daily"],
        json!([{"deliveries": 2, "newlyReached": 1}])
    );
}
