//! Every reach figure checked against a count made by hand on a small data set.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use policy_outreach::clock::ManualClock;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, admin, broker, create_departments, create_policy, department, error_code,
    error_fields, firm, firm_input, policy_input, sync_firms, system, uscc,
};

const OUTREACH: &str =
    "query($id: ID!, $from: Date, $to: Date) { outreach(policyId: $id, from: $from, to: $to) {
    policy { code } audience reached acknowledged acknowledgedByFirm reachRate acknowledgeRate
    responses { response firms }
    byChannel { channel reached acknowledged }
    byRegion { region { code } audience reached acknowledged }
    daily { date deliveries newlyReached acknowledgements }
    medianHoursToAcknowledge
} }";

struct Story {
    app: TestApp,
    clock: Arc<ManualClock>,
    policy: String,
    a: String,
    b: String,
    c: String,
    d: String,
    f: String,
    k: String,
}

fn at(shanghai: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{shanghai}+08:00"))
        .unwrap()
        .with_timezone(&Utc)
}

/// A Guangdong scheme for exporters under US$8M, and a week of reaching the firms it is for.
async fn story() -> Story {
    let clock = Arc::new(ManualClock::new(at("2026-11-02T09:00:00")));
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    create_departments(&app, &[("GD-COMMERCE", Some("440000")), ("PBOC", None)]).await;
    let (a, b, c, d, f, e) = (
        uscc("440305", 1),
        uscc("440306", 2),
        uscc("440304", 3),
        uscc("440106", 4),
        uscc("440307", 6),
        uscc("110105", 5),
    );
    let (k, l) = (uscc("110101", 7), uscc("110102", 8));
    let mut firm_b = firm_input(&b, "440306");
    firm_b["exportValuePrevYearUsd"] = json!(9000000.0);
    firm_b["brokers"] = json!([l]);
    let mut firm_c = firm_input(&c, "440304");
    firm_c
        .as_object_mut()
        .unwrap()
        .remove("exportValuePrevYearUsd");
    firm_c["brokers"] = json!([k]);
    let mut firm_d = firm_input(&d, "440106");
    firm_d["exportValuePrevYearUsd"] = json!(1000000.0);
    firm_d["brokers"] = json!([k]);
    sync_firms(
        &app,
        json!([
            firm_input(&k, "110101"),
            firm_input(&l, "110102"),
            firm_input(&a, "440305"),
            firm_b,
            firm_c,
            firm_d,
            firm_input(&f, "440307"),
            firm_input(&e, "110105")
        ]),
    )
    .await;
    let mut input = policy_input("GD-ECI", "GD-COMMERCE", "Guangdong premium subsidy");
    input["regions"] = json!(["440000"]);
    input["eligibility"] =
        json!({"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000});
    let policy = create_policy(&app, input, true).await.to_string();
    let official = department("GD-COMMERCE");
    let record =
        "mutation($input: RecordDeliveriesInput!) { recordDeliveries(input: $input) { recorded } }";
    let ack = "mutation($input: AcknowledgementInput!) { acknowledgePolicy(input: $input) { id } }";

    clock.set(at("2026-11-02T10:00:00"));
    let filed = app
        .ok(Some(&firm(&a)), "query($d: DeclarationInput!) { applicablePolicies(declaration: $d) { policy { code } } }",
            json!({"d": {"firmUscc": a, "direction": "EXPORT", "id": "DEC-A-1"}}))
        .await;
    assert_eq!(filed["applicablePolicies"][0]["policy"]["code"], "GD-ECI");
    clock.set(at("2026-11-03T10:00:00"));
    app.ok(
        Some(&official),
        record,
        json!({"input": {"policyId": policy, "channel": "BROKER", "firmUsccs": [c]}}),
    )
    .await;
    clock.set(at("2026-11-03T11:00:00"));
    app.ok(Some(&broker(&k)), ack, json!({"input": {"policyId": policy, "firmUscc": c, "response": "INTERESTED", "idempotencyKey": "k-for-c-1"}})).await;
    clock.set(at("2026-11-04T10:00:00"));
    app.ok(
        Some(&official),
        record,
        json!({"input": {"policyId": policy, "channel": "SMS", "firmUsccs": [a, b, f]}}),
    )
    .await;
    clock.set(at("2026-11-05T10:00:00"));
    app.ok(Some(&firm(&a)), ack, json!({"input": {"policyId": policy, "response": "WILL_APPLY", "idempotencyKey": "a-will-apply"}})).await;
    clock.set(at("2026-11-06T10:00:00"));
    app.ok(Some(&firm(&d)), ack, json!({"input": {"policyId": policy, "response": "SEEN", "idempotencyKey": "d-heard-elsewhere"}})).await;
    clock.set(at("2026-11-06T12:00:00"));
    app.ok(Some(&firm(&a)), ack, json!({"input": {"policyId": policy, "response": "APPLIED", "idempotencyKey": "a-applied"}})).await;
    Story {
        app,
        clock,
        policy,
        a,
        b,
        c,
        d,
        f,
        k,
    }
}

fn row<'a>(list: &'a Value, key: &str, value: &str) -> &'a Value {
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r[key] == value)
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn every_figure_matches_a_count_by_hand() {
    let s = story().await;
    let data = s
        .app
        .ok(
            Some(&department("GD-COMMERCE")),
            OUTREACH,
            json!({"id": s.policy}),
        )
        .await;
    let o = &data["outreach"];
    assert_eq!(o["policy"]["code"], "GD-ECI");
    // In scope and not ruled out: A, C (export unknown), D, F. B exports too much, E is in Beijing.
    assert_eq!(o["audience"], 4);
    // A, B, C, F were reached; B is outside the audience.
    assert_eq!(o["reached"], 4);
    assert_eq!(o["reachRate"], 0.75);
    // C (through its broker), A, D (never reached here) answered; A and D themselves.
    assert_eq!(o["acknowledged"], 3);
    assert_eq!(o["acknowledgedByFirm"], 2);
    assert_eq!(o["acknowledgeRate"], 0.75);
    assert_eq!(
        o["responses"],
        json!([{"response": "SEEN", "firms": 1}, {"response": "INTERESTED", "firms": 1}, {"response": "APPLIED", "firms": 1}])
    );
    assert_eq!(
        row(&o["byChannel"], "channel", "SINGLE_WINDOW"),
        &json!({"channel": "SINGLE_WINDOW", "reached": 1, "acknowledged": 2})
    );
    assert_eq!(
        row(&o["byChannel"], "channel", "BROKER"),
        &json!({"channel": "BROKER", "reached": 1, "acknowledged": 1})
    );
    assert_eq!(
        row(&o["byChannel"], "channel", "SMS"),
        &json!({"channel": "SMS", "reached": 3, "acknowledged": 0}),
        "A reached on two channels counts on each"
    );
    assert_eq!(
        o["byRegion"],
        json!([
            {"region": {"code": "440300"}, "audience": 3, "reached": 4, "acknowledged": 2},
            {"region": {"code": "440100"}, "audience": 1, "reached": 0, "acknowledged": 1}
        ])
    );
    assert_eq!(
        o["daily"],
        json!([
            {"date": "2026-11-02", "deliveries": 1, "newlyReached": 1, "acknowledgements": 0},
            {"date": "2026-11-03", "deliveries": 1, "newlyReached": 1, "acknowledgements": 1},
            {"date": "2026-11-04", "deliveries": 3, "newlyReached": 2, "acknowledgements": 0},
            {"date": "2026-11-05", "deliveries": 0, "newlyReached": 0, "acknowledgements": 1},
            {"date": "2026-11-06", "deliveries": 0, "newlyReached": 0, "acknowledgements": 2}
        ])
    );
    // A: 72 hours from first delivery to first answer; C: 1 hour. D was never reached here.
    assert_eq!(o["medianHoursToAcknowledge"], 36.5);
}

#[tokio::test]
async fn a_window_cuts_every_figure_and_the_series() {
    let s = story().await;
    let token = department("GD-COMMERCE");
    let data = s
        .app
        .ok(
            Some(&token),
            OUTREACH,
            json!({"id": s.policy, "from": "2026-11-03", "to": "2026-11-04"}),
        )
        .await;
    let o = &data["outreach"];
    assert_eq!(o["audience"], 4);
    assert_eq!(o["reached"], 4);
    assert_eq!(o["reachRate"], 0.75);
    assert_eq!(o["acknowledged"], 1);
    assert_eq!(o["acknowledgedByFirm"], 0);
    assert_eq!(
        o["responses"],
        json!([{"response": "INTERESTED", "firms": 1}])
    );
    assert_eq!(
        row(&o["byChannel"], "channel", "SINGLE_WINDOW"),
        &Value::Null
    );
    assert_eq!(
        o["daily"],
        json!([
            {"date": "2026-11-03", "deliveries": 1, "newlyReached": 1, "acknowledgements": 1},
            {"date": "2026-11-04", "deliveries": 3, "newlyReached": 2, "acknowledgements": 0}
        ])
    );
    assert_eq!(o["medianHoursToAcknowledge"], 1.0);

    let first_day = s
        .app
        .ok(
            Some(&token),
            OUTREACH,
            json!({"id": s.policy, "to": "2026-11-02"}),
        )
        .await;
    assert_eq!(first_day["outreach"]["reached"], 1);
    assert_eq!(first_day["outreach"]["acknowledged"], 0);
    let reversed = s
        .app
        .gql(
            Some(&token),
            OUTREACH,
            json!({"id": s.policy, "from": "2026-11-05", "to": "2026-11-01"}),
        )
        .await;
    assert_eq!(error_fields(&reversed), ["to"]);
}

const UNREACHED: &str =
    "query($id: ID!, $stage: FunnelStage, $region: String, $first: Int, $after: String) {
    unreachedFirms(policyId: $id, stage: $stage, region: $region, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor }
        edges { node { uscc name size region { code } brokers { uscc name } } }
    }
}";

/// Over all time the median rides along the funnel pass when the query asks it: asked alone,
/// under an alias, through a fragment or beside every other figure, it is the same.
#[tokio::test]
async fn the_median_is_the_same_however_it_is_asked() {
    let s = story().await;
    let token = department("GD-COMMERCE");
    let queries = [
        "query($id: ID!) { outreach(policyId: $id) { m: medianHoursToAcknowledge } }",
        "query($id: ID!) { outreach(policyId: $id) { reached m: medianHoursToAcknowledge } }",
        "query($id: ID!) { outreach(policyId: $id) { ...Timing } }
         fragment Timing on Outreach { reached m: medianHoursToAcknowledge }",
        "query($id: ID!) { outreach(policyId: $id) { ... on Outreach { m: medianHoursToAcknowledge } audience } }",
        "query($id: ID!) { outreach(policyId: $id) { audience reached acknowledged byRegion { reached }
         m: medianHoursToAcknowledge } }",
    ];
    for query in queries {
        let data = s.app.ok(Some(&token), query, json!({"id": s.policy})).await;
        // A: 72 hours, C: 1 hour.
        assert_eq!(data["outreach"]["m"], 36.5, "{query}");
    }
    // F, reached by SMS on 2026-11-04 at 10:00, answers 52 hours later: the median is now the
    // middle of three, over all time; within windows, of the firms that first answered in them.
    s.clock.set(at("2026-11-06T14:00:00"));
    let ack = "mutation($input: AcknowledgementInput!) { acknowledgePolicy(input: $input) { id } }";
    s.app
        .ok(
            Some(&firm(&s.f)),
            ack,
            json!({"input": {"policyId": s.policy, "response": "SEEN", "idempotencyKey": "f-seen-it"}}),
        )
        .await;
    let data = s
        .app
        .ok(
            Some(&token),
            "query($id: ID!) { all: outreach(policyId: $id) { reached medianHoursToAcknowledge }
             alone: outreach(policyId: $id) { medianHoursToAcknowledge }
             fifth: outreach(policyId: $id, from: \"2026-11-05\") { medianHoursToAcknowledge }
             sixth: outreach(policyId: $id, from: \"2026-11-06\") { medianHoursToAcknowledge }
             later: outreach(policyId: $id, from: \"2026-11-07\") { medianHoursToAcknowledge } }",
            json!({"id": s.policy}),
        )
        .await;
    assert_eq!(data["all"]["medianHoursToAcknowledge"], 52.0);
    assert_eq!(data["alone"]["medianHoursToAcknowledge"], 52.0);
    assert_eq!(data["fifth"]["medianHoursToAcknowledge"], 62.0, "A and F");
    assert_eq!(data["sixth"]["medianHoursToAcknowledge"], 52.0, "F alone");
    assert_eq!(data["later"]["medianHoursToAcknowledge"], Value::Null);
}

#[tokio::test]
async fn unreached_firms_and_the_brokers_that_serve_them() {
    let s = story().await;
    let token = department("GD-COMMERCE");
    let data = s
        .app
        .ok(Some(&token), UNREACHED, json!({"id": s.policy}))
        .await;
    let list = &data["unreachedFirms"];
    assert_eq!(list["totalCount"], 1);
    let d = &list["edges"][0]["node"];
    assert_eq!(d["uscc"], s.d.as_str());
    assert_eq!(d["size"], "SMALL");
    assert_eq!(
        d["brokers"],
        json!([{"uscc": s.k, "name": format!("测试企业{}", s.k)}])
    );

    let silent = s
        .app
        .ok(
            Some(&token),
            UNREACHED,
            json!({"id": s.policy, "stage": "NOT_ACKNOWLEDGED"}),
        )
        .await;
    assert_eq!(
        silent["unreachedFirms"]["edges"][0]["node"]["uscc"],
        s.f.as_str()
    );
    assert_eq!(silent["unreachedFirms"]["totalCount"], 1);
    let shenzhen = s
        .app
        .ok(
            Some(&token),
            UNREACHED,
            json!({"id": s.policy, "region": "440300"}),
        )
        .await;
    assert_eq!(shenzhen["unreachedFirms"]["totalCount"], 0);

    let leverage = s
        .app
        .ok(Some(&token), "query($id: ID!) { brokerLeverage(policyId: $id) { broker { uscc } unreachedClients clients } }", json!({"id": s.policy}))
        .await;
    assert_eq!(
        leverage["brokerLeverage"],
        json!([{"broker": {"uscc": s.k}, "unreachedClients": 1, "clients": 2}])
    );
    let _ = (&s.a, &s.b, &s.c);
}

#[tokio::test]
async fn unreached_firms_page_by_cursor() {
    let s = story().await;
    let token = department("GD-COMMERCE");
    // Reach nobody more, widen the audience: every Guangdong firm is eligible under a new scheme.
    let mut wide = policy_input("GD-ALL", "GD-COMMERCE", "everyone");
    wide["regions"] = json!(["440000"]);
    let id = create_policy(&s.app, wide, true).await.to_string();
    let first = s
        .app
        .ok(Some(&token), UNREACHED, json!({"id": id, "first": 2}))
        .await;
    assert_eq!(first["unreachedFirms"]["totalCount"], 5);
    assert_eq!(first["unreachedFirms"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["unreachedFirms"]["pageInfo"]["endCursor"].clone();
    let rest = s
        .app
        .ok(
            Some(&token),
            UNREACHED,
            json!({"id": id, "first": 10, "after": cursor}),
        )
        .await;
    assert_eq!(rest["unreachedFirms"]["edges"].as_array().unwrap().len(), 3);
    assert_eq!(rest["unreachedFirms"]["pageInfo"]["hasNextPage"], false);
    let bad = s
        .app
        .gql(Some(&token), UNREACHED, json!({"id": id, "first": 101}))
        .await;
    assert_eq!(error_fields(&bad), ["first"]);
}

#[tokio::test]
async fn the_audience_of_a_rule_before_publishing() {
    let s = story().await;
    let started = Instant::now();
    // A's filing time is written in the background.
    loop {
        use policy_outreach::entity::firm;
        use sea_orm::EntityTrait;
        let row = firm::Entity::find_by_id(s.a.clone())
            .one(&s.app.db)
            .await
            .unwrap()
            .unwrap();
        if row.last_filed_at.is_some() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let query = "query($rule: JSON!, $regions: [String!]) { audienceEstimate(eligibility: $rule, regions: $regions) {
        firms activeLast30Days reachableViaBroker byRegion { region { code } firms } } }";
    let vars = json!({"rule": {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000}, "regions": ["440000"]});
    let data = s
        .app
        .ok(Some(&department("PBOC")), query, vars.clone())
        .await;
    // A filed on 2 November; of C, D and F, C and D entrusted broker K.
    assert_eq!(
        data["audienceEstimate"],
        json!({"firms": 4, "activeLast30Days": 1, "reachableViaBroker": 2,
               "byRegion": [{"region": {"code": "440300"}, "firms": 3}, {"region": {"code": "440100"}, "firms": 1}]})
    );
    s.clock.set(at("2026-12-20T10:00:00"));
    let later = s.app.ok(Some(&system()), query, vars).await;
    assert_eq!(
        later["audienceEstimate"]["activeLast30Days"], 0,
        "the filing is more than 30 days old"
    );
    assert_eq!(later["audienceEstimate"]["reachableViaBroker"], 2);

    let invalid =
        json!({"rule": {"fact": "firm.size", "op": "lt", "value": 1}, "regions": ["999999"]});
    let response = s.app.gql(Some(&admin()), query, invalid).await;
    assert_eq!(error_fields(&response), ["regions[0]", "eligibility.op"]);
    let refused = s
        .app
        .gql(Some(&firm(&s.a)), query, json!({"rule": {"all": []}}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}

#[tokio::test]
async fn only_issuers_system_and_admin_read_the_reach_of_a_policy() {
    let s = story().await;
    let reads = [
        OUTREACH,
        UNREACHED,
        "query($id: ID!) { brokerLeverage(policyId: $id) { clients } }",
    ];
    for query in reads {
        for token in [department("PBOC"), firm(&s.a), broker(&s.k)] {
            let response = s
                .app
                .gql(Some(&token), query, json!({"id": s.policy}))
                .await;
            assert_eq!(error_code(&response), "FORBIDDEN", "{query}");
        }
        assert_eq!(
            error_code(&s.app.gql(None, query, json!({"id": s.policy})).await),
            "UNAUTHENTICATED"
        );
        for token in [system(), admin()] {
            s.app.ok(Some(&token), query, json!({"id": s.policy})).await;
        }
    }
}

#[tokio::test]
async fn the_csv_export_streams_the_unreached_with_their_brokers() {
    let s = story().await;
    // A broker whose name a spreadsheet would run as a formula, with the list separator in it.
    let mut k = firm_input(&s.k, "110101");
    k["name"] = json!("=HYPERLINK(\"http://x/\";\"Click\")");
    sync_firms(&s.app, json!([k])).await;
    let url = s
        .app
        .url(&format!("/exports/policies/{}/unreached.csv", s.policy));
    let response = s
        .app
        .client
        .get(&url)
        .bearer_auth(department("GD-COMMERCE"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/csv; charset=utf-8"
    );
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "uscc,name,region_code,region_name,prefecture_code,prefecture_name,size,customs_code,broker_usccs,broker_names"
    );
    assert_eq!(lines.len(), 2);
    assert!(
        lines[1].starts_with(&format!("{},", s.d))
            && lines[1].contains("天河区")
            && lines[1].contains(&s.k)
            && lines[1].ends_with(r#","'=HYPERLINK(""http://x/""；""Click"")""#),
        "{}",
        lines[1]
    );

    let silent = s
        .app
        .client
        .get(format!("{url}?stage=NOT_ACKNOWLEDGED"))
        .bearer_auth(system())
        .send()
        .await
        .unwrap();
    assert!(silent.text().await.unwrap().contains(&s.f));
    for (token, status) in [
        (Some(department("PBOC")), 403),
        (Some(firm(&s.a)), 403),
        (None, 401),
    ] {
        let mut request = s.app.client.get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        assert_eq!(request.send().await.unwrap().status(), status);
    }
    let bad = s
        .app
        .client
        .get(format!("{url}?stage=LOST"))
        .bearer_auth(system())
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn a_firm_that_moves_is_counted_in_its_new_prefecture() {
    let s = story().await;
    let mut moved = firm_input(&s.f, "440106");
    moved["exportValuePrevYearUsd"] = json!(1000000.0);
    sync_firms(&s.app, json!([moved])).await;
    let data = s
        .app
        .ok(Some(&system()), OUTREACH, json!({"id": s.policy}))
        .await;
    assert_eq!(
        data["outreach"]["byRegion"],
        json!([
            {"region": {"code": "440300"}, "audience": 2, "reached": 3, "acknowledged": 2},
            {"region": {"code": "440100"}, "audience": 2, "reached": 1, "acknowledged": 1}
        ])
    );
}

#[tokio::test]
async fn a_prefecture_scoped_policy_counts_its_audience_through_the_funnel_join() {
    let s = story().await;
    let mut shenzhen = policy_input("SZ-ONLY", "GD-COMMERCE", "Shenzhen only");
    shenzhen["regions"] = json!(["440300"]);
    shenzhen["eligibility"] = json!({"all": [
        {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000},
        {"fact": "declaration.direction", "op": "eq", "value": "EXPORT"}
    ]});
    let id = create_policy(&s.app, shenzhen, true).await.to_string();
    let token = department("GD-COMMERCE");
    let data = s.app.ok(Some(&token), OUTREACH, json!({"id": id})).await;
    // A, C (export unknown) and F: Shenzhen firms the rule does not rule out.
    assert_eq!(data["outreach"]["audience"], 3);
    assert_eq!(data["outreach"]["reachRate"], 0.0);
    let unreached = s
        .app
        .ok(
            Some(&token),
            UNREACHED,
            json!({"id": id, "region": "440300"}),
        )
        .await;
    assert_eq!(unreached["unreachedFirms"]["totalCount"], 3);
    let url = s.app.url(&format!(
        "/exports/policies/{id}/unreached.csv?region=440300"
    ));
    let csv = s
        .app
        .client
        .get(url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 4);
}

/// A campaign over thousands of firms, filings and acknowledgements of some of the same firms, and
/// a second channel reaching others for the first time, all at once: nothing fails (no deadlock
/// between the batch's day row and a filing's funnel row) and each firm's first reach counts once.
#[tokio::test]
async fn a_large_campaign_concurrent_filings_and_racing_first_reaches_count_exactly() {
    let app = TestApp::spawn().await;
    create_departments(&app, &[("GD-COMMERCE", Some("440000"))]).await;
    let firms: Vec<String> = (0..2_500).map(|n| uscc("440305", 10_000 + n)).collect();
    for chunk in firms.chunks(1_000) {
        let inputs: Vec<Value> = chunk.iter().map(|u| firm_input(u, "440305")).collect();
        sync_firms(&app, Value::Array(inputs)).await;
    }
    let mut input = policy_input("GD-WIDE", "GD-COMMERCE", "Guangdong, every firm");
    input["regions"] = json!(["440000"]);
    let policy = create_policy(&app, input, true).await.to_string();
    let official = department("GD-COMMERCE");
    let record =
        "mutation($input: RecordDeliveriesInput!) { recordDeliveries(input: $input) { recorded } }";
    let file =
        "query($d: DeclarationInput!) { applicablePolicies(declaration: $d) { policy { code } } }";
    let ack = "mutation($input: AcknowledgementInput!) { acknowledgePolicy(input: $input) { id } }";

    let campaign = app.gql(
        Some(&official),
        record,
        json!({"input": {"policyId": policy, "channel": "SMS", "firmUsccs": firms}}),
    );
    // The last 500 are reached for the first time by two channels at once.
    let second = app.gql(
        Some(&official),
        record,
        json!({"input": {"policyId": policy, "channel": "WECHAT", "firmUsccs": firms[2_000..]}}),
    );
    let late = &firms[1_200..1_260];
    let (app_ref, policy_ref) = (&app, &policy);
    let filings = futures::future::join_all(late.iter().enumerate().map(|(i, f)| {
        let token = firm(f);
        async move {
            app_ref
                .gql(
                    Some(&token),
                    file,
                    json!({"d": {"firmUscc": f, "direction": "EXPORT", "id": format!("DEC-{i}")}}),
                )
                .await
        }
    }));
    let acks = futures::future::join_all(late.iter().map(|f| {
        let token = firm(f);
        async move {
            app_ref
                .gql(
                    Some(&token),
                    ack,
                    json!({"input": {"policyId": policy_ref, "response": "SEEN", "idempotencyKey": format!("seen-{f}")}}),
                )
                .await
        }
    }));
    let (campaign, second, filings, acks) = tokio::join!(campaign, second, filings, acks);
    for response in [&campaign, &second]
        .into_iter()
        .chain(&filings)
        .chain(&acks)
    {
        assert!(response.get("errors").is_none(), "{response}");
    }

    let data = app
        .ok(Some(&system()), OUTREACH, json!({"id": policy}))
        .await;
    let outreach = &data["outreach"];
    assert_eq!(outreach["reached"], 2_500);
    assert_eq!(outreach["acknowledged"], late.len());
    let total = |key: &str| -> i64 {
        outreach["daily"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d[key].as_i64().unwrap())
            .sum()
    };
    assert_eq!(total("newlyReached"), 2_500, "{}", outreach["daily"]);
    // SMS to all, WeChat to 500, and one single-window delivery per filing.
    assert_eq!(total("deliveries"), 2_500 + 500 + late.len() as i64);
    assert_eq!(total("acknowledgements"), late.len() as i64);
}

/// Two first presentations of one policy to one firm, on two channels, where the one stamped
/// earlier commits later (or both carry the same instant): the firm is newly reached once.
#[tokio::test]
async fn a_first_reach_stamped_earlier_but_committed_later_is_not_counted_twice() {
    use policy_outreach::auth::Role;
    use policy_outreach::outreach::Channel;
    use policy_outreach::outreach::deliveries::{NewFiling, Shown, save};

    let app = TestApp::spawn().await;
    create_departments(&app, &[("GD-COMMERCE", Some("440000"))]).await;
    let (a, b) = (uscc("440305", 1), uscc("440305", 2));
    sync_firms(
        &app,
        json!([firm_input(&a, "440305"), firm_input(&b, "440305")]),
    )
    .await;
    let mut input = policy_input("GD-RACE", "GD-COMMERCE", "Guangdong, every firm");
    input["regions"] = json!(["440000"]);
    let policy = create_policy(&app, input, true).await;
    let delivery = |firm: &str, channel| NewFiling {
        firm_uscc: firm.to_owned(),
        channel,
        declaration_id: String::new(),
        actor_role: Role::System,
        actor_subject: Some("campaign".to_owned()),
        broker_uscc: None,
        note: None,
        decided: None,
        presented: vec![Shown {
            policy_id: policy,
            version: 1,
            matched: None,
        }],
    };
    let zone = app.settings.time_zone;
    let regions = policy_outreach::region::load(&app.db).await.unwrap();
    let rules = policy_outreach::outreach::audience::KeptRules::new(regions);
    let (earlier, later) = (
        Utc::now() - chrono::Duration::seconds(2),
        Utc::now() - chrono::Duration::seconds(1),
    );
    save(
        &app.db,
        &[delivery(&a, Channel::Wechat)],
        later,
        zone,
        &rules,
    )
    .await
    .unwrap();
    save(
        &app.db,
        &[delivery(&a, Channel::Sms)],
        earlier,
        zone,
        &rules,
    )
    .await
    .unwrap();
    for channel in [Channel::Wechat, Channel::Sms] {
        save(&app.db, &[delivery(&b, channel)], later, zone, &rules)
            .await
            .unwrap();
    }

    let data = app
        .ok(Some(&system()), OUTREACH, json!({"id": policy.to_string()}))
        .await;
    let daily = data["outreach"]["daily"].as_array().unwrap();
    let total = |key: &str| daily.iter().map(|d| d[key].as_i64().unwrap()).sum::<i64>();
    assert_eq!(data["outreach"]["reached"], 2);
    assert_eq!(total("newlyReached"), 2, "{daily:?}");
    assert_eq!(total("deliveries"), 4);
}
