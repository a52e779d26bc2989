use serde_json::{Value, json};

use crate::helpers::{
    TestApp, admin, create_departments, create_policy, department, error_code, error_fields,
    policy_input,
};

const CODES: &str = "query($filter: PolicyFilter, $first: Int, $after: String) {
    policies(filter: $filter, first: $first, after: $after) {
        totalCount pageInfo { hasNextPage endCursor } edges { node { code } }
    }
}";

fn codes(data: &Value) -> Vec<String> {
    data["policies"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["code"].as_str().unwrap().to_owned())
        .collect()
}

/// Four published policies and one draft, across regions, departments and kinds.
async fn catalog() -> TestApp {
    let app = TestApp::spawn().await;
    create_departments(
        &app,
        &[
            ("MOFCOM", None),
            ("PBOC", None),
            ("SZ-COMMERCE", Some("440300")),
            ("GD-COMMERCE", Some("440000")),
        ],
    )
    .await;
    let mut national = policy_input(
        "NATIONAL-CREDIT",
        "PBOC",
        "Cheaper credit for small traders",
    );
    national["coIssuers"] = json!(["MOFCOM"]);
    national["benefitKind"] = json!("CREDIT");
    create_policy(&app, national, true).await;

    let mut guangdong = policy_input("GD-SUBSIDY", "GD-COMMERCE", "Guangdong premium subsidy");
    guangdong["regions"] = json!(["440000"]);
    create_policy(&app, guangdong, true).await;

    let mut shenzhen = policy_input(
        "SZ-INSURANCE",
        "SZ-COMMERCE",
        "Shenzhen export credit INSURANCE",
    );
    shenzhen["regions"] = json!(["440300"]);
    shenzhen["benefitKind"] = json!("INSURANCE");
    shenzhen["effectiveFrom"] = json!("2026-01-01");
    shenzhen["effectiveTo"] = json!("2026-06-30");
    shenzhen["eligibility"] = json!({"all": [
        {"fact": "firm.region", "op": "within", "value": "440300"},
        {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000}
    ]});
    create_policy(&app, shenzhen, true).await;

    let mut guangzhou = policy_input("GZ-FEES", "GD-COMMERCE", "Guangzhou port fees waived");
    guangzhou["regions"] = json!(["440100"]);
    guangzhou["benefitKind"] = json!("FEE_REDUCTION");
    create_policy(&app, guangzhou, true).await;

    let draft = policy_input("SZ-DRAFT", "SZ-COMMERCE", "Shenzhen draft");
    create_policy(&app, draft, false).await;
    app
}

#[tokio::test]
async fn anonymous_callers_see_published_policies_only() {
    let app = catalog().await;
    let data = app.ok(None, CODES, json!({})).await;
    assert_eq!(data["policies"]["totalCount"], 4);
    assert_eq!(
        codes(&data),
        ["GZ-FEES", "SZ-INSURANCE", "GD-SUBSIDY", "NATIONAL-CREDIT"]
    );

    let drafts = app
        .ok(None, CODES, json!({"filter": {"status": "DRAFT"}}))
        .await;
    assert_eq!(drafts["policies"]["totalCount"], 0);
}

#[tokio::test]
async fn drafts_are_listed_for_their_issuer_and_admin_only() {
    let app = catalog().await;
    let filter = json!({"filter": {"status": "DRAFT"}});
    let own = app
        .ok(Some(&department("SZ-COMMERCE")), CODES, filter.clone())
        .await;
    assert_eq!(codes(&own), ["SZ-DRAFT"]);
    let other = app
        .ok(Some(&department("GD-COMMERCE")), CODES, filter.clone())
        .await;
    assert_eq!(codes(&other), Vec::<String>::new());
    let all = app.ok(Some(&admin()), CODES, filter).await;
    assert_eq!(codes(&all), ["SZ-DRAFT"]);
}

#[tokio::test]
async fn the_region_filter_keeps_policies_that_cover_a_firm_there() {
    let app = catalog().await;
    let nanshan = app
        .ok(None, CODES, json!({"filter": {"region": "440305"}}))
        .await;
    assert_eq!(
        codes(&nanshan),
        ["SZ-INSURANCE", "GD-SUBSIDY", "NATIONAL-CREDIT"]
    );
    let tianhe = app
        .ok(None, CODES, json!({"filter": {"region": "440106"}}))
        .await;
    assert_eq!(codes(&tianhe), ["GZ-FEES", "GD-SUBSIDY", "NATIONAL-CREDIT"]);
    let beijing = app
        .ok(None, CODES, json!({"filter": {"region": "110105"}}))
        .await;
    assert_eq!(codes(&beijing), ["NATIONAL-CREDIT"]);
}

#[tokio::test]
async fn filters_by_department_kind_date_and_words_combine() {
    let app = catalog().await;
    let by_co_issuer = app
        .ok(None, CODES, json!({"filter": {"department": "MOFCOM"}}))
        .await;
    assert_eq!(codes(&by_co_issuer), ["NATIONAL-CREDIT"]);
    let by_kind = app
        .ok(None, CODES, json!({"filter": {"benefitKind": "INSURANCE"}}))
        .await;
    assert_eq!(codes(&by_kind), ["SZ-INSURANCE"]);
    let in_july = app
        .ok(None, CODES, json!({"filter": {"inEffectOn": "2026-07-01"}}))
        .await;
    assert!(!codes(&in_july).contains(&"SZ-INSURANCE".to_owned()));
    assert_eq!(in_july["policies"]["totalCount"], 3);
    let words = app
        .ok(
            None,
            CODES,
            json!({"filter": {"search": "insurance", "region": "440305"}}),
        )
        .await;
    assert_eq!(
        codes(&words),
        ["SZ-INSURANCE"],
        "case-insensitive, in the English title"
    );
    let chinese = app
        .ok(None, CODES, json!({"filter": {"search": "GZ-FEES政策"}}))
        .await;
    assert_eq!(codes(&chinese), ["GZ-FEES"]);
    let wildcard = app
        .ok(None, CODES, json!({"filter": {"search": "%"}}))
        .await;
    assert_eq!(
        wildcard["policies"]["totalCount"], 0,
        "% is a character, not a wildcard"
    );
}

#[tokio::test]
async fn pages_follow_the_cursor_without_overlap() {
    let app = catalog().await;
    let first = app.ok(None, CODES, json!({"first": 3})).await;
    assert_eq!(first["policies"]["pageInfo"]["hasNextPage"], true);
    let cursor = first["policies"]["pageInfo"]["endCursor"].clone();
    let second = app
        .ok(None, CODES, json!({"first": 3, "after": cursor}))
        .await;
    assert_eq!(second["policies"]["totalCount"], 4);
    assert_eq!(second["policies"]["pageInfo"]["hasNextPage"], false);
    let mut all = codes(&first);
    all.extend(codes(&second));
    assert_eq!(
        all,
        ["GZ-FEES", "SZ-INSURANCE", "GD-SUBSIDY", "NATIONAL-CREDIT"]
    );
}

#[tokio::test]
async fn page_sizes_and_filters_out_of_range_name_the_argument() {
    let app = catalog().await;
    for first in [0, 101, -1] {
        let response = app.gql(None, CODES, json!({"first": first})).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "first = {first}");
        assert_eq!(error_fields(&response), ["first"]);
    }
    let response = app.gql(None, CODES, json!({"after": "garbage"})).await;
    assert_eq!(error_fields(&response), ["after"]);
    let response = app
        .gql(
            None,
            CODES,
            json!({"filter": {"region": "999999", "department": "bad code"}}),
        )
        .await;
    assert_eq!(
        error_fields(&response),
        ["filter.region", "filter.department"]
    );
}

const POLICY: &str = "query($id: ID!, $version: Int) {
    policy(id: $id, version: $version) {
        code status version title titleZh summary leadIssuer { code } issuers { code }
        regions { code name } eligibility eligibilityText effectiveFrom effectiveTo publishedAt
    }
}";

#[tokio::test]
async fn a_policy_reads_in_the_callers_language_with_its_rule_in_words() {
    let app = catalog().await;
    let list = app
        .ok(None, CODES, json!({"filter": {"benefitKind": "INSURANCE"}}))
        .await;
    assert_eq!(codes(&list), ["SZ-INSURANCE"]);
    let id = app
        .ok(
            None,
            "{ policies(filter: {benefitKind: INSURANCE}) { edges { node { id } } } }",
            json!({}),
        )
        .await["policies"]["edges"][0]["node"]["id"]
        .clone();

    let response: Value = app
        .client
        .post(app.url("/graphql"))
        .header("accept-language", "en-GB,en;q=0.9")
        .json(&json!({"query": POLICY, "variables": {"id": id}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let policy = &response["data"]["policy"];
    assert_eq!(policy["title"], "Shenzhen export credit INSURANCE");
    assert_eq!(policy["titleZh"], "SZ-INSURANCE政策");
    assert_eq!(policy["status"], "PUBLISHED");
    assert_eq!(policy["version"], 1);
    assert_eq!(policy["leadIssuer"]["code"], "SZ-COMMERCE");
    assert_eq!(
        policy["regions"],
        json!([{"code": "440300", "name": "深圳市"}])
    );
    assert_eq!(
        policy["eligibilityText"],
        "registered in 深圳市 and previous-year exports below US$8,000,000"
    );
    assert_eq!(policy["eligibility"]["all"][1]["value"], 8000000);
    assert_eq!(policy["effectiveTo"], "2026-06-30");
    assert!(
        policy["publishedAt"]
            .as_str()
            .is_some_and(|t| t.contains('T'))
    );

    let chinese = app.ok(None, POLICY, json!({"id": id})).await;
    assert_eq!(
        chinese["policy"]["title"], "SZ-INSURANCE政策",
        "Chinese without Accept-Language"
    );
}

#[tokio::test]
async fn a_draft_is_invisible_to_outsiders_and_history_is_for_issuers() {
    let app = catalog().await;
    let draft_id = app
        .ok(
            Some(&admin()),
            "{ policies(filter: {status: DRAFT}) { edges { node { id } } } }",
            json!({}),
        )
        .await["policies"]["edges"][0]["node"]["id"]
        .clone();
    let outsider = app.ok(None, POLICY, json!({"id": draft_id})).await;
    assert_eq!(outsider["policy"], Value::Null, "no sign that it exists");
    let other_department = app
        .ok(Some(&department("PBOC")), POLICY, json!({"id": draft_id}))
        .await;
    assert_eq!(other_department["policy"], Value::Null);
    let issuer = app
        .ok(
            Some(&department("SZ-COMMERCE")),
            POLICY,
            json!({"id": draft_id}),
        )
        .await;
    assert_eq!(issuer["policy"]["status"], "DRAFT");
    let code = crate::helpers::uscc("440305", 1);
    for token in [
        crate::helpers::firm(&code),
        crate::helpers::broker(&code),
        crate::helpers::system(),
    ] {
        let data = app.ok(Some(&token), POLICY, json!({"id": draft_id})).await;
        assert_eq!(
            data["policy"],
            Value::Null,
            "drafts are for their issuers and ADMIN"
        );
        let listed = app
            .ok(Some(&token), CODES, json!({"filter": {"status": "DRAFT"}}))
            .await;
        assert_eq!(listed["policies"]["totalCount"], 0);
    }
    let admin_sees = app
        .ok(Some(&admin()), POLICY, json!({"id": draft_id}))
        .await;
    assert_eq!(admin_sees["policy"]["status"], "DRAFT");

    let history = "query($id: ID!) { policy(id: $id) { versions { version status } } }";
    let published_id = app
        .ok(
            None,
            "{ policies(filter: {benefitKind: CREDIT}) { edges { node { id } } } }",
            json!({}),
        )
        .await["policies"]["edges"][0]["node"]["id"]
        .clone();
    for token in [
        None,
        Some(crate::helpers::firm(&code)),
        Some(crate::helpers::system()),
        Some(department("GD-COMMERCE")),
    ] {
        let refused = app
            .gql(token.as_deref(), history, json!({"id": published_id}))
            .await;
        assert_eq!(error_code(&refused), "FORBIDDEN");
    }
    let co_issuer = app
        .ok(
            Some(&department("MOFCOM")),
            history,
            json!({"id": published_id}),
        )
        .await;
    assert_eq!(
        co_issuer["policy"]["versions"],
        json!([{"version": 1, "status": "PUBLISHED"}])
    );

    let other_version = app
        .gql(None, POLICY, json!({"id": published_id, "version": 2}))
        .await;
    assert_eq!(error_code(&other_version), "FORBIDDEN");
    let missing_version = app
        .ok(
            Some(&admin()),
            POLICY,
            json!({"id": published_id, "version": 2}),
        )
        .await;
    assert_eq!(missing_version["policy"], Value::Null);
}

#[tokio::test]
async fn an_unknown_or_malformed_policy_id_is_null_or_named() {
    let app = catalog().await;
    let unknown = app
        .ok(
            None,
            POLICY,
            json!({"id": uuid::Uuid::now_v7().to_string()}),
        )
        .await;
    assert_eq!(unknown["policy"], Value::Null);
    let malformed = app.gql(None, POLICY, json!({"id": "42"})).await;
    assert_eq!(error_fields(&malformed), ["id"]);
}

#[tokio::test]
async fn the_demo_holds_realistic_policies_firms_and_brokers() {
    let app = TestApp::spawn().await;
    let seeded = policy_outreach_demo::seed(&app.db, chrono_tz::Tz::Asia__Shanghai)
        .await
        .unwrap();
    assert!(seeded.policies >= 12, "{seeded:?}");
    assert!(seeded.firms >= 300, "{seeded:?}");
    use sea_orm::{EntityTrait, PaginatorTrait};
    let deliveries = crate::helpers::stored_deliveries(&app.db).await.len();
    let answers = policy_outreach::entity::acknowledgement::Entity::find()
        .count(&app.db)
        .await
        .unwrap();
    assert!(
        deliveries > 300 && answers > 100,
        "{deliveries} deliveries, {answers} acknowledgements"
    );
    let again = policy_outreach_demo::seed(&app.db, chrono_tz::Tz::Asia__Shanghai)
        .await
        .unwrap();
    assert!(again.already_seeded);
    assert_eq!(again.firms, seeded.firms, "seeding twice adds nothing");

    // Seeded beside the running instance, as by another instance: its catalog poll serves the
    // new policies within a second.
    let mut data = json!({});
    for _ in 0..50 {
        data = app
            .ok(
                None,
                "{ policies(first: 100) { totalCount edges { node { code eligibilityText } } } }",
                json!({}),
            )
            .await;
        if codes(&data).contains(&"SZ-ECI-2026".to_owned()) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(codes(&data).contains(&"SZ-ECI-2026".to_owned()));
    let broker = crate::helpers::broker(&seeded.broker);
    let query = "query($uscc: String!) { firm(uscc: $uscc) { name brokers { uscc } } }";
    let client = app
        .ok(Some(&broker), query, json!({"uscc": seeded.firm}))
        .await;
    assert_eq!(client["firm"]["brokers"][0]["uscc"], seeded.broker.as_str());

    // The demo's firms filed as the filing path records it: the estimate finds some active in
    // the last 30 days, never more than the firms that filed in that time.
    let estimate = app
        .ok(
            Some(&admin()),
            "{ audienceEstimate(eligibility: {all: []}) { firms activeLast30Days } }",
            json!({}),
        )
        .await["audienceEstimate"]
        .clone();
    let filed_lately = crate::helpers::stored_deliveries(&app.db)
        .await
        .iter()
        .filter(|d| {
            matches!(d.channel.as_str(), "SINGLE_WINDOW" | "BROKER")
                && d.delivered_at > chrono::Utc::now() - chrono::Duration::days(30)
        })
        .map(|d| d.firm_uscc.clone())
        .collect::<std::collections::HashSet<_>>()
        .len();
    let active = estimate["activeLast30Days"].as_u64().unwrap();
    assert!(active > 0, "{estimate}");
    assert!(
        active as usize <= filed_lately,
        "{estimate}: {filed_lately} filed lately"
    );
}

#[tokio::test]
async fn every_role_reads_the_published_catalog_and_its_policies() {
    let app = catalog().await;
    let code = crate::helpers::uscc("440305", 1);
    let published = app
        .ok(
            None,
            "{ policies(filter: {benefitKind: CREDIT}) { edges { node { id } } } }",
            json!({}),
        )
        .await["policies"]["edges"][0]["node"]["id"]
        .clone();
    let tokens = [
        None,
        Some(crate::helpers::firm(&code)),
        Some(crate::helpers::broker(&code)),
        Some(department("PBOC")),
        Some(crate::helpers::system()),
        Some(admin()),
    ];
    for token in tokens {
        let list = app.ok(token.as_deref(), CODES, json!({})).await;
        assert_eq!(list["policies"]["totalCount"], 4);
        let one = app
            .ok(token.as_deref(), POLICY, json!({"id": published}))
            .await;
        assert_eq!(one["policy"]["code"], "NATIONAL-CREDIT");
    }
}

/// The filters, combinations and pages the catalog answers: each read from the live catalog
/// (through GraphQL) must equal the same read from the database.
#[tokio::test]
async fn the_catalog_read_from_memory_answers_as_the_database_does() {
    use policy_outreach::auth::Viewer;
    use policy_outreach::policy::{PolicyFilterSpec, catalog};
    let app = catalog().await;
    let regions = policy_outreach::region::load(&app.db).await.unwrap();
    let filters = [
        json!({}),
        json!({"region": "440305"}),
        json!({"region": "440106", "benefitKind": "FEE_REDUCTION"}),
        json!({"region": "110105"}),
        json!({"department": "GD-COMMERCE"}),
        json!({"department": "MOFCOM", "region": "440300"}),
        json!({"benefitKind": "INSURANCE", "inEffectOn": "2026-03-01"}),
        json!({"inEffectOn": "2026-07-01"}),
        json!({"search": "shenzhen"}),
        json!({"search": "FEES政策"}),
        json!({"search": "_"}),
        json!({"status": "PUBLISHED", "search": "premium"}),
    ];
    for filter in filters {
        for (first, offset) in [(20, 0), (2, 0), (2, 2), (1, 3)] {
            let after = (offset > 0).then(|| {
                use async_graphql::connection::CursorType;
                async_graphql::connection::OpaqueCursor(offset - 1).encode_cursor()
            });
            let data = app
                .ok(
                    None,
                    CODES,
                    json!({"filter": filter, "first": first, "after": after}),
                )
                .await;
            let spec = PolicyFilterSpec {
                region: filter["region"].as_str().map(|r| regions.parse(r).unwrap()),
                department: filter["department"]
                    .as_str()
                    .map(|d| policy_outreach::department::DepartmentCode::parse(d).unwrap()),
                benefit_kind: filter["benefitKind"]
                    .as_str()
                    .map(|k| policy_outreach::policy::BenefitKind::parse(k).unwrap()),
                status: None,
                in_effect_on: filter["inEffectOn"].as_str().map(|d| d.parse().unwrap()),
                search: filter["search"].as_str().map(str::to_owned),
            };
            let (stored, total) =
                catalog::list(&app.db, &regions, &Viewer::Anonymous, &spec, offset, first)
                    .await
                    .unwrap();
            let stored: Vec<&str> = stored.iter().map(|v| v.policy.code.as_str()).collect();
            assert_eq!(
                codes(&data),
                stored,
                "{filter} first {first} after {offset}"
            );
            assert_eq!(data["policies"]["totalCount"], total, "{filter}");
        }
    }
}

/// Published policies at their live version are served without the database: they still answer
/// with the policy tables out of reach, while drafts (read from the database) do not.
#[tokio::test]
async fn published_policies_are_read_without_a_database_round_trip() {
    use sea_orm::ConnectionTrait;
    let app = catalog().await;
    let listed = app
        .ok(None, CODES, json!({"filter": {"region": "440305"}}))
        .await;
    let id = app
        .ok(
            None,
            "{ policies(filter: {benefitKind: CREDIT}) { edges { node { id } } } }",
            json!({}),
        )
        .await["policies"]["edges"][0]["node"]["id"]
        .clone();
    for (from, to) in [
        ("policy_version", "policy_version_away"),
        ("policy", "policy_away"),
    ] {
        app.db
            .execute_unprepared(&format!("ALTER TABLE {from} RENAME TO {to}"))
            .await
            .unwrap();
    }
    let again = app
        .ok(None, CODES, json!({"filter": {"region": "440305"}}))
        .await;
    assert_eq!(codes(&again), codes(&listed));
    let one = app.ok(None, POLICY, json!({"id": id})).await;
    assert_eq!(one["policy"]["code"], "NATIONAL-CREDIT");
    let drafts = app
        .gql(
            Some(&admin()),
            CODES,
            json!({"filter": {"status": "DRAFT"}}),
        )
        .await;
    assert_eq!(
        error_code(&drafts),
        "INTERNAL",
        "drafts are read from the database"
    );
    for (from, to) in [
        ("policy_away", "policy"),
        ("policy_version_away", "policy_version"),
    ] {
        app.db
            .execute_unprepared(&format!("ALTER TABLE {from} RENAME TO {to}"))
            .await
            .unwrap();
    }
}

/// A department renamed shows under its new name in the published catalog at once.
#[tokio::test]
async fn a_renamed_issuer_shows_in_the_catalog_at_once() {
    let app = catalog().await;
    let rename = "mutation { upsertDepartment(input: {code: \"PBOC\", nameZh: \"中国人民银行（新）\"}) { code } }";
    app.ok(Some(&admin()), rename, json!({})).await;
    let data = app
        .ok(
            None,
            "{ policies(filter: {benefitKind: CREDIT}) { edges { node { leadIssuer { nameZh } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["policies"]["edges"][0]["node"]["leadIssuer"]["nameZh"],
        "中国人民银行（新）"
    );
}
