//! Nested paths: no field inside an answer leads to data of a firm the caller may not read.

use serde_json::{Value, json};

use super::table::*;
use super::world::*;
use crate::helpers::department;

const MY_ACKS: &str =
    "{ me { firm { acknowledgements { totalCount edges { node { comment } } } } } }";
const MY_BROKERS: &str = "{ me { firm { brokers { uscc name region { code } } } } }";
const FIRM_BROKERS: &str = "query($uscc: String!) { firm(uscc: $uscc) { brokers { uscc } } }";
const UNREACHED_NODES: &str = "query($policy: ID!) { unreachedFirms(policyId: $policy) {
    edges { node { uscc name size region { code } brokers { uscc name } } } } }";
const LEVERAGE_BROKERS: &str = "query($policy: ID!) { brokerLeverage(policyId: $policy) {
    broker { uscc name region { code } } unreachedClients } }";

#[tokio::test]
async fn no_nested_path_reaches_data_of_a_firm_the_caller_may_not_read() {
    let w = world().await;
    let cells = [allowed_nested(&w), refused_nested(&w)]
        .into_iter()
        .flatten()
        .collect();
    let tally = check(&w, cells).await;
    tally.report("nested paths to firm data");
    assert_eq!(tally.cells(), 27);
}

#[tokio::test]
async fn a_departments_reach_figures_name_no_firm() {
    let w = world().await;
    let (c, f, p) = (&w.client, &w.other_firm, &w.published);
    let figures = w
        .app
        .ok(
            Some(&department(LEAD)),
            "query($policy: ID!) { outreach(policyId: $policy) {
                responses { response firms } byChannel { channel reached acknowledged }
                byRegion { region { code } audience reached acknowledged }
                daily { date deliveries newlyReached acknowledgements } } }",
            json!({"policy": p}),
        )
        .await;
    assert_eq!(
        figures["outreach"]["responses"],
        json!([{"response": "INTERESTED", "firms": 2}])
    );
    let text = figures.to_string();
    for code in [c, f, &w.quiet, &w.broker, &w.second_broker, &w.other_broker] {
        assert!(!text.contains(code.as_str()), "outreach names {code}");
    }
}

#[tokio::test]
async fn an_answer_returns_its_firms_answers_never_another_firms() {
    let w = world().await;
    let (c, p) = (&w.client, &w.published);
    let mutation = "mutation($input: AcknowledgementInput!) { acknowledgePolicy(input: $input) {
        firm { acknowledgements { totalCount edges { node { comment } } } } } }";
    for caller in [FirmItself, EntrustedBroker] {
        let token = w.token(caller);
        let input = json!({"policyId": p, "firmUscc": c, "response": "SEEN",
                           "idempotencyKey": format!("nested-{caller:?}")});
        let data = w
            .app
            .ok(token.as_deref(), mutation, json!({"input": input}))
            .await;
        let text = data.to_string();
        assert!(text.contains(CLIENT_COMMENT), "{caller:?}: {text}");
        assert_reveals_nothing(caller, &text, "acknowledgePolicy.firm.acknowledgements");
    }
}

/// Nested fields a caller may follow: its own answers and brokers, its clients' data, the
/// listings of its reach, everything for SYSTEM and ADMIN.
fn allowed_nested(w: &World) -> Vec<Cell> {
    let (c, f, p) = (&w.client, &w.other_firm, &w.published);
    vec![
        // The caller's own profile holds its own answers only: B's answers for C are C's.
        cell(
            "me.firm.acknowledgements",
            FirmItself,
            MY_ACKS,
            json!({}),
            shows([
                ("/me/firm/acknowledgements/totalCount", json!(1)),
                (
                    "/me/firm/acknowledgements/edges/0/node/comment",
                    json!(CLIENT_COMMENT),
                ),
            ]),
        ),
        cell(
            "me.firm.acknowledgements",
            OtherFirm,
            MY_ACKS,
            json!({}),
            shows([(
                "/me/firm/acknowledgements/edges/0/node/comment",
                json!(OTHER_COMMENT),
            )]),
        ),
        cell(
            "me.firm.acknowledgements",
            EntrustedBroker,
            MY_ACKS,
            json!({}),
            shows([("/me/firm/acknowledgements/totalCount", json!(0))]),
        ),
        cell(
            "me.firm.brokers: who they are",
            FirmItself,
            MY_BROKERS,
            json!({}),
            lists("/me/firm/brokers", "/uscc", &[&w.broker, &w.second_broker]),
        ),
        cell(
            "firm(uscc: F).brokers: the other broker's own client",
            OtherBroker,
            FIRM_BROKERS,
            json!({"uscc": f}),
            lists("/firm/brokers", "/uscc", &[&w.other_broker]),
        ),
        cell(
            "firm(uscc: F).acknowledgements: the other broker's own client",
            OtherBroker,
            ACKNOWLEDGEMENTS,
            json!({"uscc": f}),
            shows([(
                "/firm/acknowledgements/edges/0/node/comment",
                json!(OTHER_COMMENT),
            )]),
        ),
        cell(
            "firm(uscc: C).acknowledgements.node.{policy, firm}",
            FirmItself,
            "query($uscc: String!) { firm(uscc: $uscc) { acknowledgements { edges { node {
                policy { code } firm { uscc brokers { uscc } } } } } } }",
            json!({"uscc": c}),
            shows([
                (
                    "/firm/acknowledgements/edges/0/node/policy/code",
                    json!(PUBLISHED_CODE),
                ),
                ("/firm/acknowledgements/edges/0/node/firm/uscc", json!(c)),
            ]),
        ),
        cell(
            "applicablePolicies: F's own answer, not C's",
            OtherFirm,
            APPLICABLE,
            json!({"d": declaration(f)}),
            shows([(
                "/applicablePolicies/0/acknowledgement/comment",
                json!(OTHER_COMMENT),
            )]),
        ),
        cell(
            "unreachedFirms.node: a listing with brokers' names",
            LeadIssuer,
            UNREACHED_NODES,
            json!({"policy": p}),
            lists(
                "/unreachedFirms/edges",
                "/node/uscc",
                &[&w.broker, &w.second_broker, &w.other_broker, &w.quiet],
            ),
        ),
        cell(
            "brokerLeverage.broker: who the broker is",
            CoIssuer,
            LEVERAGE_BROKERS,
            json!({"policy": p}),
            shows([
                ("/brokerLeverage/0/broker/uscc", json!(w.broker)),
                ("/brokerLeverage/0/broker/name", json!(BROKER_NAME)),
            ]),
        ),
        // SYSTEM and ADMIN read any firm in full, wherever they meet it.
        cell(
            "unreachedFirms.node in full: SYSTEM reads any firm",
            System,
            "query($policy: ID!) { unreachedFirms(policyId: $policy) { edges { node { uscc
                exportValuePrevYearUsd acknowledgements { totalCount } brokers { size } } } } }",
            json!({"policy": p}),
            lists(
                "/unreachedFirms/edges",
                "/node/uscc",
                &[&w.broker, &w.second_broker, &w.other_broker, &w.quiet],
            ),
        ),
        cell(
            "brokerLeverage.broker in full: ADMIN reads any firm",
            Admin,
            "query($policy: ID!) { brokerLeverage(policyId: $policy) { broker { uscc size
                customsCredit acknowledgements { totalCount } } } }",
            json!({"policy": p}),
            shows([("/brokerLeverage/0/broker/uscc", json!(w.broker))]),
        ),
    ]
}

/// Nested fields refused: the profile of a broker seen in someone's list, a firm listed for a
/// department, a broker ranked for a department.
fn refused_nested(w: &World) -> Vec<Cell> {
    let (c, p) = (&w.client, &w.published);
    let refused: [(&'static str, Caller, &'static str, Value); 15] = [
        (
            "me.firm.brokers.size",
            FirmItself,
            "{ me { firm { brokers { size } } } }",
            json!({}),
        ),
        (
            "me.firm.brokers.exportValuePrevYearUsd",
            FirmItself,
            "{ me { firm { brokers { exportValuePrevYearUsd } } } }",
            json!({}),
        ),
        (
            "me.firm.brokers.acknowledgements",
            FirmItself,
            "{ me { firm { brokers { acknowledgements { totalCount } } } } }",
            json!({}),
        ),
        (
            "me.firm.brokers.brokers",
            FirmItself,
            "{ me { firm { brokers { brokers { uscc } } } } }",
            json!({}),
        ),
        (
            "firm(uscc: C).brokers.size: the other broker of C",
            EntrustedBroker,
            "query($uscc: String!) { firm(uscc: $uscc) { brokers { uscc size } } }",
            json!({"uscc": c}),
        ),
        (
            "firm(uscc: C).brokers.acknowledgements: the other broker of C",
            EntrustedBroker,
            "query($uscc: String!) { firm(uscc: $uscc) { brokers { acknowledgements { totalCount } } } }",
            json!({"uscc": c}),
        ),
        (
            "firm(uscc: C).acknowledgements.node.firm.brokers.acknowledgements",
            FirmItself,
            "query($uscc: String!) { firm(uscc: $uscc) { acknowledgements { edges { node {
                firm { brokers { acknowledgements { totalCount } } } } } } } }",
            json!({"uscc": c}),
        ),
        (
            "unreachedFirms.node.exportValuePrevYearUsd",
            LeadIssuer,
            "query($policy: ID!) { unreachedFirms(policyId: $policy) { edges { node { exportValuePrevYearUsd } } } }",
            json!({"policy": p}),
        ),
        (
            "unreachedFirms.node.acknowledgements",
            LeadIssuer,
            "query($policy: ID!) { unreachedFirms(policyId: $policy) { edges { node { acknowledgements { totalCount } } } } }",
            json!({"policy": p}),
        ),
        (
            "unreachedFirms.node.brokers.size",
            CoIssuer,
            "query($policy: ID!) { unreachedFirms(policyId: $policy) { edges { node { brokers { size } } } } }",
            json!({"policy": p}),
        ),
        (
            "unreachedFirms.node.brokers.brokers",
            CoIssuer,
            "query($policy: ID!) { unreachedFirms(policyId: $policy) { edges { node { brokers { brokers { uscc } } } } } }",
            json!({"policy": p}),
        ),
        (
            "brokerLeverage.broker.size",
            LeadIssuer,
            "query($policy: ID!) { brokerLeverage(policyId: $policy) { broker { size } } }",
            json!({"policy": p}),
        ),
        (
            "brokerLeverage.broker.brokers",
            LeadIssuer,
            "query($policy: ID!) { brokerLeverage(policyId: $policy) { broker { brokers { uscc } } } }",
            json!({"policy": p}),
        ),
        (
            "brokerLeverage.broker.acknowledgements",
            CoIssuer,
            "query($policy: ID!) { brokerLeverage(policyId: $policy) { broker { acknowledgements { totalCount } } } }",
            json!({"policy": p}),
        ),
        (
            "brokerLeverage.broker.customsCredit",
            CoIssuer,
            "query($policy: ID!) { brokerLeverage(policyId: $policy) { broker { customsCredit } } }",
            json!({"policy": p}),
        ),
    ];
    refused
        .into_iter()
        .map(|(operation, caller, query, variables)| {
            cell(operation, caller, query, variables, forbidden())
        })
        .collect()
}
