//! Every read of DESIGN §4 as each of the ten callers.

use serde_json::{Value, json};

use super::table::*;
use super::world::*;

#[tokio::test]
async fn every_read_in_the_permission_table_answers_each_caller_as_designed() {
    let w = world().await;
    let cells = [catalog_rows(&w), firm_rows(&w), reach_rows(&w)]
        .into_iter()
        .flatten()
        .collect();
    let tally = check(&w, cells).await;
    tally.report("reads of DESIGN §4");
    assert_eq!(tally.by_operation.len(), 17);
    assert!(
        tally
            .by_operation
            .values()
            .all(|c| c.iter().sum::<usize>() == CALLERS.len()),
        "each operation as each caller"
    );
}

/// The catalog: published policies for everyone, drafts, revisions, history and audit for
/// their issuers and ADMIN.
fn catalog_rows(w: &World) -> Vec<Cell> {
    let (p, d) = (&w.published, &w.draft);
    let mut cells = Vec::new();
    cells.extend(row(
        "policy(id): a published policy",
        POLICY,
        |_| json!({"id": p}),
        |caller| match caller {
            Anonymous | FirmItself | OtherFirm | EntrustedBroker | OtherBroker | LeadIssuer
            | CoIssuer | OtherDepartment | System | Admin => shows([
                ("/policy/code", json!(PUBLISHED_CODE)),
                ("/policy/version", json!(1)),
                ("/policy/titleEn", json!(PUBLISHED_TITLE)),
            ]),
        },
    ));
    cells.extend(row(
        "policies: the published catalog",
        CATALOG,
        |_| json!({}),
        |caller| match caller {
            Anonymous | FirmItself | OtherFirm | EntrustedBroker | OtherBroker | LeadIssuer
            | CoIssuer | OtherDepartment | System | Admin => shows([
                ("/policies/totalCount", json!(1)),
                ("/policies/edges/0/node/code", json!(PUBLISHED_CODE)),
            ]),
        },
    ));
    cells.extend(row(
        "policies(status: DRAFT)",
        CATALOG,
        |_| json!({"filter": {"status": "DRAFT"}}),
        |caller| match caller {
            LeadIssuer | CoIssuer | Admin => shows([
                ("/policies/totalCount", json!(1)),
                ("/policies/edges/0/node/code", json!(DRAFT_CODE)),
            ]),
            Anonymous | FirmItself | OtherFirm | EntrustedBroker | OtherBroker
            | OtherDepartment | System => shows([("/policies/totalCount", json!(0))]),
        },
    ));
    cells.extend(row(
        "policy(id): a draft",
        POLICY,
        |_| json!({"id": d}),
        |caller| match caller {
            LeadIssuer | CoIssuer | Admin => shows([
                ("/policy/code", json!(DRAFT_CODE)),
                ("/policy/status", json!("DRAFT")),
            ]),
            Anonymous | FirmItself | OtherFirm | EntrustedBroker | OtherBroker
            | OtherDepartment | System => absent("/policy"),
        },
    ));
    cells.extend(row(
        "policy(id, version): an unpublished revision",
        POLICY,
        |_| json!({"id": p, "version": 2}),
        |caller| match caller {
            LeadIssuer | CoIssuer | Admin => shows([
                ("/policy/version", json!(2)),
                ("/policy/titleEn", json!(REVISION_TITLE)),
            ]),
            Anonymous | FirmItself | OtherFirm | EntrustedBroker | OtherBroker
            | OtherDepartment | System => forbidden(),
        },
    ));
    cells.extend(row(
        "policy.versions (version history)",
        VERSIONS,
        |_| json!({"id": p}),
        |caller| match caller {
            LeadIssuer | CoIssuer | Admin => shows([(
                "/policy/versions",
                json!([{"version": 2, "status": "DRAFT"}, {"version": 1, "status": "PUBLISHED"}]),
            )]),
            Anonymous | FirmItself | OtherFirm | EntrustedBroker | OtherBroker
            | OtherDepartment | System => forbidden(),
        },
    ));
    cells.extend(row(
        "policy.audit (who changed it)",
        AUDIT,
        |_| json!({"id": p}),
        |caller| match caller {
            LeadIssuer | CoIssuer | Admin => shows([(
                "/policy/audit",
                json!([{"action": "CREATE"}, {"action": "PUBLISH"}, {"action": "UPDATE"}]),
            )]),
            Anonymous | FirmItself | OtherFirm | EntrustedBroker | OtherBroker
            | OtherDepartment | System => forbidden(),
        },
    ));
    cells
}

/// A firm's data: its matches, its eligibility, its profile, its answers, its inbox.
fn firm_rows(w: &World) -> Vec<Cell> {
    let (c, p) = (&w.client, &w.published);
    let own_profile = |caller: Caller| match caller {
        FirmItself => w.client.clone(),
        OtherFirm => w.other_firm.clone(),
        EntrustedBroker => w.broker.clone(),
        OtherBroker => w.other_broker.clone(),
        Anonymous | LeadIssuer | CoIssuer | OtherDepartment | System | Admin => w.client.clone(),
    };
    let mut cells = Vec::new();
    cells.extend(row(
        "applicablePolicies for C's declaration",
        APPLICABLE,
        |_| json!({"d": declaration(c)}),
        |caller| {
            let shown_on = |channel: &str| {
                shows([
                    ("/applicablePolicies/0/policy/code", json!(PUBLISHED_CODE)),
                    ("/applicablePolicies/0/delivery/channel", json!(channel)),
                    (
                        "/applicablePolicies/0/acknowledgement/comment",
                        json!(CLIENT_COMMENT),
                    ),
                    ("/applicablePolicies/1", Value::Null),
                ])
            };
            match caller {
                FirmItself | System => shown_on("SINGLE_WINDOW"),
                EntrustedBroker => shown_on("BROKER"),
                Anonymous => unauthenticated(),
                OtherFirm | OtherBroker | LeadIssuer | CoIssuer | OtherDepartment | Admin => {
                    forbidden()
                }
            }
        },
    ));
    cells.extend(row(
        "eligibility of C for the published policy",
        ELIGIBILITY,
        |_| json!({"policy": p, "firm": c}),
        |caller| match caller {
            FirmItself | EntrustedBroker | LeadIssuer | CoIssuer | System | Admin => shows([
                ("/eligibility/outcome", json!("TRUE")),
                ("/eligibility/reasons/1/actual", json!(3200000.0)),
            ]),
            Anonymous => unauthenticated(),
            OtherFirm | OtherBroker | OtherDepartment => forbidden(),
        },
    ));
    cells.extend(row(
        "firm(uscc: C)",
        FIRM,
        |_| json!({"uscc": c}),
        |caller| match caller {
            FirmItself | EntrustedBroker | System | Admin => shows([
                ("/firm/name", json!(CLIENT_NAME)),
                ("/firm/exportValuePrevYearUsd", json!(3200000.0)),
            ]),
            Anonymous => unauthenticated(),
            OtherFirm | OtherBroker | LeadIssuer | CoIssuer | OtherDepartment => forbidden(),
        },
    ));
    cells.extend(row(
        "firm(uscc): the caller's own profile",
        FIRM,
        |caller| json!({"uscc": own_profile(caller)}),
        |caller| match caller {
            FirmItself | OtherFirm | EntrustedBroker | OtherBroker | System | Admin => {
                shows([("/firm/uscc", json!(own_profile(caller)))])
            }
            Anonymous => unauthenticated(),
            LeadIssuer | CoIssuer | OtherDepartment => forbidden(),
        },
    ));
    cells.extend(row(
        "firm(uscc: C).acknowledgements",
        ACKNOWLEDGEMENTS,
        |_| json!({"uscc": c}),
        |caller| match caller {
            FirmItself | EntrustedBroker | System | Admin => shows([
                ("/firm/acknowledgements/totalCount", json!(1)),
                (
                    "/firm/acknowledgements/edges/0/node/comment",
                    json!(CLIENT_COMMENT),
                ),
                ("/firm/acknowledgements/edges/0/node/firm/uscc", json!(c)),
            ]),
            Anonymous => unauthenticated(),
            OtherFirm | OtherBroker | LeadIssuer | CoIssuer | OtherDepartment => forbidden(),
        },
    ));
    cells.extend(row(
        "myPolicies (the caller's own inbox)",
        INBOX,
        |_| json!({}),
        |caller| match caller {
            FirmItself => shows([
                ("/myPolicies/totalCount", json!(1)),
                (
                    "/myPolicies/edges/0/node/acknowledgement/comment",
                    json!(CLIENT_COMMENT),
                ),
            ]),
            OtherFirm => shows([
                ("/myPolicies/totalCount", json!(1)),
                (
                    "/myPolicies/edges/0/node/acknowledgement/comment",
                    json!(OTHER_COMMENT),
                ),
            ]),
            Anonymous => unauthenticated(),
            EntrustedBroker | OtherBroker | LeadIssuer | CoIssuer | OtherDepartment | System
            | Admin => forbidden(),
        },
    ));
    cells
}

/// A policy's reach: figures, unreached firms and brokers for its issuers, SYSTEM and ADMIN;
/// the audience of a rule for any department.
fn reach_rows(w: &World) -> Vec<Cell> {
    let p = &w.published;
    let mut cells = Vec::new();
    let reach_readers = |allowed: Expect, caller: Caller| match caller {
        LeadIssuer | CoIssuer | System | Admin => allowed,
        Anonymous => unauthenticated(),
        FirmItself | OtherFirm | EntrustedBroker | OtherBroker | OtherDepartment => forbidden(),
    };
    cells.extend(row(
        "outreach of the published policy",
        OUTREACH,
        |_| json!({"policy": p}),
        |caller| {
            let figures = shows([
                ("/outreach/policy/code", json!(PUBLISHED_CODE)),
                ("/outreach/reached", json!(2)),
                ("/outreach/acknowledged", json!(2)),
            ]);
            reach_readers(figures, caller)
        },
    ));
    cells.extend(row(
        "unreachedFirms of the published policy",
        UNREACHED,
        |_| json!({"policy": p}),
        |caller| {
            let never_reached = lists(
                "/unreachedFirms/edges",
                "/node/uscc",
                &[&w.broker, &w.second_broker, &w.other_broker, &w.quiet],
            );
            reach_readers(never_reached, caller)
        },
    ));
    cells.extend(row(
        "brokerLeverage of the published policy",
        LEVERAGE,
        |_| json!({"policy": p}),
        |caller| {
            let ranked = shows([
                ("/brokerLeverage/0/broker/uscc", json!(w.broker)),
                ("/brokerLeverage/0/clients", json!(2)),
                ("/brokerLeverage/0/unreachedClients", json!(1)),
                ("/brokerLeverage/3", Value::Null),
            ]);
            reach_readers(ranked, caller)
        },
    ));
    cells.extend(row(
        "audienceEstimate",
        AUDIENCE,
        |_| json!({"rule": {"all": []}}),
        |caller| match caller {
            LeadIssuer | CoIssuer | OtherDepartment | System | Admin => {
                shows([("/audienceEstimate/firms", json!(6))])
            }
            Anonymous => unauthenticated(),
            FirmItself | OtherFirm | EntrustedBroker | OtherBroker => forbidden(),
        },
    ));
    cells
}
