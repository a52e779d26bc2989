//! The requests of each workload, and what counts as their success: a 200 whose body has data
//! and no `errors` (a 200 carrying errors is a failure).

use std::sync::Arc;
use std::time::Duration;

use policy_outreach::auth::{Claims, mint};
use serde_json::{Value, json};

use crate::dataset::Samples;
use crate::server::{AUDIENCE, ISSUER, SECRET};

/// What every request of a run shares.
#[derive(Clone)]
pub struct Target {
    pub client: reqwest::Client,
    pub base: String,
    pub samples: Arc<Samples>,
}

/// A SYSTEM token for `subject`, the single window itself.
pub fn system_token(subject: &str) -> anyhow::Result<String> {
    token(subject, "system")
}

/// An ADMIN token for `subject`.
pub fn admin_token(subject: &str) -> anyhow::Result<String> {
    token(subject, "admin")
}

fn token(subject: &str, role: &str) -> anyhow::Result<String> {
    let mut settings = policy_outreach::Settings::defaults();
    settings.jwt_hs256_secret = Some(SECRET.to_owned().into());
    settings.jwt_issuer = Some(ISSUER.to_owned());
    settings.jwt_audience = Some(AUDIENCE.to_owned());
    let claims = Claims {
        sub: subject.to_owned(),
        role: role.to_owned(),
        uscc: None,
        department: None,
    };
    mint(&settings.jwt()?, &claims, Duration::from_secs(6 * 3600))
}

/// A GraphQL request; `Ok(data)` only for a 200 with data and no errors.
pub async fn graphql(
    target: &Target,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Result<Value, String> {
    let mut request = target
        .client
        .post(format!("{}/graphql", target.base))
        .json(&json!({"query": query, "variables": variables}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("{status}: {e}"))?;
    if !status.is_success() || body.get("errors").is_some() || body["data"].is_null() {
        return Err(format!("{status}: {body}"));
    }
    Ok(body["data"].clone())
}

/// `GET /healthz`: the floor every other figure is divided by.
pub async fn healthz(target: &Target) -> Result<(), String> {
    let response = target
        .client
        .get(format!("{}/healthz", target.base))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status().is_success() {
        response.bytes().await.map_err(|e| e.to_string())?;
        Ok(())
    } else {
        Err(response.status().to_string())
    }
}

const ME: &str = "{ me { role subject } }";

/// `me` as SYSTEM: the token check and one GraphQL round trip with no database work, the cost
/// every operation pays before it does anything.
pub async fn me(target: &Target, token: &str) -> Result<(), String> {
    let data = graphql(target, Some(token), ME, json!({})).await?;
    if data["me"]["role"] == "SYSTEM" {
        Ok(())
    } else {
        Err(format!("not the SYSTEM viewer: {data}"))
    }
}

/// A spread of the set: `n` picks the same item each time it comes round.
fn pick(items: &[String], n: u64, salt: u64) -> &str {
    let mixed = n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ salt;
    let len = u64::try_from(items.len()).unwrap_or(1).max(1);
    &items[usize::try_from(mixed % len).unwrap_or(0)]
}

const APPLICABLE: &str = "query($d: DeclarationInput!) { applicablePolicies(declaration: $d) {
    policy { id code titleZh } certain isNew } }";

/// `applicablePolicies` during the filing of declaration `declaration` by firm `firm` (an index
/// into the samples), as the single window asks it: how many policies it presented. A firm's
/// declarations look alike (its direction and value follow the firm), so a firm that files again
/// is shown what it was shown before.
pub async fn applicable(
    target: &Target,
    token: &str,
    firm: u64,
    declaration: &str,
) -> Result<usize, String> {
    let usccs = &target.samples.usccs;
    let len = u64::try_from(usccs.len()).unwrap_or(1).max(1);
    let index = usize::try_from(firm % len).unwrap_or(0);
    let declaration = json!({
        "id": declaration,
        "firmUscc": usccs[index], "direction": if index % 4 == 0 { "IMPORT" } else { "EXPORT" },
        "tradeMode": "0110", "country": "US", "port": "5301", "valueUsd": 48_000.0 + (index % 97) as f64,
    });
    let data = graphql(target, Some(token), APPLICABLE, json!({"d": declaration})).await?;
    data["applicablePolicies"]
        .as_array()
        .map(Vec::len)
        .ok_or_else(|| format!("no list: {data}"))
}

const CATALOG: &str = "query($after: String) { policies(first: 20, after: $after) {
    totalCount edges { cursor node { id code titleZh benefitKind effectiveFrom } } } }";

/// A page of the public catalog.
pub async fn catalog(target: &Target) -> Result<(), String> {
    graphql(target, None, CATALOG, json!({})).await.map(|_| ())
}

const ACKNOWLEDGE: &str = "mutation($input: AcknowledgementInput!) {
    acknowledgePolicy(input: $input) { id response } }";

/// The acknowledgement with key `k`: the same firm, policy and answer whenever `k` comes again.
pub async fn acknowledge(target: &Target, token: &str, k: u64) -> Result<(), String> {
    let response = ["SEEN", "INTERESTED", "APPLIED"][usize::try_from(k % 3).unwrap_or(0)];
    let input = json!({
        "policyId": pick(&target.samples.policies, k, 2),
        "firmUscc": pick(&target.samples.usccs, k, 3),
        "response": response,
        "idempotencyKey": format!("bench-{k:08}"),
    });
    graphql(target, Some(token), ACKNOWLEDGE, json!({"input": input}))
        .await
        .map(|_| ())
}

const AUDIENCE_ESTIMATE: &str = "query($rule: JSON!) { audienceEstimate(eligibility: $rule) {
    firms activeLast30Days reachableViaBroker byRegion { region { code } firms } } }";

/// Small exporters nationwide: the audience of the flagship kind of policy.
pub async fn audience(target: &Target, token: &str) -> Result<(), String> {
    let rule =
        json!({"all": [{"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8_000_000}]});
    graphql(
        target,
        Some(token),
        AUDIENCE_ESTIMATE,
        json!({"rule": rule}),
    )
    .await
    .map(|_| ())
}

const OUTREACH: &str = "query($id: ID!) { outreach(policyId: $id) {
    audience reached acknowledged acknowledgedByFirm reachRate acknowledgeRate
    responses { response firms } byChannel { channel reached acknowledged }
    byRegion { region { code name } audience reached acknowledged }
    daily { date deliveries newlyReached acknowledgements } medianHoursToAcknowledge } }";

const NEEDS: &str = "query($id: ID!) { needs(policyId: $id) {
    comments firms byResponse { response comments firms }
    terms(first: 20) { term firms share examples }
    entries(first: 20) { totalCount nodes { comment response createdAt firm { uscc name } } } } }";

/// What firms said they need about one policy: every figure, the top terms and the newest page.
pub async fn needs(target: &Target, token: &str, policy: &str) -> Result<(), String> {
    let data = graphql(target, Some(token), NEEDS, json!({"id": policy})).await?;
    match data["needs"]["comments"].as_i64() {
        Some(n) if n > 0 => Ok(()),
        _ => Err(format!("no comments counted: {data}")),
    }
}

const DEPARTMENT_OUTREACH: &str = "query($d: String) { departmentOutreach(department: $d) {
    policies { policy { id code status } audience reached acknowledged reachRate acknowledgeRate
      willApply applied }
    totals { policies reachedFirms acknowledgedFirms } } }";

/// Every department's overview, once each, as their consoles read them: from then on the
/// server keeps each policy's audience and each department's totals, and every new funnel row is
/// written with them (the state of a service whose departments use the console).
pub async fn every_overview(target: &Target, token: &str) -> Result<usize, String> {
    let data = graphql(target, Some(token), "{ departments { code } }", json!({})).await?;
    let codes: Vec<String> = data["departments"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["code"].as_str().map(str::to_owned))
        .collect();
    for code in &codes {
        department_outreach(target, token, code).await?;
    }
    Ok(codes.len())
}

/// Every policy of one department at a glance.
pub async fn department_outreach(
    target: &Target,
    token: &str,
    department: &str,
) -> Result<(), String> {
    let data = graphql(
        target,
        Some(token),
        DEPARTMENT_OUTREACH,
        json!({"d": department}),
    )
    .await?;
    match data["departmentOutreach"]["totals"]["policies"].as_i64() {
        Some(_) => Ok(()),
        None => Err(format!("no totals: {data}")),
    }
}

/// Every figure of one policy's reach.
pub async fn outreach(target: &Target, token: &str, policy: &str) -> Result<(), String> {
    graphql(target, Some(token), OUTREACH, json!({"id": policy}))
        .await
        .map(|_| ())
}
