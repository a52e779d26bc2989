//! The world every permission test starts from, its callers and the documents they send.

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, admin, broker, create_departments, create_policy, department, firm, firm_input,
    policy_input, sync_firms, system, uscc,
};

pub(super) const LEAD: &str = "SZ-COMMERCE";
pub(super) const CO_ISSUER: &str = "SZ-CUSTOMS";
pub(super) const UNRELATED: &str = "PBOC";

pub(super) const CLIENT_NAME: &str = "Client-C Trading";
pub(super) const OTHER_FIRM_NAME: &str = "Other-F Trading";
pub(super) const QUIET_NAME: &str = "Quiet-G Trading";
pub(super) const BROKER_NAME: &str = "Broker-B Customs";
pub(super) const SECOND_BROKER_NAME: &str = "Broker-M Customs";
pub(super) const OTHER_BROKER_NAME: &str = "Broker-N Customs";
pub(super) const CLIENT_COMMENT: &str = "C-COMMENT needs the application form";
pub(super) const OTHER_COMMENT: &str = "F-COMMENT private to firm F";
pub(super) const PUBLISHED_CODE: &str = "SZ-PUBLISHED";
pub(super) const PUBLISHED_TITLE: &str = "Shenzhen export credit insurance";
pub(super) const DRAFT_CODE: &str = "SZ-SECRET-DRAFT";
pub(super) const DRAFT_TITLE: &str = "SECRET-DRAFT-TITLE";
pub(super) const REVISION_TITLE: &str = "SECRET-REVISION";

pub(super) const POLICY: &str = "query($id: ID!, $version: Int) {
    policy(id: $id, version: $version) { code status version titleEn } }";
pub(super) const CATALOG: &str = "query($filter: PolicyFilter) {
    policies(filter: $filter) { totalCount edges { node { code } } } }";
pub(super) const VERSIONS: &str =
    "query($id: ID!) { policy(id: $id) { versions { version status } } }";
pub(super) const AUDIT: &str = "query($id: ID!) { policy(id: $id) { audit { action } } }";
pub(super) const APPLICABLE: &str =
    "query($d: DeclarationInput!) { applicablePolicies(declaration: $d) {
    policy { code } delivery { channel } acknowledgement { response comment } } }";
pub(super) const ELIGIBILITY: &str = "query($policy: ID!, $firm: String!) {
    eligibility(policyId: $policy, firmUscc: $firm) { outcome reasons { actual } } }";
pub(super) const FIRM: &str =
    "query($uscc: String!) { firm(uscc: $uscc) { uscc name exportValuePrevYearUsd } }";
pub(super) const ACKNOWLEDGEMENTS: &str = "query($uscc: String!) { firm(uscc: $uscc) {
    acknowledgements { totalCount edges { node { response comment firm { uscc } } } } } }";
pub(super) const INBOX: &str = "{ myPolicies { totalCount edges { node {
    policy { code } acknowledgement { comment } } } } }";
pub(super) const OUTREACH: &str = "query($policy: ID!) {
    outreach(policyId: $policy) { policy { code } reached acknowledged } }";
pub(super) const UNREACHED: &str = "query($policy: ID!) {
    unreachedFirms(policyId: $policy) { totalCount edges { node { uscc } } } }";
pub(super) const LEVERAGE: &str = "query($policy: ID!) {
    brokerLeverage(policyId: $policy) { broker { uscc } clients unreachedClients } }";
pub(super) const AUDIENCE: &str =
    "query($rule: JSON!) { audienceEstimate(eligibility: $rule) { firms } }";

pub(super) const ACKNOWLEDGE: &str = "mutation($input: AcknowledgementInput!) {
    acknowledgePolicy(input: $input) { firm { uscc } channel actorRole } }";
pub(super) const CREATE: &str = "mutation($input: PolicyInput!) {
    createPolicy(input: $input) { code status leadIssuer { code } } }";
pub(super) const UPDATE: &str = "mutation($id: ID!, $input: PolicyInput!) {
    updatePolicy(id: $id, input: $input) { version titleEn } }";
pub(super) const PUBLISH: &str = "mutation($id: ID!) { publishPolicy(id: $id) { status } }";
pub(super) const RETIRE: &str = "mutation($id: ID!) { retirePolicy(id: $id) { status } }";
pub(super) const RECORD: &str = "mutation($input: RecordDeliveriesInput!) {
    recordDeliveries(input: $input) { recorded alreadyRecorded } }";
pub(super) const UPSERT_FIRMS: &str =
    "mutation($firms: [FirmInput!]!) { upsertFirms(firms: $firms) { created updated } }";
pub(super) const UPSERT_DEPARTMENT: &str =
    "mutation($input: DepartmentInput!) { upsertDepartment(input: $input) { code name } }";

/// Who calls: the columns of DESIGN §4, with each role split where the design distinguishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Caller {
    Anonymous,
    /// The client firm C, asking about itself.
    FirmItself,
    /// Firm F, asking about C.
    OtherFirm,
    /// Broker B, entrusted by C (and by G).
    EntrustedBroker,
    /// Broker N, entrusted by F only.
    OtherBroker,
    /// The lead issuer of the policies.
    LeadIssuer,
    /// Their co-issuer.
    CoIssuer,
    /// A department that issued none of them.
    OtherDepartment,
    System,
    Admin,
}

pub(super) use Caller::*;

pub(super) const CALLERS: [Caller; 10] = [
    Anonymous,
    FirmItself,
    OtherFirm,
    EntrustedBroker,
    OtherBroker,
    LeadIssuer,
    CoIssuer,
    OtherDepartment,
    System,
    Admin,
];

/// A lead and a co-issuing department with a published policy (and its unpublished revision)
/// and a draft, and a department that issued neither; a client firm C with brokers B and M, firm
/// F with broker N, a quiet firm G with broker B. C and F filed and answered the published
/// policy; the brokers and G were never reached.
pub(super) struct World {
    pub(super) app: TestApp,
    pub(super) client: String,
    pub(super) other_firm: String,
    pub(super) quiet: String,
    pub(super) broker: String,
    pub(super) second_broker: String,
    pub(super) other_broker: String,
    pub(super) published: String,
    pub(super) draft: String,
    pub(super) missing: String,
}

pub(super) fn named(code: &str, region: &str, name: &str, brokers: &[&str]) -> Value {
    let mut input = firm_input(code, region);
    input["name"] = json!(name);
    input["brokers"] = json!(brokers);
    input
}

pub(super) fn declaration(firm_uscc: &str) -> Value {
    json!({"firmUscc": firm_uscc, "direction": "EXPORT"})
}

pub(super) fn published_input() -> Value {
    let mut input = policy_input(PUBLISHED_CODE, LEAD, PUBLISHED_TITLE);
    input["coIssuers"] = json!([CO_ISSUER]);
    input["regions"] = json!(["440300"]);
    input["eligibility"] =
        json!({"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000});
    input
}

/// A draft led by LEAD and co-issued by CO_ISSUER, created by ADMIN.
pub(super) async fn draft_of(app: &TestApp, code: &str, title: &str) -> String {
    let mut input = policy_input(code, LEAD, title);
    input["coIssuers"] = json!([CO_ISSUER]);
    create_policy(app, input, false).await.to_string()
}

pub(super) async fn world() -> World {
    let app = TestApp::spawn().await;
    create_departments(
        &app,
        &[
            (LEAD, Some("440300")),
            (CO_ISSUER, Some("440300")),
            (UNRELATED, None),
        ],
    )
    .await;
    let (b, m, n) = (uscc("440304", 1), uscc("440304", 2), uscc("440304", 3));
    let (c, f, g) = (uscc("440305", 4), uscc("440305", 5), uscc("440305", 6));
    sync_firms(
        &app,
        json!([
            named(&b, "440304", BROKER_NAME, &[]),
            named(&m, "440304", SECOND_BROKER_NAME, &[]),
            named(&n, "440304", OTHER_BROKER_NAME, &[]),
            named(&c, "440305", CLIENT_NAME, &[b.as_str(), m.as_str()]),
            named(&f, "440305", OTHER_FIRM_NAME, &[n.as_str()]),
            named(&g, "440305", QUIET_NAME, &[b.as_str()]),
        ]),
    )
    .await;
    let published = create_policy(&app, published_input(), true)
        .await
        .to_string();
    let mut revision = published_input();
    revision["titleEn"] = json!(REVISION_TITLE);
    app.ok(
        Some(&department(LEAD)),
        UPDATE,
        json!({"id": published, "input": revision}),
    )
    .await;
    let draft = draft_of(&app, DRAFT_CODE, DRAFT_TITLE).await;
    for (code, comment) in [(&c, CLIENT_COMMENT), (&f, OTHER_COMMENT)] {
        let token = firm(code);
        app.ok(Some(&token), APPLICABLE, json!({"d": declaration(code)}))
            .await;
        let input = json!({"policyId": published, "response": "INTERESTED", "comment": comment,
                           "idempotencyKey": format!("first-answer-{code}")});
        app.ok(Some(&token), ACKNOWLEDGE, json!({"input": input}))
            .await;
    }
    World {
        app,
        client: c,
        other_firm: f,
        quiet: g,
        broker: b,
        second_broker: m,
        other_broker: n,
        published,
        draft,
        missing: uuid::Uuid::now_v7().to_string(),
    }
}

impl World {
    pub(super) fn token(&self, caller: Caller) -> Option<String> {
        match caller {
            Anonymous => None,
            FirmItself => Some(firm(&self.client)),
            OtherFirm => Some(firm(&self.other_firm)),
            EntrustedBroker => Some(broker(&self.broker)),
            OtherBroker => Some(broker(&self.other_broker)),
            LeadIssuer => Some(department(LEAD)),
            CoIssuer => Some(department(CO_ISSUER)),
            OtherDepartment => Some(department(UNRELATED)),
            System => Some(system()),
            Admin => Some(admin()),
        }
    }
}

/// What `caller` may never receive, on any path: names of firms it may not read, comments of
/// firms it does not act for, drafts it did not issue.
pub(super) fn unseen(caller: Caller) -> Vec<&'static str> {
    let drafts = [DRAFT_CODE, DRAFT_TITLE, REVISION_TITLE];
    let comments = [CLIENT_COMMENT, OTHER_COMMENT];
    let names = [
        CLIENT_NAME,
        OTHER_FIRM_NAME,
        QUIET_NAME,
        BROKER_NAME,
        SECOND_BROKER_NAME,
        OTHER_BROKER_NAME,
    ];
    let mut unseen: Vec<&str> = match caller {
        Anonymous | OtherDepartment => [&drafts[..], &comments[..], &names[..]].concat(),
        FirmItself => vec![
            OTHER_FIRM_NAME,
            QUIET_NAME,
            OTHER_BROKER_NAME,
            OTHER_COMMENT,
        ],
        EntrustedBroker => vec![OTHER_FIRM_NAME, OTHER_BROKER_NAME, OTHER_COMMENT],
        OtherFirm | OtherBroker => vec![
            CLIENT_NAME,
            QUIET_NAME,
            BROKER_NAME,
            SECOND_BROKER_NAME,
            CLIENT_COMMENT,
        ],
        LeadIssuer | CoIssuer => comments.to_vec(),
        System | Admin => Vec::new(),
    };
    if matches!(
        caller,
        FirmItself | OtherFirm | EntrustedBroker | OtherBroker | System
    ) {
        unseen.extend(drafts);
    }
    unseen.sort_unstable();
    unseen.dedup();
    unseen
}

pub(super) fn answer(policy_id: &str, firm_uscc: &str, caller: Caller) -> Value {
    json!({"input": {"policyId": policy_id, "firmUscc": firm_uscc, "response": "WILL_APPLY",
                     "idempotencyKey": format!("permissions-{caller:?}")}})
}

pub(super) fn edit(title: &str) -> Value {
    let mut input = published_input();
    input.as_object_mut().unwrap().remove("leadIssuer");
    input["titleEn"] = json!(title);
    input
}
