//! `departmentOutreach`: every policy of a department at a glance, each figure as `outreach`
//! counts it for that policy alone.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use policy_outreach::clock::{Clock, ManualClock};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, admin, broker, create_departments, create_policy, department, error_code,
    error_fields, firm, firm_input, policy_input, sync_firms, system, uscc,
};

pub const OVERVIEW: &str = "query($d: String, $from: Date, $to: Date) {
  departmentOutreach(department: $d, from: $from, to: $to) {
    department { code }
    policies { policy { id code status } audience reached acknowledged reachRate acknowledgeRate willApply applied }
    totals { policies reachedFirms acknowledgedFirms }
  }
}";

pub const OUTREACH: &str = "query($id: ID!, $from: Date, $to: Date) {
  outreach(policyId: $id, from: $from, to: $to) {
    audience reached acknowledged reachRate acknowledgeRate responses { response firms }
  }
}";

fn at(shanghai: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{shanghai}+08:00"))
        .unwrap()
        .with_timezone(&Utc)
}

pub struct World {
    pub app: TestApp,
    pub firms: Vec<String>,
    pub agent: String,
}

/// GD-COMMERCE leads P (co-issued by PBOC, Guangdong only, exporters under US$8M) and Q
/// (nationwide), and has a draft D; PBOC leads R. Six firms file and answer over three days.
pub async fn world() -> World {
    let clock = Arc::new(ManualClock::new(at("2026-11-02T09:00:00")));
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    create_departments(&app, &[("GD-COMMERCE", Some("440000")), ("PBOC", None)]).await;
    let agent = uscc("440304", 9);
    let firms: Vec<String> = vec![
        uscc("440305", 1),
        uscc("440306", 2),
        uscc("440106", 3),
        uscc("110105", 4),
        uscc("440307", 5),
        uscc("440308", 6),
    ];
    let mut inputs: Vec<Value> = firms.iter().map(|u| firm_input(u, &u[2..8])).collect();
    inputs[1]["exportValuePrevYearUsd"] = json!(9000000.0);
    inputs[4]["brokers"] = json!([agent]);
    inputs.push(firm_input(&agent, "440304"));
    sync_firms(&app, Value::Array(inputs)).await;
    let mut p = policy_input("GD-P", "GD-COMMERCE", "Guangdong export credit insurance");
    p["coIssuers"] = json!(["PBOC"]);
    p["regions"] = json!(["440000"]);
    p["eligibility"] =
        json!({"all": [{"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000}]});
    let p = create_policy(&app, p, true).await.to_string();
    let q = create_policy(
        &app,
        policy_input("GD-Q", "GD-COMMERCE", "Trade fairs"),
        true,
    )
    .await
    .to_string();
    create_policy(&app, policy_input("GD-D", "GD-COMMERCE", "A draft"), false).await;
    let r = create_policy(&app, policy_input("PBOC-R", "PBOC", "Cheaper credit"), true)
        .await
        .to_string();

    let file = |firm_uscc: &str, id: &str| {
        json!({"d": {"id": id, "firmUscc": firm_uscc, "direction": "EXPORT", "tradeMode": "0110",
                     "country": "US", "port": "5301"}})
    };
    let filing =
        "query($d: DeclarationInput!) { applicablePolicies(declaration: $d) { policy { code } } }";
    let ack = "mutation($i: AcknowledgementInput!) { acknowledgePolicy(input: $i) { id } }";
    let say = |policy: &str, response: &str, n: u32| json!({"i": {"policyId": policy, "response": response, "idempotencyKey": format!("overview-key-{n}")}});
    // Day 1: firms 0, 1, 2 and 3 file; 0 will apply to P, 2 answers Q.
    for (i, id) in [(0, "D-1"), (1, "D-2"), (2, "D-3"), (3, "D-4")] {
        app.ok(Some(&firm(&firms[i])), filing, file(&firms[i], id))
            .await;
    }
    app.ok(Some(&firm(&firms[0])), ack, say(&p, "WILL_APPLY", 1))
        .await;
    app.ok(Some(&firm(&firms[2])), ack, say(&q, "INTERESTED", 2))
        .await;
    // Day 2: the broker files for firm 4; firm 0 applied to P; SMS to firm 5 about P.
    clock.set(clock.now() + Duration::days(1));
    app.ok(Some(&broker(&agent)), filing, file(&firms[4], "D-5"))
        .await;
    app.ok(Some(&firm(&firms[0])), ack, say(&p, "APPLIED", 3))
        .await;
    app.ok(
        Some(&department("GD-COMMERCE")),
        "mutation($i: RecordDeliveriesInput!) { recordDeliveries(input: $i) { recorded } }",
        json!({"i": {"policyId": p, "channel": "SMS", "firmUsccs": [firms[5]]}}),
    )
    .await;
    // Day 3: firm 5 will apply to P, firm 3 dismisses R.
    clock.set(clock.now() + Duration::days(1));
    app.ok(Some(&firm(&firms[5])), ack, say(&p, "WILL_APPLY", 4))
        .await;
    app.ok(Some(&firm(&firms[3])), ack, say(&r, "DISMISSED", 5))
        .await;
    World { app, firms, agent }
}

fn firms_answering(outreach: &Value, response: &str) -> i64 {
    outreach["responses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["response"] == response)
        .map_or(0, |r| r["firms"].as_i64().unwrap())
}

/// Every published row of the overview equals that policy's own `outreach` over the window.
async fn agrees_with_outreach(app: &TestApp, token: &str, window: Value) -> Value {
    let mut vars = window.clone();
    vars["d"] = Value::Null;
    let data = app.ok(Some(token), OVERVIEW, vars).await;
    let overview = data["departmentOutreach"].clone();
    for row in overview["policies"].as_array().unwrap() {
        let mut vars = window.clone();
        vars["id"] = row["policy"]["id"].clone();
        let alone = app.ok(Some(token), OUTREACH, vars).await["outreach"].clone();
        for field in [
            "audience",
            "reached",
            "acknowledged",
            "reachRate",
            "acknowledgeRate",
        ] {
            assert_eq!(row[field], alone[field], "{field} of {row}");
        }
        assert_eq!(
            row["willApply"],
            firms_answering(&alone, "WILL_APPLY"),
            "{row}"
        );
        assert_eq!(row["applied"], firms_answering(&alone, "APPLIED"), "{row}");
    }
    overview
}

fn row<'a>(overview: &'a Value, code: &str) -> &'a Value {
    overview["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["policy"]["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {overview}"))
}

#[tokio::test]
async fn every_policy_of_the_department_as_outreach_counts_it() {
    let w = world().await;
    let token = department("GD-COMMERCE");
    let all = agrees_with_outreach(&w.app, &token, json!({})).await;
    assert_eq!(all["department"]["code"], "GD-COMMERCE");
    let codes: Vec<&str> = all["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["policy"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        ["GD-D", "GD-Q", "GD-P"],
        "its three, newest first, the draft too"
    );
    let p = row(&all, "GD-P");
    // Guangdong firms under US$8M: 0, 2, 4, 5 and the broker; firm 1 exports too much, 3 is
    // in Beijing. Reached: 0, 2 and 4 filing (firm 1's filing does not qualify) and 5 by SMS.
    assert_eq!(p["audience"], 5, "{p}");
    assert_eq!(p["reached"], 4, "{p}");
    assert_eq!(p["reachRate"], 0.8, "{p}");
    assert_eq!(p["acknowledged"], 2, "{p}");
    assert_eq!(p["willApply"], 1, "firm 5; firm 0 applied since: {p}");
    assert_eq!(p["applied"], 1, "{p}");
    let draft = row(&all, "GD-D");
    assert_eq!(draft["policy"]["status"], "DRAFT");
    assert_eq!(
        (draft["reached"].clone(), draft["acknowledged"].clone()),
        (json!(0), json!(0))
    );
    // Reached by P or Q: firms 0 to 5; answered: 0, 5 (P) and 2 (Q).
    assert_eq!(
        all["totals"],
        json!({"policies": 3, "reachedFirms": 6, "acknowledgedFirms": 3})
    );

    let day2 = agrees_with_outreach(
        &w.app,
        &token,
        json!({"from": "2026-11-03", "to": "2026-11-03"}),
    )
    .await;
    let p = row(&day2, "GD-P");
    assert_eq!(
        (p["reached"].clone(), p["acknowledged"].clone()),
        (json!(2), json!(1)),
        "{p}"
    );
    assert_eq!(
        (p["willApply"].clone(), p["applied"].clone()),
        (json!(0), json!(1)),
        "{p}"
    );
    assert_eq!(
        day2["totals"],
        json!({"policies": 3, "reachedFirms": 2, "acknowledgedFirms": 1})
    );

    // A co-issuer sees the policy it co-issued beside its own.
    let pboc = agrees_with_outreach(&w.app, &department("PBOC"), json!({})).await;
    let codes: Vec<&str> = pboc["policies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["policy"]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["PBOC-R", "GD-P"]);
    let _ = (&w.firms, &w.agent);
}

#[tokio::test]
async fn a_department_reads_its_own_and_system_and_admin_name_one() {
    let w = world().await;
    let app = &w.app;
    for token in [system(), admin()] {
        let data = app.ok(Some(&token), OVERVIEW, json!({"d": "PBOC"})).await;
        assert_eq!(data["departmentOutreach"]["totals"]["policies"], 2);
        let unnamed = app.gql(Some(&token), OVERVIEW, json!({})).await;
        assert_eq!(error_fields(&unnamed), ["department"]);
        let unknown = app
            .gql(Some(&token), OVERVIEW, json!({"d": "NO-SUCH"}))
            .await;
        assert_eq!(error_code(&unknown), "NOT_FOUND");
    }
    let own = app
        .ok(Some(&department("PBOC")), OVERVIEW, json!({"d": "PBOC"}))
        .await;
    assert_eq!(own["departmentOutreach"]["department"]["code"], "PBOC");
    let other = app
        .gql(
            Some(&department("PBOC")),
            OVERVIEW,
            json!({"d": "GD-COMMERCE"}),
        )
        .await;
    assert_eq!(error_code(&other), "FORBIDDEN");
    assert!(other["data"].is_null());
    for token in [firm(&w.firms[0]), broker(&w.agent)] {
        let refused = app.gql(Some(&token), OVERVIEW, json!({"d": "PBOC"})).await;
        assert_eq!(error_code(&refused), "FORBIDDEN");
    }
    let anonymous = app.gql(None, OVERVIEW, json!({"d": "PBOC"})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let reversed = app
        .gql(
            Some(&admin()),
            OVERVIEW,
            json!({"d": "PBOC", "from": "2026-11-04", "to": "2026-11-02"}),
        )
        .await;
    assert_eq!(error_fields(&reversed), ["to"]);
}

/// The kept audiences, as the table holds them: (policy code, audience, counted at).
async fn kept(app: &TestApp) -> Vec<(String, i64, String)> {
    use sea_orm::{ConnectionTrait, Statement};
    let rows = app
        .db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT p.code, a.audience, CAST(a.counted_at AS TEXT) AS counted_at \
             FROM policy_audience a JOIN policy p ON p.id = a.policy_id ORDER BY p.code",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get("", "code").unwrap(),
                r.try_get("", "audience").unwrap(),
                r.try_get("", "counted_at").unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn kept_audiences_follow_every_sync_and_every_rule_change() {
    let w = world().await;
    let app = &w.app;
    let token = department("GD-COMMERCE");
    let first = agrees_with_outreach(app, &token, json!({})).await;
    let audience = |overview: &Value, code: &str| row(overview, code)["audience"].as_i64().unwrap();
    assert_eq!((audience(&first, "GD-P"), audience(&first, "GD-Q")), (5, 7));
    let counted = kept(app).await;
    assert_eq!(
        counted
            .iter()
            .map(|(code, n, _)| (code.as_str(), *n))
            .collect::<Vec<_>>(),
        [("GD-D", 7), ("GD-P", 5), ("GD-Q", 7)],
        "the overview counted and kept its three"
    );

    // Firm 1 now exports under US$8M (joins P), firm 2 moved to Beijing (leaves P), a new
    // Guangdong firm (joins P and Q), firm 3 synced again unchanged.
    let mut inputs: Vec<Value> = vec![
        firm_input(&w.firms[1], "440306"),
        firm_input(&w.firms[2], "110105"),
        firm_input(&uscc("440305", 7), "440305"),
        firm_input(&w.firms[3], "110105"),
    ];
    inputs[0]["exportValuePrevYearUsd"] = json!(1000000.0);
    sync_firms(app, Value::Array(inputs)).await;
    let after = agrees_with_outreach(app, &token, json!({})).await;
    assert_eq!((audience(&after, "GD-P"), audience(&after, "GD-Q")), (6, 8));
    let followed = kept(app).await;
    for ((code, _, at), (again, _, at_again)) in counted.iter().zip(&followed) {
        assert_eq!(
            (code, at),
            (again, at_again),
            "{code} followed, not counted again"
        );
    }

    // A draft whose rule changes is counted again for the new rule.
    let draft = row(&after, "GD-D")["policy"]["id"].clone();
    let mut input = policy_input("GD-D", "GD-COMMERCE", "A draft");
    input["regions"] = json!(["110000"]);
    app.ok(
        Some(&token),
        "mutation($id: ID!, $i: PolicyInput!) { updatePolicy(id: $id, input: $i) { id } }",
        json!({"id": draft, "i": input}),
    )
    .await;
    let edited = agrees_with_outreach(app, &token, json!({})).await;
    // Beijing: firms 2 and 3.
    assert_eq!(audience(&edited, "GD-D"), 2);
    assert_eq!(kept(app).await[0].1, 2);
}

/// Funnel rows of policies with a kept audience that carry no audience flag.
async fn unflagged(app: &TestApp) -> i64 {
    use sea_orm::{ConnectionTrait, Statement};
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM policy_firm_funnel f \
             JOIN policy_audience a ON a.policy_id = f.policy_id WHERE f.in_audience IS NULL",
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "n").unwrap()
}

#[tokio::test]
async fn rows_written_after_the_count_are_flagged_as_the_rule_says() {
    let w = world().await;
    let app = &w.app;
    let token = department("GD-COMMERCE");
    let first = agrees_with_outreach(app, &token, json!({})).await;
    let p = row(&first, "GD-P");
    assert_eq!(
        (p["reached"].clone(), p["reachRate"].clone()),
        (json!(4), json!(0.8))
    );
    assert_eq!(unflagged(app).await, 0, "the count flagged every row");
    let id = p["policy"]["id"].as_str().unwrap().to_owned();

    // New rows once the audience is kept: the broker's own firm is in P's audience, firm 3 (in
    // Beijing) is not; each is reached by SMS, then answers.
    app.ok(
        Some(&token),
        "mutation($i: RecordDeliveriesInput!) { recordDeliveries(input: $i) { recorded } }",
        json!({"i": {"policyId": id, "channel": "SMS", "firmUsccs": [w.agent, w.firms[3]]}}),
    )
    .await;
    let ack = "mutation($i: AcknowledgementInput!) { acknowledgePolicy(input: $i) { id } }";
    for (n, who) in [&w.agent, &w.firms[3]].into_iter().enumerate() {
        app.ok(
            Some(&firm(who)),
            ack,
            json!({"i": {"policyId": id, "response": "INTERESTED",
                         "idempotencyKey": format!("flagged-{n}")}}),
        )
        .await;
    }
    let after = agrees_with_outreach(app, &token, json!({})).await;
    let p = row(&after, "GD-P");
    assert_eq!(p["audience"], 5, "{p}");
    assert_eq!(p["reached"], 6, "{p}");
    assert_eq!(p["reachRate"], 1.0, "every one of the five reached: {p}");
    assert_eq!(p["acknowledged"], 4, "{p}");
    assert_eq!(
        p["acknowledgeRate"], 0.6,
        "firms 0, 5 and the broker's own: {p}"
    );
    assert_eq!(
        unflagged(app).await,
        0,
        "the writers flagged their new rows"
    );
    let _ = &w.firms;
}

/// `outreach` over all time reads its audience and the audience per prefecture from what is
/// kept, and how much of it was reached from the funnel rows' flags. Firm syncs move them: a firm
/// moving prefecture inside the audience, one leaving it, one joining it and a new firm. After
/// each, every audience figure equals the one counted over the firms (a window holding every
/// event counts them).
#[tokio::test]
async fn the_kept_audience_per_prefecture_follows_every_sync() {
    let w = world().await;
    let app = &w.app;
    let token = department("GD-COMMERCE");
    let overview = agrees_with_outreach(app, &token, json!({})).await;
    let id = row(&overview, "GD-P")["policy"]["id"].clone();
    let query =
        "query($id: ID!, $from: Date, $to: Date) { outreach(policyId: $id, from: $from, to: $to) {
        audience reached acknowledged reachRate acknowledgeRate
        byRegion { region { code } audience reached acknowledged } } }";
    let kept_equals_counted = || async {
        let kept = app.ok(Some(&token), query, json!({"id": id})).await;
        let window = json!({"id": id, "from": "2026-01-01", "to": "2026-12-31"});
        let counted = app.ok(Some(&token), query, window).await;
        assert_eq!(kept, counted, "kept, then counted");
        let outreach = kept["outreach"].clone();
        let regions: Vec<(String, i64)> = outreach["byRegion"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let code = r["region"]["code"].as_str().unwrap().to_owned();
                (code, r["audience"].as_i64().unwrap())
            })
            .collect();
        (outreach["audience"].as_i64().unwrap(), regions)
    };
    let shenzhen = |n: i64| ("440300".to_owned(), n);
    let guangzhou = |n: i64| ("440100".to_owned(), n);
    // Firms 0, 4, 5 and the broker in Shenzhen, firm 2 in Guangzhou; firm 1 exports too much.
    assert_eq!(
        kept_equals_counted().await,
        (5, vec![shenzhen(4), guangzhou(1)])
    );

    sync_firms(app, json!([firm_input(&w.firms[0], "440106")])).await;
    assert_eq!(
        kept_equals_counted().await,
        (5, vec![shenzhen(3), guangzhou(2)])
    );

    let mut richer = firm_input(&w.firms[2], "440106");
    richer["exportValuePrevYearUsd"] = json!(9000000.0);
    let poorer = firm_input(&w.firms[1], "440306");
    sync_firms(app, json!([richer, poorer])).await;
    assert_eq!(
        kept_equals_counted().await,
        (5, vec![shenzhen(4), guangzhou(1)])
    );

    let newcomer = uscc("440105", 11);
    sync_firms(app, json!([firm_input(&newcomer, "440105")])).await;
    let (audience, regions) = kept_equals_counted().await;
    assert_eq!((audience, regions), (6, vec![shenzhen(4), guangzhou(2)]));

    // A new version for Guangzhou only: counted again, and the reached rows flagged again.
    let mut edit = policy_input("GD-P", "GD-COMMERCE", "Guangdong export credit insurance");
    edit["coIssuers"] = json!(["PBOC"]);
    edit["regions"] = json!(["440100"]);
    let update = "mutation($id: ID!, $i: PolicyInput!) { updatePolicy(id: $id, input: $i) { id } }";
    app.ok(Some(&admin()), update, json!({"id": id, "i": edit}))
        .await;
    let publish = "mutation($id: ID!) { publishPolicy(id: $id) { version } }";
    app.ok(Some(&admin()), publish, json!({"id": id})).await;
    let (audience, regions) = kept_equals_counted().await;
    assert_eq!((audience, regions), (3, vec![guangzhou(3), shenzhen(0)]));
}

/// Migration 11 adds the flags and drops the kept counts, so each is counted and its rows
/// flagged again; migration 12 adds the audience per prefecture and drops them again. Their
/// `down` drops what they added, and nothing read changes.
#[tokio::test]
async fn the_audience_flags_come_and_go_with_their_migration() {
    use sea_orm::ConnectionTrait;
    let w = world().await;
    let app = &w.app;
    let token = department("GD-COMMERCE");
    let before = agrees_with_outreach(app, &token, json!({})).await;
    assert!(!kept(app).await.is_empty());
    let db = &app.db;
    // Down through 12, whatever came after it.
    let status = policy_outreach::db::migration_status(db).await.unwrap();
    let at = status
        .iter()
        .position(|(name, _)| name.ends_with("000012_audience_by_region"))
        .unwrap_or_else(|| panic!("no migration 12 in {status:?}"));
    policy_outreach::db::migrate_down(db, Some(u32::try_from(status.len() - at).unwrap()))
        .await
        .unwrap();
    let regions = "SELECT COUNT(*) FROM policy_audience_region";
    assert!(
        db.execute_unprepared(regions).await.is_err(),
        "{regions} still reads"
    );
    db.execute_unprepared("SELECT in_audience FROM policy_firm_funnel")
        .await
        .unwrap();
    policy_outreach::db::migrate_down(db, Some(1))
        .await
        .unwrap();
    for gone in [
        "SELECT in_audience FROM policy_firm_funnel",
        "SELECT COUNT(*) FROM department_reach",
        "SELECT COUNT(*) FROM department_reach_policy",
    ] {
        assert!(
            db.execute_unprepared(gone).await.is_err(),
            "{gone} still reads"
        );
    }
    policy_outreach::db::migrate_up(db).await.unwrap();
    assert!(kept(app).await.is_empty(), "every kept count dropped");
    let again = agrees_with_outreach(app, &token, json!({})).await;
    assert_eq!(again, before);
    assert_eq!(unflagged(app).await, 0);
}

/// The totals of the overview over all time, and as a window wide enough to hold every event
/// counts them from the ledger and the acknowledgements.
async fn totals_both_ways(app: &TestApp, token: &str, department: &str) -> Value {
    let vars = json!({"d": department});
    let kept = app.ok(Some(token), OVERVIEW, vars).await["departmentOutreach"]["totals"].clone();
    let wide = json!({"d": department, "from": "2000-01-01", "to": "2100-12-31"});
    let counted = app.ok(Some(token), OVERVIEW, wide).await["departmentOutreach"]["totals"].clone();
    assert_eq!(kept, counted, "{department}: kept against counted");
    kept
}

#[tokio::test]
async fn the_kept_totals_follow_writes_new_policies_and_a_dropped_co_issuer() {
    let w = world().await;
    let app = &w.app;
    let lead = department("GD-COMMERCE");
    let totals = totals_both_ways(app, &lead, "GD-COMMERCE").await;
    assert_eq!(
        totals,
        json!({"policies": 3, "reachedFirms": 6, "acknowledgedFirms": 3})
    );
    let pboc = totals_both_ways(app, &admin(), "PBOC").await;

    // Once kept: the broker's own firm is reached by Q and answers it.
    let q = row(
        &app.ok(Some(&lead), OVERVIEW, json!({})).await["departmentOutreach"],
        "GD-Q",
    )["policy"]["id"]
        .clone();
    let deliver =
        "mutation($i: RecordDeliveriesInput!) { recordDeliveries(input: $i) { recorded } }";
    app.ok(
        Some(&lead),
        deliver,
        json!({"i": {"policyId": q, "channel": "SMS", "firmUsccs": [w.agent]}}),
    )
    .await;
    app.ok(
        Some(&firm(&w.agent)),
        "mutation($i: AcknowledgementInput!) { acknowledgePolicy(input: $i) { id } }",
        json!({"i": {"policyId": q, "response": "SEEN", "idempotencyKey": "totals-1"}}),
    )
    .await;
    assert_eq!(
        totals_both_ways(app, &lead, "GD-COMMERCE").await,
        json!({"policies": 3, "reachedFirms": 7, "acknowledgedFirms": 4})
    );
    // Neither is PBOC's.
    assert_eq!(totals_both_ways(app, &admin(), "PBOC").await, pboc);

    // A new policy of the department, delivered to a firm none of the others reached.
    let newcomer = uscc("440305", 8);
    sync_firms(app, json!([firm_input(&newcomer, "440305")])).await;
    let n = create_policy(app, policy_input("GD-N", "GD-COMMERCE", "New"), true).await;
    app.ok(
        Some(&lead),
        deliver,
        json!({"i": {"policyId": n, "channel": "SMS", "firmUsccs": [newcomer]}}),
    )
    .await;
    assert_eq!(
        totals_both_ways(app, &lead, "GD-COMMERCE").await,
        json!({"policies": 4, "reachedFirms": 8, "acknowledgedFirms": 4})
    );

    // PBOC no longer co-issues P once its new version is published: its totals are R's alone.
    let p = row(
        &app.ok(Some(&lead), OVERVIEW, json!({})).await["departmentOutreach"],
        "GD-P",
    )["policy"]["id"]
        .clone();
    let mut input = policy_input("GD-P", "GD-COMMERCE", "Guangdong export credit insurance");
    input["regions"] = json!(["440000"]);
    input["eligibility"] =
        json!({"all": [{"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000}]});
    app.ok(
        Some(&admin()),
        "mutation($id: ID!, $i: PolicyInput!) { updatePolicy(id: $id, input: $i) { id } }",
        json!({"id": p, "i": input}),
    )
    .await;
    app.ok(
        Some(&admin()),
        "mutation($id: ID!) { publishPolicy(id: $id) { status } }",
        json!({"id": p}),
    )
    .await;
    let alone = totals_both_ways(app, &admin(), "PBOC").await;
    assert_eq!(alone["policies"], 1, "{alone}");
    assert!(
        alone["reachedFirms"].as_i64() < pboc["reachedFirms"].as_i64(),
        "firm 5, reached by P alone, is no longer PBOC's: {alone} against {pboc}"
    );
}

/// Syncs that move a firm in and out of an audience, its filings and answers, recorded
/// deliveries and overviews, all at once: nothing waits forever, and every kept figure ends
/// equal to the counting.
#[tokio::test]
async fn syncs_filings_answers_and_overviews_at_once_keep_every_figure_exact() {
    let w = world().await;
    let app = &w.app;
    let lead = department("GD-COMMERCE");
    let first = agrees_with_outreach(app, &lead, json!({})).await;
    let p = row(&first, "GD-P")["policy"]["id"].clone();
    let moving = w.firms[2].clone();
    let syncs = async {
        for round in 0..8 {
            let region = if round % 2 == 0 { "110105" } else { "440106" };
            sync_firms(app, json!([firm_input(&moving, region)])).await;
        }
    };
    let filings = async {
        let filing = "query($d: DeclarationInput!) { applicablePolicies(declaration: $d) { policy { code } } }";
        for n in 0..8 {
            let declaration = json!({"d": {"id": format!("RACE-{n}"), "firmUscc": moving,
                "direction": "EXPORT", "tradeMode": "0110", "country": "US", "port": "5301"}});
            app.ok(Some(&firm(&moving)), filing, declaration).await;
        }
    };
    let answers = async {
        let ack = "mutation($i: AcknowledgementInput!) { acknowledgePolicy(input: $i) { id } }";
        for (n, who) in [&moving, &w.agent, &w.firms[3], &moving]
            .into_iter()
            .enumerate()
        {
            app.ok(
                Some(&firm(who)),
                ack,
                json!({"i": {"policyId": p, "response": "SEEN", "idempotencyKey": format!("race-key-{n}")}}),
            )
            .await;
        }
    };
    let deliveries = async {
        app.ok(
            Some(&lead),
            "mutation($i: RecordDeliveriesInput!) { recordDeliveries(input: $i) { recorded } }",
            json!({"i": {"policyId": p, "channel": "SMS", "firmUsccs": [w.agent, w.firms[3]]}}),
        )
        .await;
    };
    let overviews = async {
        for _ in 0..4 {
            app.ok(Some(&lead), OVERVIEW, json!({})).await;
            app.ok(Some(&admin()), OVERVIEW, json!({"d": "PBOC"})).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), async {
        tokio::join!(syncs, filings, answers, deliveries, overviews)
    })
    .await
    .expect("everything finishes");
    let after = agrees_with_outreach(app, &lead, json!({})).await;
    assert_eq!(unflagged(app).await, 0);
    totals_both_ways(app, &lead, "GD-COMMERCE").await;
    totals_both_ways(app, &admin(), "PBOC").await;
    assert!(
        row(&after, "GD-P")["acknowledged"].as_i64() > row(&first, "GD-P")["acknowledged"].as_i64()
    );
}
