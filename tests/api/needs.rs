//! What firms say they need: term counts, examples, filters, entries, the CSV export and every
//! permission, on a hand-built set of comments whose counts are known.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use policy_outreach::clock::{Clock, ManualClock};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, admin, broker, create_departments, create_policy, department, error_code,
    error_fields, firm, firm_input, policy_input, sync_firms, system, uscc,
};

const NEEDS: &str = "query($id: ID!, $from: Date, $to: Date, $response: Response, $term: String) {
  needs(policyId: $id, from: $from, to: $to, response: $response) {
    comments firms
    byResponse { response comments firms }
    terms(first: 10) { term firms share examples }
    entries(term: $term, first: 10) {
      totalCount
      nodes { comment response channel actorRole createdAt policy { code } firm { uscc name region { code } } }
    }
  }
}";

const DEPARTMENT_NEEDS: &str = "query($department: String) {
  departmentNeeds(department: $department) { comments firms terms(first: 50) { term firms } }
}";

struct Comments {
    app: TestApp,
    clock: Arc<ManualClock>,
    /// Led by GD-COMMERCE, co-issued by PBOC.
    p: String,
    /// Led by GD-COMMERCE.
    q: String,
    /// Led by SZ-CUSTOMS.
    r: String,
    firms: Vec<String>,
}

fn at(shanghai: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{shanghai}+08:00"))
        .unwrap()
        .with_timezone(&Utc)
}

impl Comments {
    /// Acknowledges `policy` for firm `i` as the firm, an hour after the previous one.
    async fn say(&self, policy: &str, i: usize, response: &str, comment: Option<&str>) {
        self.clock.set(self.clock.now() + Duration::hours(1));
        let data = self
            .app
            .ok(
                Some(&firm(&self.firms[i])),
                "mutation($input: AcknowledgementInput!) { acknowledgePolicy(input: $input) { id } }",
                json!({"input": {
                    "policyId": policy, "response": response, "comment": comment,
                    "idempotencyKey": format!("key-{}-{}", self.clock.now().timestamp(), i),
                }}),
            )
            .await;
        assert!(data["acknowledgePolicy"]["id"].is_string());
    }
}

/// Three policies, five firms, and what they wrote (days in Shanghai):
/// - on P, 2026-11-02: firm 0 "需要申请表模板" (WILL_APPLY); firm 0 again "申请表在哪里下载？"
///   (INTERESTED); firm 1 "申请表太复杂" (NOT_APPLICABLE); firm 2 "Need the application form
///   (申请表) in English" (WILL_APPLY); firm 4 answers SEEN without a comment;
/// - on P, 2026-11-04: firm 3 "不清楚是否适用转口贸易" (DISMISSED);
/// - on Q: firm 1 "模板格式不对，需要样例"; on R (another department's): firm 0 "申请表".
async fn comments() -> Comments {
    let clock = Arc::new(ManualClock::new(at("2026-11-02T08:00:00")));
    let app = TestApp::spawn_with_clock(clock.clone()).await;
    create_departments(
        &app,
        &[
            ("GD-COMMERCE", Some("440000")),
            ("PBOC", None),
            ("SZ-CUSTOMS", Some("440300")),
        ],
    )
    .await;
    let firms: Vec<String> = (1..=5).map(|n| uscc("440305", n)).collect();
    sync_firms(
        &app,
        Value::Array(firms.iter().map(|u| firm_input(u, "440305")).collect()),
    )
    .await;
    let mut input = policy_input("GD-NEEDS-P", "GD-COMMERCE", "Export credit insurance");
    input["coIssuers"] = json!(["PBOC"]);
    let p = create_policy(&app, input, true).await.to_string();
    let q = create_policy(
        &app,
        policy_input("GD-NEEDS-Q", "GD-COMMERCE", "Trade fair subsidy"),
        true,
    )
    .await
    .to_string();
    let r = create_policy(
        &app,
        policy_input("SZ-NEEDS-R", "SZ-CUSTOMS", "Port fee waiver"),
        true,
    )
    .await
    .to_string();
    let story = Comments {
        app,
        clock,
        p,
        q,
        r,
        firms,
    };
    let (p, q, r) = (story.p.clone(), story.q.clone(), story.r.clone());
    story.say(&p, 0, "WILL_APPLY", Some("需要申请表模板")).await;
    story
        .say(&p, 0, "INTERESTED", Some("申请表在哪里下载？"))
        .await;
    story
        .say(&p, 1, "NOT_APPLICABLE", Some("申请表太复杂"))
        .await;
    story
        .say(
            &p,
            2,
            "WILL_APPLY",
            Some("Need the application form (申请表) in English"),
        )
        .await;
    story.say(&p, 4, "SEEN", None).await;
    story
        .say(&q, 1, "INTERESTED", Some("模板格式不对，需要样例"))
        .await;
    story.say(&r, 0, "INTERESTED", Some("申请表")).await;
    story.clock.set(at("2026-11-04T10:00:00"));
    story
        .say(&p, 3, "DISMISSED", Some("不清楚是否适用转口贸易"))
        .await;
    story
}

fn term<'a>(needs: &'a Value, name: &str) -> Option<&'a Value> {
    needs["terms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["term"] == name)
}

#[tokio::test]
async fn terms_are_counted_once_per_firm_with_their_examples() {
    let story = comments().await;
    let data = story
        .app
        .ok(
            Some(&department("GD-COMMERCE")),
            NEEDS,
            json!({"id": story.p}),
        )
        .await;
    let needs = &data["needs"];
    assert_eq!(needs["comments"], 5, "{needs}");
    assert_eq!(needs["firms"], 4, "{needs}");
    assert_eq!(
        needs["byResponse"],
        json!([
            {"response": "INTERESTED", "comments": 1, "firms": 1},
            {"response": "WILL_APPLY", "comments": 2, "firms": 2},
            {"response": "NOT_APPLICABLE", "comments": 1, "firms": 1},
            {"response": "DISMISSED", "comments": 1, "firms": 1},
        ])
    );
    // 申请表: firms 0 (twice), 1 and 2, so 3 of the 4 commenting firms.
    let form = term(needs, "申请表").unwrap_or_else(|| panic!("no 申请表 in {needs}"));
    assert_eq!(form["firms"], 3);
    assert_eq!(form["share"], 0.75);
    assert_eq!(
        form["examples"],
        json!([
            "Need the application form (申请表) in English",
            "申请表太复杂",
            "申请表在哪里下载？"
        ]),
        "the three most recent comments that used it"
    );
    assert_eq!(needs["terms"][0]["term"], "申请表", "most firms first");
    for (name, firms) in [
        ("模板", 1),
        ("下载", 1),
        ("application", 1),
        ("转口贸易", 1),
    ] {
        assert_eq!(
            term(needs, name).unwrap()["firms"],
            firms,
            "{name}: {needs}"
        );
    }
    for stop in ["需要", "need", "the", "in", "是否", "？"] {
        assert!(
            term(needs, stop).is_none(),
            "stop word {stop} counted: {needs}"
        );
    }
    // Another policy's comments stay out: 样例 was written about Q.
    assert!(term(needs, "样例").is_none(), "{needs}");

    let entries = &needs["entries"];
    assert_eq!(entries["totalCount"], 5);
    let newest = &entries["nodes"][0];
    assert_eq!(newest["comment"], "不清楚是否适用转口贸易");
    assert_eq!(newest["response"], "DISMISSED");
    assert_eq!(newest["channel"], "SINGLE_WINDOW");
    assert_eq!(newest["actorRole"], "FIRM");
    assert_eq!(newest["policy"]["code"], "GD-NEEDS-P");
    assert_eq!(newest["firm"]["uscc"], story.firms[3]);
    assert_eq!(newest["firm"]["region"]["code"], "440305");
    let times: Vec<&str> = entries["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["createdAt"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest first");
}

#[tokio::test]
async fn the_window_the_response_and_a_term_narrow_what_is_counted() {
    let story = comments().await;
    let token = department("PBOC");
    let first_day = story
        .app
        .ok(
            Some(&token),
            NEEDS,
            json!({"id": story.p, "from": "2026-11-02", "to": "2026-11-02", "term": "申请表"}),
        )
        .await;
    let needs = &first_day["needs"];
    assert_eq!(
        (needs["comments"].clone(), needs["firms"].clone()),
        (json!(4), json!(3))
    );
    assert!(
        term(needs, "转口贸易").is_none(),
        "written on the 4th: {needs}"
    );
    assert_eq!(needs["entries"]["totalCount"], 4);
    for node in needs["entries"]["nodes"].as_array().unwrap() {
        assert!(
            node["comment"].as_str().unwrap().contains("申请表"),
            "{node}"
        );
    }

    let will_apply = story
        .app
        .ok(
            Some(&token),
            NEEDS,
            json!({"id": story.p, "response": "WILL_APPLY", "term": "模板"}),
        )
        .await;
    let needs = &will_apply["needs"];
    assert_eq!(
        (needs["comments"].clone(), needs["firms"].clone()),
        (json!(2), json!(2))
    );
    assert_eq!(term(needs, "申请表").unwrap()["firms"], 2);
    assert_eq!(term(needs, "申请表").unwrap()["share"], 1.0);
    assert!(
        term(needs, "复杂").is_none(),
        "NOT_APPLICABLE's word: {needs}"
    );
    assert_eq!(needs["entries"]["totalCount"], 1);
    assert_eq!(needs["entries"]["nodes"][0]["comment"], "需要申请表模板");

    // A term is looked up as it is stored: case and full-width letters do not matter.
    let english = story
        .app
        .ok(
            Some(&token),
            NEEDS,
            json!({"id": story.p, "term": "ＡＰＰＬＩＣＡＴＩＯＮ"}),
        )
        .await;
    assert_eq!(english["needs"]["entries"]["totalCount"], 1);
}

#[tokio::test]
async fn entries_page_newest_first_without_gaps_or_repeats() {
    let story = comments().await;
    let query = "query($id: ID!, $after: String) { needs(policyId: $id) {
        entries(first: 2, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { comment } } } }";
    let token = admin();
    let mut after = Value::Null;
    let mut seen = Vec::new();
    loop {
        let data = story
            .app
            .ok(Some(&token), query, json!({"id": story.p, "after": after}))
            .await;
        let page = &data["needs"]["entries"];
        assert_eq!(page["totalCount"], 5);
        for node in page["nodes"].as_array().unwrap() {
            seen.push(node["comment"].as_str().unwrap().to_owned());
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        seen,
        [
            "不清楚是否适用转口贸易",
            "Need the application form (申请表) in English",
            "申请表太复杂",
            "申请表在哪里下载？",
            "需要申请表模板",
        ]
    );
}

#[tokio::test]
async fn a_department_reads_the_needs_of_every_policy_it_issued() {
    let story = comments().await;
    let data = story
        .app
        .ok(
            Some(&department("GD-COMMERCE")),
            DEPARTMENT_NEEDS,
            json!({}),
        )
        .await;
    let needs = &data["departmentNeeds"];
    // P's five comments and Q's one; R is SZ-CUSTOMS'.
    assert_eq!(needs["comments"], 6, "{needs}");
    assert_eq!(needs["firms"], 4, "{needs}");
    assert_eq!(term(needs, "模板").unwrap()["firms"], 2, "{needs}");
    assert_eq!(term(needs, "申请表").unwrap()["firms"], 3, "{needs}");
    assert!(term(needs, "样例").is_some(), "{needs}");

    // A co-issuer sees the policy it co-issued only.
    let data = story
        .app
        .ok(Some(&department("PBOC")), DEPARTMENT_NEEDS, json!({}))
        .await;
    assert_eq!(data["departmentNeeds"]["comments"], 5);

    // SYSTEM and ADMIN name the department.
    for token in [system(), admin()] {
        let data = story
            .app
            .ok(
                Some(&token),
                DEPARTMENT_NEEDS,
                json!({"department": "SZ-CUSTOMS"}),
            )
            .await;
        assert_eq!(data["departmentNeeds"]["comments"], 1);
        assert_eq!(
            term(&data["departmentNeeds"], "申请表").unwrap()["firms"],
            1
        );
        let unnamed = story
            .app
            .gql(Some(&token), DEPARTMENT_NEEDS, json!({}))
            .await;
        assert_eq!(error_code(&unnamed), "BAD_USER_INPUT");
        assert_eq!(error_fields(&unnamed), ["department"]);
    }
}

#[tokio::test]
async fn only_issuers_system_and_admin_read_needs() {
    let story = comments().await;
    let app = &story.app;
    let by_policy = "query($id: ID!) { needs(policyId: $id) { comments } }";
    for token in [
        department("GD-COMMERCE"),
        department("PBOC"),
        system(),
        admin(),
    ] {
        let data = app
            .ok(Some(&token), by_policy, json!({"id": story.p}))
            .await;
        assert_eq!(data["needs"]["comments"], 5);
    }
    // (token, a department): a token is minted with the second it was made in, so two mints of
    // one department's token may differ; the kind of caller is kept beside it instead.
    for (token, is_department) in [
        (department("SZ-CUSTOMS"), true),
        (firm(&story.firms[0]), false),
        (broker(&story.firms[1]), false),
    ] {
        let refused = app
            .gql(Some(&token), by_policy, json!({"id": story.p}))
            .await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
        assert!(refused["data"].is_null(), "{refused}");
        // An unknown policy is refused alike: nothing tells it apart.
        let unknown = app
            .gql(Some(&token), by_policy, json!({"id": uuid::Uuid::nil()}))
            .await;
        if !is_department {
            assert_eq!(error_code(&unknown), "FORBIDDEN", "{unknown}");
        }
    }
    let anonymous = app.gql(None, by_policy, json!({"id": story.p})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    let by_department = "query($d: String) { departmentNeeds(department: $d) { comments } }";
    let other = app
        .gql(
            Some(&department("PBOC")),
            by_department,
            json!({"d": "GD-COMMERCE"}),
        )
        .await;
    assert_eq!(error_code(&other), "FORBIDDEN", "{other}");
    let own = app
        .ok(
            Some(&department("PBOC")),
            by_department,
            json!({"d": "PBOC"}),
        )
        .await;
    assert_eq!(own["departmentNeeds"]["comments"], 5);
    for token in [firm(&story.firms[0]), broker(&story.firms[1])] {
        let refused = app
            .gql(Some(&token), by_department, json!({"d": "PBOC"}))
            .await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    }
    let unknown = app
        .gql(Some(&admin()), by_department, json!({"d": "NO-SUCH-DEPT"}))
        .await;
    assert_eq!(error_code(&unknown), "NOT_FOUND", "{unknown}");
    let _ = (&story.q, &story.r);
}

#[tokio::test]
async fn bad_arguments_are_refused_by_name() {
    let story = comments().await;
    let token = admin();
    let app = &story.app;
    let reversed = app
        .gql(
            Some(&token),
            "query($id: ID!) { needs(policyId: $id, from: \"2026-11-04\", to: \"2026-11-02\") { comments } }",
            json!({"id": story.p}),
        )
        .await;
    assert_eq!(error_code(&reversed), "BAD_USER_INPUT");
    assert_eq!(error_fields(&reversed), ["to"]);
    let long = "申".repeat(65);
    let too_long = app
        .gql(
            Some(&token),
            "query($id: ID!, $t: String) { needs(policyId: $id) { entries(term: $t) { totalCount } } }",
            json!({"id": story.p, "t": long}),
        )
        .await;
    assert_eq!(error_code(&too_long), "BAD_USER_INPUT", "{too_long}");
    assert_eq!(error_fields(&too_long), ["term"]);
    let unknown_response = app
        .gql(
            Some(&token),
            "query($id: ID!) { needs(policyId: $id, response: MAYBE) { comments } }",
            json!({"id": story.p}),
        )
        .await;
    assert!(unknown_response["errors"].is_array(), "{unknown_response}");
    assert!(
        unknown_response["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("response"),
        "{unknown_response}"
    );
    let bad_first = app
        .gql(
            Some(&token),
            "query($id: ID!) { needs(policyId: $id) { terms(first: 0) { term } } }",
            json!({"id": story.p}),
        )
        .await;
    assert_eq!(error_fields(&bad_first), ["first"]);
}

#[tokio::test]
async fn the_csv_lists_every_comment_newest_first() {
    let story = comments().await;
    let url = story
        .app
        .url(&format!("/exports/policies/{}/needs.csv", story.p));
    let response = story
        .app
        .client
        .get(&url)
        .bearer_auth(department("GD-COMMERCE"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("GD-NEEDS-P-needs.csv")
    );
    let text = response.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "created_at",
            "uscc",
            "name",
            "region_code",
            "response",
            "channel",
            "comment"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 5);
    assert_eq!(&rows[0][1], story.firms[3]);
    assert_eq!(&rows[0][3], "440305");
    assert_eq!(&rows[0][4], "DISMISSED");
    assert_eq!(&rows[0][5], "SINGLE_WINDOW");
    assert_eq!(&rows[0][6], "不清楚是否适用转口贸易");
    assert_eq!(&rows[4][6], "需要申请表模板");
    assert!(rows[0][2].starts_with("测试企业"));

    let filtered = story
        .app
        .client
        .get(format!("{url}?term=%E6%A8%A1%E6%9D%BF&response=WILL_APPLY"))
        .bearer_auth(admin())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows: Vec<csv::StringRecord> =
        csv::Reader::from_reader(filtered.trim_start_matches('\u{feff}').as_bytes())
            .records()
            .map(Result::unwrap)
            .collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][6], "需要申请表模板");

    for (token, status) in [
        (department("SZ-CUSTOMS"), 403),
        (firm(&story.firms[0]), 403),
    ] {
        let refused = story
            .app
            .client
            .get(&url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), status);
    }
    let anonymous = story.app.client.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let bad = story
        .app
        .client
        .get(format!("{url}?from=yesterday"))
        .bearer_auth(admin())
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("from"));
}

#[tokio::test]
async fn comments_stored_before_their_terms_were_extracted_are_caught_up_on_start() {
    let story = comments().await;
    // As if written before the terms existed: no terms, no extraction version.
    use sea_orm::ConnectionTrait;
    story
        .app
        .db
        .execute_unprepared("DELETE FROM need_term")
        .await
        .unwrap();
    story
        .app
        .db
        .execute_unprepared("DELETE FROM need_term_tally")
        .await
        .unwrap();
    story
        .app
        .db
        .execute_unprepared("UPDATE acknowledgement SET terms_version = NULL")
        .await
        .unwrap();
    let caught_up = policy_outreach::needs::store::catch_up(&story.app.db)
        .await
        .unwrap();
    assert_eq!(
        caught_up, 7,
        "every comment, none of the comment-less answers"
    );
    let data = story
        .app
        .ok(Some(&admin()), NEEDS, json!({"id": story.p}))
        .await;
    assert_eq!(term(&data["needs"], "申请表").unwrap()["firms"], 3);
    // Nothing left to do the next time.
    let again = policy_outreach::needs::store::catch_up(&story.app.db)
        .await
        .unwrap();
    assert_eq!(again, 0);
}

/// The figures of one policy since publication come from its kept tallies; over a window that
/// holds every comment they are counted from the rows. Both must say the same, with and without
/// a response, and after more comments (one firm repeating a term, another using it first).
#[tokio::test]
async fn kept_tallies_say_what_counting_the_comments_says() {
    let story = comments().await;
    let token = department("GD-COMMERCE");
    let agree = |response: Option<&str>| {
        let (app, p, token) = (&story.app, story.p.clone(), token.clone());
        let response = response.map(str::to_owned);
        async move {
            let kept = app
                .ok(Some(&token), NEEDS, json!({"id": p, "response": response}))
                .await["needs"]
                .clone();
            let counted = app
                .ok(
                    Some(&token),
                    NEEDS,
                    json!({"id": p, "response": response, "from": "2026-01-01", "to": "2026-12-31"}),
                )
                .await["needs"]
                .clone();
            for field in ["comments", "firms", "byResponse", "terms"] {
                assert_eq!(kept[field], counted[field], "{field} ({response:?})");
            }
            kept
        }
    };
    let all = agree(None).await;
    assert_eq!(
        (all["comments"].clone(), all["firms"].clone()),
        (json!(5), json!(4))
    );
    assert_eq!(term(&all, "申请表").unwrap()["firms"], 3);
    let will = agree(Some("WILL_APPLY")).await;
    assert_eq!(
        (will["comments"].clone(), will["firms"].clone()),
        (json!(2), json!(2))
    );

    let p = story.p.clone();
    story.say(&p, 0, "APPLIED", Some("申请表已提交")).await;
    story
        .say(&p, 3, "INTERESTED", Some("申请表模板在哪里"))
        .await;
    let more = agree(None).await;
    assert_eq!(
        (more["comments"].clone(), more["firms"].clone()),
        (json!(7), json!(4))
    );
    assert_eq!(
        term(&more, "申请表").unwrap()["firms"],
        4,
        "firm 0 again counts once, firm 3 for the first time"
    );
    agree(Some("INTERESTED")).await;
    agree(Some("APPLIED")).await;
}

/// Migration 10 counts the tallies of the comments already stored; its `down` drops them.
#[tokio::test]
async fn the_tallies_migration_counts_what_was_stored_before() {
    use sea_orm::ConnectionTrait;
    let story = comments().await;
    let token = admin();
    let read = || story.app.ok(Some(&token), NEEDS, json!({"id": story.p}));
    let before = read().await;
    let db = &story.app.db;
    let status = policy_outreach::db::migration_status(db).await.unwrap();
    let at = status
        .iter()
        .position(|(name, _)| name.ends_with("000010_need_tallies"))
        .unwrap_or_else(|| panic!("no migration 10 in {status:?}"));
    let steps = u32::try_from(status.len() - at).unwrap();
    policy_outreach::db::migrate_down(db, Some(steps))
        .await
        .unwrap();
    assert!(
        db.execute_unprepared("SELECT COUNT(*) FROM need_term_tally")
            .await
            .is_err()
    );
    policy_outreach::db::migrate_up(db).await.unwrap();
    assert_eq!(read().await, before);
    assert_eq!(term(&before["needs"], "申请表").unwrap()["firms"], 3);
}
