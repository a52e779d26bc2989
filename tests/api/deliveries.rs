//! Delivery history with decision records: what the service saw when it presented a policy,
//! read back by the departments that issued it and by the firm itself.

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, admin, broker, create_departments, create_policy, department, error_code,
    error_fields, firm, firm_input, policy_input, sync_firms, system, uscc,
};

const FILE: &str = "query($d: DeclarationInput!) { applicablePolicies(declaration: $d) {
    policy { code }
    delivery { id actorRole impressions broker { uscc } decision { policyVersion outcome } }
} }";

const CHECK: &str = "query($p: ID!, $f: String!, $d: DeclarationInput) {
    eligibility(policyId: $p, firmUscc: $f, declaration: $d) { outcome reasons { fact outcome text } }
}";

const HISTORY: &str = "query($p: ID!, $f: String, $c: Channel, $from: Date, $to: Date, $after: String, $first: Int) {
  deliveries(policyId: $p, firmUscc: $f, channel: $c, from: $from, to: $to, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    nodes {
      id channel policyVersion declarationId actorRole impressions note
      policy { code } firm { uscc name } broker { uscc }
      decision { policyVersion outcome evaluatedOn matchedConditions facts reasons { fact outcome text } }
    }
  }
}";

struct World {
    app: TestApp,
    policy: String,
    other: String,
    small: String,
    second: String,
    agent: String,
}

fn declaration(id: &str, firm: &str) -> Value {
    json!({"id": id, "firmUscc": firm, "direction": "EXPORT", "tradeMode": "0110",
           "country": "US", "port": "5301", "items": [{"hsCode": "8517130000", "valueUsd": 120000}]})
}

/// A Shenzhen export-credit scheme for exporters under US$8M (SZ-COMMERCE, co-issued by PBOC),
/// another department's policy, two small exporters and a broker one of them entrusted.
async fn world() -> World {
    let app = TestApp::spawn().await;
    create_departments(
        &app,
        &[
            ("SZ-COMMERCE", Some("440300")),
            ("PBOC", None),
            ("GD-CUSTOMS", None),
        ],
    )
    .await;
    let mut scheme = policy_input("SZ-ECI", "SZ-COMMERCE", "Shenzhen export credit insurance");
    scheme["coIssuers"] = json!(["PBOC"]);
    scheme["regions"] = json!(["440300"]);
    scheme["eligibility"] = json!({"all": [
        {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000},
        {"fact": "declaration.direction", "op": "eq", "value": "EXPORT"}
    ]});
    let policy = create_policy(&app, scheme, true).await.to_string();
    let other = create_policy(
        &app,
        policy_input("GD-PORT", "GD-CUSTOMS", "Port fee waiver"),
        true,
    )
    .await
    .to_string();
    let (agent, small, second) = (uscc("440304", 1), uscc("440305", 2), uscc("440306", 3));
    let mut small_firm = firm_input(&small, "440305");
    small_firm["brokers"] = json!([agent]);
    sync_firms(
        &app,
        json!([
            firm_input(&agent, "440304"),
            small_firm,
            firm_input(&second, "440306")
        ]),
    )
    .await;
    World {
        app,
        policy,
        other,
        small,
        second,
        agent,
    }
}

/// A GraphQL request in English.
async fn in_english(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    let response: Value = app
        .client
        .post(app.url("/graphql"))
        .header("accept-language", "en")
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(response.get("errors").is_none(), "{response}");
    response["data"].clone()
}

fn of<'a>(matches: &'a Value, code: &str) -> &'a Value {
    matches
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["policy"]["code"] == code)
        .unwrap_or_else(|| panic!("{code} not presented: {matches}"))
}

#[tokio::test]
async fn a_decision_reads_as_eligibility_said_then_after_the_policy_moved_on() {
    let w = world().await;
    let app = &w.app;
    let filed = app
        .ok(
            Some(&firm(&w.small)),
            FILE,
            json!({"d": declaration("DEC-1", &w.small)}),
        )
        .await;
    let shown = of(&filed["applicablePolicies"], "SZ-ECI");
    assert_eq!(shown["delivery"]["actorRole"], "FIRM");
    assert_eq!(shown["delivery"]["impressions"], 1);
    assert_eq!(
        shown["delivery"]["decision"],
        json!({"policyVersion": 1, "outcome": "TRUE"})
    );
    let check = json!({"p": w.policy, "f": w.small, "d": declaration("DEC-1", &w.small)});
    let then_zh = app.ok(Some(&system()), CHECK, check.clone()).await;
    let then_en = in_english(app, &system(), CHECK, check.clone()).await;

    // The scheme moves on: version 2 asks for exports under US$1M, which the firm is not.
    let mut edited = policy_input("SZ-ECI", "SZ-COMMERCE", "Shenzhen export credit insurance");
    edited["coIssuers"] = json!(["PBOC"]);
    edited["regions"] = json!(["440300"]);
    edited["eligibility"] = json!({"all": [
        {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 1000000}
    ]});
    app.ok(
        Some(&admin()),
        "mutation($id: ID!, $input: PolicyInput!) { updatePolicy(id: $id, input: $input) { version } }",
        json!({"id": w.policy, "input": edited}),
    )
    .await;
    app.ok(
        Some(&admin()),
        "mutation($id: ID!) { publishPolicy(id: $id) { version } }",
        json!({"id": w.policy}),
    )
    .await;
    let now = app.ok(Some(&system()), CHECK, check).await;
    assert_eq!(
        now["eligibility"]["outcome"], "FALSE",
        "version 2 rules it out"
    );

    let vars = json!({"p": w.policy});
    let history = app
        .ok(Some(&department("SZ-COMMERCE")), HISTORY, vars.clone())
        .await;
    let delivery = &history["deliveries"]["nodes"][0];
    assert_eq!(history["deliveries"]["totalCount"], 1);
    assert_eq!(delivery["id"], shown["delivery"]["id"]);
    let decision = &delivery["decision"];
    assert_eq!(decision["policyVersion"], 1);
    assert_eq!(decision["outcome"], "TRUE");
    assert_eq!(
        decision["matchedConditions"], 3,
        "the region scope and both conditions"
    );
    assert_eq!(
        decision["facts"]["firm"]["exportValuePrevYearUsd"],
        3200000.0
    );
    assert_eq!(decision["facts"]["declaration"]["direction"], "EXPORT");
    assert_eq!(
        decision["reasons"], then_zh["eligibility"]["reasons"],
        "worded as eligibility worded them when it was shown"
    );
    assert_ne!(decision["reasons"], now["eligibility"]["reasons"]);
    let english = in_english(app, &department("PBOC"), HISTORY, vars).await;
    assert_eq!(
        english["deliveries"]["nodes"][0]["decision"]["reasons"], then_en["eligibility"]["reasons"],
        "in the caller's language"
    );
    assert_eq!(delivery["actorRole"], "FIRM");
    assert_eq!(delivery["declarationId"], "DEC-1");
    assert_eq!(delivery["firm"]["uscc"], w.small);
    assert_eq!(delivery["policy"]["code"], "SZ-ECI");
}

#[tokio::test]
async fn deliveries_are_filtered_paged_and_counted() {
    let w = world().await;
    let app = &w.app;
    // The firm files three declarations, DEC-1 twice; its broker files one; the second firm one.
    for (token, firm_uscc, id) in [
        (firm(&w.small), &w.small, "DEC-1"),
        (firm(&w.small), &w.small, "DEC-1"),
        (firm(&w.small), &w.small, "DEC-2"),
        (broker(&w.agent), &w.small, "DEC-3"),
        (firm(&w.second), &w.second, "DEC-4"),
    ] {
        app.ok(Some(&token), FILE, json!({"d": declaration(id, firm_uscc)}))
            .await;
    }
    app.ok(
        Some(&department("SZ-COMMERCE")),
        "mutation($i: RecordDeliveriesInput!) { recordDeliveries(input: $i) { recorded } }",
        json!({"i": {"policyId": w.policy, "channel": "SMS", "firmUsccs": [w.second], "note": "短信批次 11-03"}}),
    )
    .await;
    let token = department("SZ-COMMERCE");
    let all = app.ok(Some(&token), HISTORY, json!({"p": w.policy})).await;
    let nodes = all["deliveries"]["nodes"].as_array().unwrap();
    assert_eq!(all["deliveries"]["totalCount"], 5, "{all}");
    assert_eq!(nodes.len(), 5);
    // Newest first: the SMS, then DEC-4, DEC-3 (by the broker), DEC-2, DEC-1 shown twice.
    assert_eq!(nodes[0]["channel"], "SMS");
    assert_eq!(
        nodes[0]["decision"],
        Value::Null,
        "nothing was evaluated on SMS"
    );
    assert_eq!(nodes[0]["note"], "短信批次 11-03");
    assert_eq!(nodes[0]["actorRole"], "DEPARTMENT");
    assert_eq!(nodes[2]["declarationId"], "DEC-3");
    assert_eq!(nodes[2]["channel"], "BROKER");
    assert_eq!(nodes[2]["actorRole"], "BROKER");
    assert_eq!(nodes[2]["broker"]["uscc"], w.agent);
    assert_eq!(nodes[4]["declarationId"], "DEC-1");
    assert_eq!(nodes[4]["impressions"], 2, "DEC-1 was filed twice");
    assert!(nodes[4]["firm"]["name"].is_string());

    let one_firm = app
        .ok(Some(&token), HISTORY, json!({"p": w.policy, "f": w.small}))
        .await;
    assert_eq!(one_firm["deliveries"]["totalCount"], 3);
    let by_broker = app
        .ok(Some(&token), HISTORY, json!({"p": w.policy, "c": "BROKER"}))
        .await;
    assert_eq!(by_broker["deliveries"]["totalCount"], 1);
    let before = app
        .ok(
            Some(&token),
            HISTORY,
            json!({"p": w.policy, "to": "2000-01-01"}),
        )
        .await;
    assert_eq!(before["deliveries"]["totalCount"], 0);

    // Two at a time, without gaps or repeats.
    let mut after = Value::Null;
    let mut ids = Vec::new();
    loop {
        let page = app
            .ok(
                Some(&token),
                HISTORY,
                json!({"p": w.policy, "first": 2, "after": after}),
            )
            .await;
        let page = &page["deliveries"];
        for node in page["nodes"].as_array().unwrap() {
            ids.push(node["id"].as_str().unwrap().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let expected: Vec<String> = nodes
        .iter()
        .map(|n| n["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn a_firm_reads_its_own_deliveries_of_every_policy() {
    let w = world().await;
    let app = &w.app;
    app.ok(
        Some(&firm(&w.small)),
        FILE,
        json!({"d": declaration("DEC-1", &w.small)}),
    )
    .await;
    let query = "query($u: String!, $p: ID, $after: String) { firm(uscc: $u) {
        deliveries(policyId: $p, first: 1, after: $after) {
          totalCount pageInfo { hasNextPage endCursor }
          nodes { policy { code } decision { outcome reasons { text } } } } } }";
    let own = app
        .ok(Some(&firm(&w.small)), query, json!({"u": w.small}))
        .await;
    let deliveries = &own["firm"]["deliveries"];
    // One filing presented both published policies that apply in Shenzhen.
    assert_eq!(deliveries["totalCount"], 2, "{own}");
    let first = deliveries["nodes"][0]["policy"]["code"].clone();
    let next = app
        .ok(
            Some(&firm(&w.small)),
            query,
            json!({"u": w.small, "after": deliveries["pageInfo"]["endCursor"]}),
        )
        .await;
    let second = next["firm"]["deliveries"]["nodes"][0]["policy"]["code"].clone();
    assert_ne!(
        first, second,
        "the second page holds the filing's other delivery"
    );
    assert_eq!(next["firm"]["deliveries"]["pageInfo"]["hasNextPage"], false);
    let one = app
        .ok(
            Some(&firm(&w.small)),
            query,
            json!({"u": w.small, "p": w.other}),
        )
        .await;
    assert_eq!(one["firm"]["deliveries"]["totalCount"], 1);
    assert_eq!(
        one["firm"]["deliveries"]["nodes"][0]["policy"]["code"],
        "GD-PORT"
    );

    for token in [system(), admin()] {
        let data = app.ok(Some(&token), query, json!({"u": w.small})).await;
        assert_eq!(data["firm"]["deliveries"]["totalCount"], 2);
    }
    // Its broker reads its profile, not its deliveries.
    let refused = app
        .gql(Some(&broker(&w.agent)), query, json!({"u": w.small}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    let other = app
        .gql(Some(&firm(&w.second)), query, json!({"u": w.small}))
        .await;
    assert_eq!(error_code(&other), "FORBIDDEN", "{other}");
}

#[tokio::test]
async fn only_issuers_system_and_admin_read_a_policys_deliveries() {
    let w = world().await;
    let app = &w.app;
    app.ok(
        Some(&firm(&w.small)),
        FILE,
        json!({"d": declaration("DEC-1", &w.small)}),
    )
    .await;
    let vars = json!({"p": w.policy});
    for token in [
        department("SZ-COMMERCE"),
        department("PBOC"),
        system(),
        admin(),
    ] {
        let data = app.ok(Some(&token), HISTORY, vars.clone()).await;
        assert_eq!(data["deliveries"]["totalCount"], 1);
    }
    for token in [department("GD-CUSTOMS"), firm(&w.small), broker(&w.agent)] {
        let refused = app.gql(Some(&token), HISTORY, vars.clone()).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
        assert!(refused["data"].is_null(), "{refused}");
    }
    let anonymous = app.gql(None, HISTORY, vars).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    // A department sees who the firm is, not its profile.
    let profile = app
        .gql(
            Some(&department("SZ-COMMERCE")),
            "query($p: ID!) { deliveries(policyId: $p) { nodes { firm { uscc size } } } }",
            json!({"p": w.policy}),
        )
        .await;
    assert_eq!(error_code(&profile), "FORBIDDEN", "{profile}");

    let bad = app
        .gql(
            Some(&admin()),
            HISTORY,
            json!({"p": w.policy, "f": "not-a-uscc", "from": "2026-11-04", "to": "2026-11-02"}),
        )
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    assert_eq!(error_fields(&bad), ["firmUscc"]);
    let reversed = app
        .gql(
            Some(&admin()),
            HISTORY,
            json!({"p": w.policy, "from": "2026-11-04", "to": "2026-11-02"}),
        )
        .await;
    assert_eq!(error_fields(&reversed), ["to"]);
    let cursor = app
        .gql(
            Some(&admin()),
            HISTORY,
            json!({"p": w.policy, "after": "nonsense"}),
        )
        .await;
    assert_eq!(error_fields(&cursor), ["after"]);
}
