use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use policy_outreach::clock::ManualClock;
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, admin, broker, create_departments, create_policy, department, error_code,
    error_fields, firm, firm_input, policy_input, sync_firms, system, uscc,
};

const CREATE: &str = "mutation($input: PolicyInput!) { createPolicy(input: $input) { id code status version versionStatus leadIssuer { code } issuers { code } } }";
const UPDATE: &str = "mutation($id: ID!, $input: PolicyInput!) { updatePolicy(id: $id, input: $input) { version versionStatus status titleEn } }";
const PUBLISH: &str =
    "mutation($id: ID!) { publishPolicy(id: $id) { status version publishedAt } }";
const RETIRE: &str =
    "mutation($id: ID!, $reason: String) { retirePolicy(id: $id, reason: $reason) { status } }";
const SHOW: &str = "query($id: ID!, $version: Int) { policy(id: $id, version: $version) { status version titleEn versions { version status } } }";
const APPLICABLE: &str = "query($d: DeclarationInput!) { applicablePolicies(declaration: $d) { policy { code version } } }";

async fn departments(app: &TestApp) {
    create_departments(
        app,
        &[
            ("SZ-COMMERCE", Some("440300")),
            ("SZ-CUSTOMS", Some("440300")),
            ("PBOC", None),
        ],
    )
    .await;
}

async fn create_as(app: &TestApp, token: &str, code: &str) -> String {
    let mut input = policy_input(code, "SZ-COMMERCE", "First title");
    input.as_object_mut().unwrap().remove("leadIssuer");
    input["coIssuers"] = json!(["SZ-CUSTOMS"]);
    let data = app.ok(Some(token), CREATE, json!({"input": input})).await;
    data["createPolicy"]["id"].as_str().unwrap().to_owned()
}

fn edited(code: &str, title: &str) -> Value {
    let mut input = policy_input(code, "SZ-COMMERCE", title);
    input.as_object_mut().unwrap().remove("leadIssuer");
    input["coIssuers"] = json!(["SZ-CUSTOMS"]);
    input
}

#[tokio::test]
async fn a_department_drafts_edits_in_place_publishes_and_versions_what_it_leads() {
    let app = TestApp::spawn().await;
    departments(&app).await;
    let lead = department("SZ-COMMERCE");
    let mut input = policy_input("SZ-SCHEME", "SZ-COMMERCE", "First title");
    input.as_object_mut().unwrap().remove("leadIssuer");
    input["coIssuers"] = json!(["SZ-CUSTOMS"]);
    let created =
        app.ok(Some(&lead), CREATE, json!({"input": input})).await["createPolicy"].clone();
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(created["version"], 1);
    assert_eq!(
        created["issuers"],
        json!([{"code": "SZ-COMMERCE"}, {"code": "SZ-CUSTOMS"}])
    );
    let id = created["id"].as_str().unwrap().to_owned();

    let draft_edit = app
        .ok(
            Some(&lead),
            UPDATE,
            json!({"id": id, "input": edited("SZ-SCHEME", "Draft edited")}),
        )
        .await;
    assert_eq!(
        draft_edit["updatePolicy"]["version"], 1,
        "a draft changes in place"
    );

    let published = app.ok(Some(&lead), PUBLISH, json!({"id": id})).await;
    assert_eq!(published["publishPolicy"]["status"], "PUBLISHED");
    assert!(published["publishPolicy"]["publishedAt"].is_string());

    let second = app
        .ok(
            Some(&lead),
            UPDATE,
            json!({"id": id, "input": edited("SZ-SCHEME", "Second version")}),
        )
        .await;
    assert_eq!(second["updatePolicy"]["version"], 2);
    assert_eq!(second["updatePolicy"]["versionStatus"], "DRAFT");
    assert_eq!(
        second["updatePolicy"]["status"], "PUBLISHED",
        "the policy stays published"
    );

    let public = app
        .ok(
            None,
            "query($id: ID!) { policy(id: $id) { version titleEn } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        public["policy"],
        json!({"version": 1, "titleEn": "Draft edited"}),
        "version 1 stays live"
    );
    let history = app
        .ok(Some(&lead), SHOW, json!({"id": id, "version": 2}))
        .await;
    assert_eq!(history["policy"]["titleEn"], "Second version");
    assert_eq!(
        history["policy"]["versions"],
        json!([{"version": 2, "status": "DRAFT"}, {"version": 1, "status": "PUBLISHED"}])
    );

    app.ok(Some(&lead), PUBLISH, json!({"id": id})).await;
    let after = app
        .ok(
            None,
            "query($id: ID!) { policy(id: $id) { version titleEn } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        after["policy"],
        json!({"version": 2, "titleEn": "Second version"})
    );
    let history = app.ok(Some(&admin()), SHOW, json!({"id": id})).await;
    assert_eq!(
        history["policy"]["versions"],
        json!([{"version": 2, "status": "PUBLISHED"}, {"version": 1, "status": "RETIRED"}])
    );

    let retired = app
        .ok(
            Some(&lead),
            RETIRE,
            json!({"id": id, "reason": "budget spent"}),
        )
        .await;
    assert_eq!(retired["retirePolicy"]["status"], "RETIRED");
    let refused = app
        .gql(
            Some(&lead),
            UPDATE,
            json!({"id": id, "input": edited("SZ-SCHEME", "x")}),
        )
        .await;
    assert_eq!(error_code(&refused), "CONFLICT");
}

#[tokio::test]
async fn only_the_lead_issuer_or_admin_manages_a_policy() {
    let app = TestApp::spawn().await;
    departments(&app).await;
    let id = create_as(&app, &department("SZ-COMMERCE"), "SZ-LED").await;
    let uscc = uscc("440305", 1);
    // A draft: the co-issuer knows it and is refused; outsiders do not learn it exists.
    for (token, code) in [
        (department("SZ-CUSTOMS"), "FORBIDDEN"),
        (department("PBOC"), "NOT_FOUND"),
        (firm(&uscc), "FORBIDDEN"),
        (broker(&uscc), "FORBIDDEN"),
        (system(), "FORBIDDEN"),
    ] {
        for (query, vars) in [
            (UPDATE, json!({"id": id, "input": edited("SZ-LED", "x")})),
            (PUBLISH, json!({"id": id})),
            (RETIRE, json!({"id": id})),
        ] {
            let response = app.gql(Some(&token), query, vars).await;
            assert_eq!(error_code(&response), code, "{query}");
        }
    }
    for query in [UPDATE, PUBLISH, RETIRE] {
        let response = app
            .gql(
                None,
                query,
                json!({"id": id, "input": edited("SZ-LED", "x")}),
            )
            .await;
        assert_eq!(error_code(&response), "UNAUTHENTICATED");
    }
    // Published: everyone knows it, so every outsider is FORBIDDEN.
    app.ok(Some(&admin()), PUBLISH, json!({"id": id})).await;
    let response = app
        .gql(Some(&department("PBOC")), RETIRE, json!({"id": id}))
        .await;
    assert_eq!(error_code(&response), "FORBIDDEN");
    app.ok(
        Some(&admin()),
        UPDATE,
        json!({"id": id, "input": edited("SZ-LED", "Admin edit")}),
    )
    .await;
    app.ok(Some(&department("SZ-COMMERCE")), RETIRE, json!({"id": id}))
        .await;
}

#[tokio::test]
async fn creating_is_for_departments_and_admin_and_a_department_always_leads() {
    let app = TestApp::spawn().await;
    departments(&app).await;
    let input = json!({"input": policy_input("X-1", "SZ-COMMERCE", "t")});
    let code = uscc("440305", 1);
    for token in [firm(&code), broker(&code), system()] {
        assert_eq!(
            error_code(&app.gql(Some(&token), CREATE, input.clone()).await),
            "FORBIDDEN"
        );
    }
    assert_eq!(
        error_code(&app.gql(None, CREATE, input.clone()).await),
        "UNAUTHENTICATED"
    );
    let other_lead = app
        .gql(Some(&department("PBOC")), CREATE, input.clone())
        .await;
    assert_eq!(error_fields(&other_lead), ["input.leadIssuer"]);
    let mut no_lead = policy_input("X-2", "SZ-COMMERCE", "t");
    no_lead.as_object_mut().unwrap().remove("leadIssuer");
    let response = app
        .gql(Some(&admin()), CREATE, json!({"input": no_lead}))
        .await;
    assert_eq!(
        error_fields(&response),
        ["input.leadIssuer"],
        "ADMIN names the lead"
    );
    let created = app.ok(Some(&admin()), CREATE, input.clone()).await;
    assert_eq!(created["createPolicy"]["leadIssuer"]["code"], "SZ-COMMERCE");
    let again = app.gql(Some(&admin()), CREATE, input).await;
    assert_eq!(error_code(&again), "CONFLICT", "codes are unique");
}

#[tokio::test]
async fn invalid_content_is_refused_with_every_field_named_and_nothing_written() {
    let app = TestApp::spawn().await;
    departments(&app).await;
    let mut input = policy_input("BAD-1", "SZ-COMMERCE", "t");
    input["titleZh"] = json!("  ");
    input["effectiveFrom"] = json!("2026-06-01");
    input["effectiveTo"] = json!("2026-01-01");
    input["coIssuers"] = json!(["NOPE"]);
    input["regions"] = json!(["449999"]);
    input["documents"] = json!([{"title": "通知", "url": "ftp://x", "kind": "PAPER"}]);
    input["eligibility"] = json!({"all": [{"fact": "firm.size", "op": "lt", "value": "SMALL"}]});
    let response = app
        .gql(Some(&admin()), CREATE, json!({"input": input}))
        .await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
    assert_eq!(
        error_fields(&response),
        [
            "input.titleZh",
            "input.regions[0]",
            "input.effectiveTo",
            "input.documents[0].url",
            "input.eligibility.all[0].op"
        ]
    );
    let unknown_department = policy_input("BAD-2", "SZ-COMMERCE", "t");
    let mut unknown_department = unknown_department;
    unknown_department["coIssuers"] = json!(["NOPE"]);
    let response = app
        .gql(Some(&admin()), CREATE, json!({"input": unknown_department}))
        .await;
    assert_eq!(error_fields(&response), ["input.coIssuers[0]"]);
    let listed = app
        .ok(
            Some(&admin()),
            "{ policies(filter: {status: DRAFT}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["policies"]["totalCount"], 0);
}

#[tokio::test]
async fn publishing_checks_the_stored_version_again() {
    use sea_orm::{ConnectionTrait, Statement};
    let app = TestApp::spawn().await;
    departments(&app).await;
    let id = create_as(&app, &department("SZ-COMMERCE"), "SZ-CHECKED").await;
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            "UPDATE policy_version SET eligibility = '{\"fact\": \"firm.colour\"}'::jsonb, summary_zh = ''"
        }
        _ => {
            "UPDATE policy_version SET eligibility = '{\"fact\": \"firm.colour\"}', summary_zh = ''"
        }
    };
    app.db
        .execute_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    let response = app
        .gql(Some(&department("SZ-COMMERCE")), PUBLISH, json!({"id": id}))
        .await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT");
    assert_eq!(error_fields(&response), ["summaryZh", "eligibility.fact"]);
    let status = app.ok(Some(&admin()), SHOW, json!({"id": id})).await;
    assert_eq!(status["policy"]["status"], "DRAFT");
}

#[tokio::test]
async fn every_change_is_in_the_audit_trail_for_issuers_and_admin() {
    let app = TestApp::spawn().await;
    departments(&app).await;
    let lead = department("SZ-COMMERCE");
    let id = create_as(&app, &lead, "SZ-AUDITED").await;
    app.ok(Some(&lead), PUBLISH, json!({"id": id})).await;
    app.ok(
        Some(&lead),
        UPDATE,
        json!({"id": id, "input": edited("SZ-AUDITED", "Renamed")}),
    )
    .await;
    app.ok(
        Some(&lead),
        RETIRE,
        json!({"id": id, "reason": "superseded"}),
    )
    .await;
    let query = "query($id: ID!) { policy(id: $id) { audit { action version actorRole actorSubject actorDepartment changes at } } }";
    let data = app
        .ok(Some(&department("SZ-CUSTOMS")), query, json!({"id": id}))
        .await;
    let audit = data["policy"]["audit"].as_array().unwrap();
    let actions: Vec<&str> = audit
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["CREATE", "PUBLISH", "UPDATE", "RETIRE"]);
    assert_eq!(audit[0]["actorDepartment"], "SZ-COMMERCE");
    assert_eq!(audit[0]["actorSubject"], "official-SZ-COMMERCE");
    assert_eq!(audit[2]["version"], 2);
    assert_eq!(
        audit[2]["changes"]["changes"]["titleEn"],
        json!({"from": "First title", "to": "Renamed"})
    );
    assert_eq!(
        audit[2]["changes"]["changes"].as_object().unwrap().len(),
        1,
        "only what changed"
    );
    assert_eq!(audit[3]["changes"]["reason"], "superseded");
    let refused = app
        .gql(Some(&department("PBOC")), query, json!({"id": id}))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}

async fn filing_world(app: &TestApp) -> String {
    departments(app).await;
    let exporter = uscc("440305", 1);
    sync_firms(app, json!([firm_input(&exporter, "440305")])).await;
    exporter
}

fn declaration(firm: &str) -> Value {
    json!({"firmUscc": firm, "direction": "EXPORT"})
}

#[tokio::test]
async fn the_instance_that_publishes_or_retires_serves_the_change_at_once() {
    let app = TestApp::spawn().await;
    let exporter = filing_world(&app).await;
    let lead = department("SZ-COMMERCE");
    let id = create_as(&app, &lead, "SZ-NOW").await;
    let served = |data: &Value| data["applicablePolicies"].as_array().unwrap().len();
    let before = app
        .ok(
            Some(&firm(&exporter)),
            APPLICABLE,
            json!({"d": declaration(&exporter)}),
        )
        .await;
    assert_eq!(served(&before), 0);
    app.ok(Some(&lead), PUBLISH, json!({"id": id})).await;
    let after = app
        .ok(
            Some(&firm(&exporter)),
            APPLICABLE,
            json!({"d": declaration(&exporter)}),
        )
        .await;
    assert_eq!(after["applicablePolicies"][0]["policy"]["code"], "SZ-NOW");
    app.ok(Some(&lead), RETIRE, json!({"id": id})).await;
    let retired = app
        .ok(
            Some(&firm(&exporter)),
            APPLICABLE,
            json!({"d": declaration(&exporter)}),
        )
        .await;
    assert_eq!(served(&retired), 0);
}

/// Anonymous catalog answers are kept per live snapshot: the same page asked again after a
/// publish or a retirement is answered from the new snapshot, never from the old one.
#[tokio::test]
async fn the_public_catalog_answers_the_change_at_once() {
    let app = TestApp::spawn().await;
    filing_world(&app).await;
    let lead = department("SZ-COMMERCE");
    let id = create_as(&app, &lead, "SZ-PUBLIC").await;
    let page = "{ policies { totalCount edges { node { code version } } } }";
    let codes = |data: &Value| -> Vec<(String, i64)> {
        data["policies"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let node = &e["node"];
                (
                    node["code"].as_str().unwrap().to_owned(),
                    node["version"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    for _ in 0..2 {
        assert_eq!(codes(&app.ok(None, page, json!({})).await), []);
    }
    app.ok(Some(&lead), PUBLISH, json!({"id": id})).await;
    for _ in 0..2 {
        assert_eq!(
            codes(&app.ok(None, page, json!({})).await),
            [("SZ-PUBLIC".to_owned(), 1)]
        );
    }
    app.ok(Some(&lead), RETIRE, json!({"id": id})).await;
    assert_eq!(codes(&app.ok(None, page, json!({})).await), []);
}

#[tokio::test]
async fn a_policy_published_on_one_instance_is_served_by_another_within_two_seconds() {
    let app = TestApp::spawn().await;
    let exporter = filing_world(&app).await;
    let (other, _stop_other) = app.another_instance().await;
    let lead = department("SZ-COMMERCE");
    let id = create_as(&app, &lead, "SZ-ELSEWHERE").await;
    let token = firm(&exporter);
    let vars = json!({"d": declaration(&exporter)});
    let before = app
        .gql_at(&other, Some(&token), APPLICABLE, vars.clone())
        .await;
    assert_eq!(before["data"]["applicablePolicies"], json!([]));

    app.ok(Some(&lead), PUBLISH, json!({"id": id})).await;
    let published_at = Instant::now();
    loop {
        let served = app
            .gql_at(&other, Some(&token), APPLICABLE, vars.clone())
            .await;
        if served["data"]["applicablePolicies"][0]["policy"]["code"] == "SZ-ELSEWHERE" {
            break;
        }
        assert!(
            published_at.elapsed() < Duration::from_secs(2),
            "not served within 2 s: {served}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_policy_starting_tomorrow_is_served_from_midnight_in_the_configured_zone() {
    // 23:30 in Shanghai on 2026-11-25.
    let evening: DateTime<Utc> = "2026-11-25T15:30:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(evening));
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    let exporter = filing_world(&app).await;
    let mut input = policy_input("SZ-TOMORROW", "SZ-COMMERCE", "Starts tomorrow");
    input["effectiveFrom"] = json!("2026-11-26");
    input["effectiveTo"] = json!("2026-11-26");
    let created = app
        .ok(Some(&admin()), CREATE, json!({"input": input}))
        .await;
    app.ok(
        Some(&admin()),
        PUBLISH,
        json!({"id": created["createPolicy"]["id"]}),
    )
    .await;
    let token = firm(&exporter);
    let vars = json!({"d": declaration(&exporter)});
    let today = app.ok(Some(&token), APPLICABLE, vars.clone()).await;
    assert_eq!(
        today["applicablePolicies"],
        json!([]),
        "not before midnight"
    );

    clock.set("2026-11-25T16:00:01Z".parse().unwrap());
    let tomorrow = app.ok(Some(&token), APPLICABLE, vars.clone()).await;
    assert_eq!(
        tomorrow["applicablePolicies"][0]["policy"]["code"],
        "SZ-TOMORROW"
    );

    clock.set("2026-11-26T16:00:01Z".parse().unwrap());
    let after = app.ok(Some(&token), APPLICABLE, vars).await;
    assert_eq!(
        after["applicablePolicies"],
        json!([]),
        "ended at the next midnight"
    );
}

#[tokio::test]
async fn an_import_writes_everything_or_nothing() {
    use policy_outreach::auth::Viewer;
    use policy_outreach::policy::import;
    let app = TestApp::spawn().await;
    departments(&app).await;
    let regions = policy_outreach::region::load(&app.db).await.unwrap();
    let actor = Viewer::Admin {
        subject: "import".into(),
    };
    let good =
        |code: &str| json!({"publish": true, "policy": policy_input(code, "SZ-COMMERCE", "t")});
    let mut bad = good("IMP-3");
    bad["policy"]["coIssuers"] = json!(["NOPE"]);
    bad["policy"]["eligibility"] =
        json!({"all": [{"fact": "firm.size", "op": "eq", "value": "HUGE"}]});
    let file = json!([good("IMP-1"), good("IMP-1"), bad]).to_string();
    let entries = import::parse(&file).unwrap();
    let err = import::import(&app.db, &regions, entries, false, &actor, Utc::now())
        .await
        .unwrap_err();
    let policy_outreach::error::AppError::BadUserInput(errors) = err else {
        panic!("{err:?}")
    };
    let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "[1].policy.code",
            "[2].policy.coIssuers[0]",
            "[2].policy.eligibility.all[0].value"
        ]
    );
    let count = app
        .ok(
            Some(&admin()),
            "{ policies(filter: {status: DRAFT}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(count["policies"]["totalCount"], 0);

    let file = json!([good("IMP-1"), {"policy": policy_input("IMP-2", "PBOC", "t")}]).to_string();
    let imported = import::import(
        &app.db,
        &regions,
        import::parse(&file).unwrap(),
        false,
        &actor,
        Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!((imported.created, imported.published), (2, 1));
    assert!(import::parse("[{\"policy\": {}, \"extra\": 1}]").is_err());
}

#[tokio::test]
async fn a_published_policy_keeps_its_code_and_lead() {
    let app = TestApp::spawn().await;
    departments(&app).await;
    let lead = department("SZ-COMMERCE");
    let id = create_as(&app, &lead, "SZ-FIXED").await;
    app.ok(
        Some(&lead),
        UPDATE,
        json!({"id": id, "input": edited("SZ-RENAMED", "Draft")}),
    )
    .await;
    app.ok(Some(&lead), PUBLISH, json!({"id": id})).await;
    let renamed = app
        .gql(
            Some(&lead),
            UPDATE,
            json!({"id": id, "input": edited("SZ-AGAIN", "x")}),
        )
        .await;
    assert_eq!(error_fields(&renamed), ["input.code"]);
    let mut relead = edited("SZ-RENAMED", "x");
    relead["leadIssuer"] = json!("PBOC");
    let response = app
        .gql(Some(&admin()), UPDATE, json!({"id": id, "input": relead}))
        .await;
    assert_eq!(error_fields(&response), ["input.leadIssuer"]);
}

#[tokio::test]
async fn policy_department_and_firm_writes_are_stamped_by_the_service_clock() {
    use policy_outreach::entity::{department, firm, policy_audit, policy_version};
    use sea_orm::EntityTrait;

    let at: DateTime<Utc> = "2030-01-02T03:04:05Z".parse().unwrap();
    let app = TestApp::spawn_with_clock(Arc::new(ManualClock::new(at))).await;
    create_departments(&app, &[("SZ-COMMERCE", Some("440300"))]).await;
    sync_firms(&app, json!([firm_input(&uscc("440305", 1), "440305")])).await;
    let id = create_policy(&app, policy_input("CLOCK-1", "SZ-COMMERCE", "Clock"), true).await;

    let departments = department::Entity::find().all(&app.db).await.unwrap();
    assert!(
        departments
            .iter()
            .all(|d| d.created_at == at && d.updated_at == at)
    );
    let firms = firm::Entity::find().all(&app.db).await.unwrap();
    assert!(
        firms
            .iter()
            .all(|f| f.created_at == at && f.updated_at == at)
    );
    let version = policy_version::Entity::find_by_id((id, 1))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((version.created_at, version.published_at), (at, Some(at)));
    let audit = policy_audit::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(audit.len(), 2, "create and publish");
    assert!(audit.iter().all(|a| a.created_at == at));
}
