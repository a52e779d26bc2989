//! What a caller may not see is refused exactly like what does not exist: drafts like missing
//! policies, hidden firms like firms never synced.

use serde_json::{Value, json};

use super::table::*;
use super::world::*;
use crate::helpers::{department, error_code, uscc};

/// An operation, its document and its variables for the id or code it is asked about.
type Probe<'a> = (&'static str, &'static str, Box<dyn Fn(&str) -> Value + 'a>);

/// A normalised response: the id or code the caller sent replaced, so two answers compare.
fn normalised(response: &Value, sent: &str, placeholder: &str) -> String {
    response.to_string().replace(sent, placeholder)
}

/// Everyone who may not see a draft: all but its issuers and ADMIN.
const OUTSIDERS: [Caller; 7] = [
    Anonymous,
    FirmItself,
    OtherFirm,
    EntrustedBroker,
    OtherBroker,
    OtherDepartment,
    System,
];

/// Every operation that takes a policy id, asked about firm `c` where it needs a firm.
fn policy_probes<'a>(c: &'a str, edit: &'a Value) -> [Probe<'a>; 11] {
    [
        (
            "policy(id)",
            POLICY,
            Box::new(move |id: &str| json!({"id": id})),
        ),
        (
            "policy(id, version: 1)",
            POLICY,
            Box::new(move |id: &str| json!({"id": id, "version": 1})),
        ),
        (
            "eligibility",
            ELIGIBILITY,
            Box::new(move |id: &str| json!({"policy": id, "firm": c})),
        ),
        (
            "acknowledgePolicy",
            ACKNOWLEDGE,
            Box::new(
                move |id: &str| json!({"input": {"policyId": id, "firmUscc": c, "response": "SEEN", "idempotencyKey": "probe-draft-1"}}),
            ),
        ),
        (
            "recordDeliveries",
            RECORD,
            Box::new(
                move |id: &str| json!({"input": {"policyId": id, "channel": "SMS", "firmUsccs": [c]}}),
            ),
        ),
        (
            "outreach",
            OUTREACH,
            Box::new(move |id: &str| json!({"policy": id})),
        ),
        (
            "unreachedFirms",
            UNREACHED,
            Box::new(move |id: &str| json!({"policy": id})),
        ),
        (
            "brokerLeverage",
            LEVERAGE,
            Box::new(move |id: &str| json!({"policy": id})),
        ),
        (
            "updatePolicy",
            UPDATE,
            Box::new(move |id: &str| json!({"id": id, "input": edit})),
        ),
        (
            "publishPolicy",
            PUBLISH,
            Box::new(move |id: &str| json!({"id": id})),
        ),
        (
            "retirePolicy",
            RETIRE,
            Box::new(move |id: &str| json!({"id": id})),
        ),
    ]
}

#[tokio::test]
async fn a_draft_is_refused_exactly_like_a_policy_that_does_not_exist() {
    let w = world().await;
    let edit = edit("Taken over");
    let probes = policy_probes(&w.client, &edit);
    let before = snapshot(&w.app.db).await;
    let mut compared = 0;
    for caller in OUTSIDERS {
        let token = w.token(caller);
        for (operation, query, variables) in &probes {
            let draft = w
                .app
                .gql(token.as_deref(), query, variables(&w.draft))
                .await;
            let missing = w
                .app
                .gql(token.as_deref(), query, variables(&w.missing))
                .await;
            let context = format!("{operation} as {caller:?}: {draft} / {missing}");
            assert_eq!(
                normalised(&draft, &w.draft, "<policy>"),
                normalised(&missing, &w.missing, "<policy>"),
                "{context}"
            );
            assert_reveals_nothing(caller, &draft.to_string(), &context);
            compared += 1;
        }
    }
    assert_eq!(
        snapshot(&w.app.db).await,
        before,
        "no probe of a draft wrote anything"
    );
    eprintln!("draft vs missing policy: {compared} identical answers");
    assert_eq!(compared, 77);

    // The comparison can tell: the issuers get the draft, not a refusal.
    for caller in [LeadIssuer, CoIssuer] {
        let token = w.token(caller);
        let (query, variables) = (&probes[5].1, &probes[5].2);
        let draft = w
            .app
            .gql(token.as_deref(), query, variables(&w.draft))
            .await;
        let missing = w
            .app
            .gql(token.as_deref(), query, variables(&w.missing))
            .await;
        assert_eq!(draft["data"]["outreach"]["policy"]["code"], DRAFT_CODE);
        assert_eq!(error_code(&missing), "NOT_FOUND");
    }
}

#[tokio::test]
async fn a_search_for_a_drafts_words_finds_nothing_for_outsiders() {
    let w = world().await;
    let search = json!({"filter": {"status": "DRAFT", "search": DRAFT_TITLE}});
    for caller in OUTSIDERS {
        let data = w
            .app
            .ok(w.token(caller).as_deref(), CATALOG, search.clone())
            .await;
        assert_eq!(data["policies"]["totalCount"], 0, "{caller:?}");
    }
    let lead = w.app.ok(Some(&department(LEAD)), CATALOG, search).await;
    assert_eq!(lead["policies"]["totalCount"], 1);
}

#[tokio::test]
async fn a_revision_is_refused_like_a_version_that_never_was() {
    let w = world().await;
    let revision = w
        .app
        .gql(None, POLICY, json!({"id": w.published, "version": 2}))
        .await;
    let never = w
        .app
        .gql(None, POLICY, json!({"id": w.published, "version": 99}))
        .await;
    assert_eq!(revision, never);
    let words = w
        .app
        .ok(None, CATALOG, json!({"filter": {"search": REVISION_TITLE}}))
        .await;
    assert_eq!(words["policies"]["totalCount"], 0);
}

#[tokio::test]
async fn a_draft_withdrawn_before_publication_stays_out_of_sight() {
    let w = world().await;
    let withdrawn = draft_of(&w.app, "SZ-WITHDRAWN", "Withdrawn before publication").await;
    w.app
        .ok(Some(&department(LEAD)), RETIRE, json!({"id": withdrawn}))
        .await;
    let retired = json!({"filter": {"status": "RETIRED"}});
    for caller in OUTSIDERS {
        let token = w.token(caller);
        let list = w.app.ok(token.as_deref(), CATALOG, retired.clone()).await;
        assert_eq!(list["policies"]["totalCount"], 0, "{caller:?}");
        let one = w
            .app
            .ok(token.as_deref(), POLICY, json!({"id": withdrawn}))
            .await;
        assert_eq!(one["policy"], Value::Null, "{caller:?}");
    }
    let issuer = w
        .app
        .ok(Some(&department(CO_ISSUER)), CATALOG, retired)
        .await;
    assert_eq!(
        issuer["policies"]["edges"][0]["node"]["code"],
        "SZ-WITHDRAWN"
    );
}

#[tokio::test]
async fn a_firm_the_caller_may_not_read_is_refused_exactly_like_an_unknown_one() {
    let w = world().await;
    let unknown = uscc("440305", 77);
    let p = &w.published;
    let everyone_refused: &[Caller] = &[
        OtherFirm,
        OtherBroker,
        LeadIssuer,
        CoIssuer,
        OtherDepartment,
        Admin,
    ];
    let probes: [(Probe<'_>, &[Caller]); 5] = [
        (
            ("firm(uscc)", FIRM, Box::new(|u: &str| json!({"uscc": u}))),
            &everyone_refused[..5],
        ),
        (
            (
                "firm(uscc).acknowledgements",
                ACKNOWLEDGEMENTS,
                Box::new(|u: &str| json!({"uscc": u})),
            ),
            &everyone_refused[..5],
        ),
        (
            (
                "eligibility",
                ELIGIBILITY,
                Box::new(|u: &str| json!({"policy": p, "firm": u})),
            ),
            &[OtherFirm, OtherBroker, OtherDepartment],
        ),
        (
            (
                "applicablePolicies",
                APPLICABLE,
                Box::new(|u: &str| json!({"d": declaration(u)})),
            ),
            everyone_refused,
        ),
        (
            (
                "acknowledgePolicy",
                ACKNOWLEDGE,
                Box::new(
                    |u: &str| json!({"input": {"policyId": p, "firmUscc": u, "response": "SEEN", "idempotencyKey": "probe-firm-1"}}),
                ),
            ),
            everyone_refused,
        ),
    ];
    let before = snapshot(&w.app.db).await;
    let mut compared = 0;
    for ((operation, query, variables), callers) in &probes {
        for &caller in *callers {
            let token = w.token(caller);
            let known = w
                .app
                .gql(token.as_deref(), query, variables(&w.client))
                .await;
            let never_synced = w
                .app
                .gql(token.as_deref(), query, variables(&unknown))
                .await;
            let context = format!("{operation} as {caller:?}: {known} / {never_synced}");
            assert_eq!(error_code(&known), "FORBIDDEN", "{context}");
            assert_eq!(
                normalised(&known, &w.client, "<firm>"),
                normalised(&never_synced, &unknown, "<firm>"),
                "{context}"
            );
            assert_reveals_nothing(caller, &known.to_string(), &context);
            compared += 1;
        }
    }
    assert_eq!(snapshot(&w.app.db).await, before);
    eprintln!("hidden vs unknown firm: {compared} identical answers");
    assert_eq!(compared, 25);
}
