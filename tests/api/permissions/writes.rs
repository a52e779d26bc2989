//! Every write of DESIGN §4 as each of the ten callers: refused with nothing written, or
//! recorded as the caller.

use policy_outreach::entity::acknowledgement;
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::json;

use super::table::*;
use super::world::*;
use crate::helpers::{admin, firm_input, policy_input, system, uscc};

#[tokio::test]
async fn every_write_in_the_permission_table_is_refused_or_recorded_as_designed() {
    let w = world().await;
    let (p, d) = (&w.published, &w.draft);
    let spares = Spares {
        by_lead: draft_of(&w.app, "SZ-SPARE-LEAD", "Spare for the lead").await,
        by_admin: draft_of(&w.app, "SZ-SPARE-ADMIN", "Spare for admin").await,
    };
    let cells = [
        answer_rows(&w),
        policy_rows(&w, &spares),
        delivery_rows(&w),
        directory_rows(&w),
    ]
    .into_iter()
    .flatten()
    .collect();
    let tally = check(&w, cells).await;
    tally.report("writes of DESIGN §4");
    assert_eq!(tally.by_operation.len(), 8);

    // What the allowed cells wrote, read back by permitted readers.
    let answers = acknowledgement::Entity::find()
        .count(&w.app.db)
        .await
        .unwrap();
    assert_eq!(
        answers,
        2 + 3,
        "the two first answers, then C, its broker and SYSTEM"
    );
    let client = w
        .app
        .ok(Some(&system()), FIRM, json!({"uscc": w.client}))
        .await;
    assert_eq!(client["firm"]["name"], CLIENT_NAME);
    let departments = w
        .app
        .ok(None, "{ departments { code name } }", json!({}))
        .await;
    assert!(!departments.to_string().contains("HIJACKED"));
    assert!(departments.to_string().contains("NEW-DEPT"));
    for (id, status) in [(p, "PUBLISHED"), (d, "DRAFT"), (&spares.by_lead, "RETIRED")] {
        let shown = w.app.ok(Some(&admin()), POLICY, json!({"id": id})).await;
        assert_eq!(shown["policy"]["status"], status, "{id}");
    }
}

/// Drafts the lead issuer and ADMIN publish and retire, so the shared policies stay as they are
/// for the other callers' cells.
struct Spares {
    by_lead: String,
    by_admin: String,
}

impl Spares {
    /// The policy `caller` acts on: its own spare, or `others` for every other caller.
    fn target(&self, caller: Caller, others: &str) -> String {
        match caller {
            LeadIssuer => self.by_lead.clone(),
            Admin => self.by_admin.clone(),
            Anonymous | FirmItself | OtherFirm | EntrustedBroker | OtherBroker | CoIssuer
            | OtherDepartment | System => others.to_owned(),
        }
    }
}

/// Answering for firm C.
fn answer_rows(w: &World) -> Vec<Cell> {
    let (c, p) = (&w.client, &w.published);
    let mut cells = Vec::new();
    cells.extend(row(
        "acknowledgePolicy for C",
        ACKNOWLEDGE,
        |caller| answer(p, c, caller),
        |caller| {
            let recorded = |channel: &str, role: &str| {
                shows([
                    ("/acknowledgePolicy/firm/uscc", json!(c)),
                    ("/acknowledgePolicy/channel", json!(channel)),
                    ("/acknowledgePolicy/actorRole", json!(role)),
                ])
            };
            match caller {
                FirmItself => recorded("SINGLE_WINDOW", "FIRM"),
                EntrustedBroker => recorded("BROKER", "BROKER"),
                System => recorded("SINGLE_WINDOW", "SYSTEM"),
                Anonymous => unauthenticated(),
                OtherFirm | OtherBroker | LeadIssuer | CoIssuer | OtherDepartment | Admin => {
                    forbidden()
                }
            }
        },
    ));
    cells
}

/// Writing, publishing and retiring policies.
fn policy_rows(w: &World, spares: &Spares) -> Vec<Cell> {
    let (p, d) = (&w.published, &w.draft);
    let mut cells = Vec::new();
    cells.extend(row(
        "createPolicy",
        CREATE,
        |caller| {
            let code = format!("NEW-{caller:?}").to_uppercase();
            let mut input = policy_input(&code, UNRELATED, "New");
            if caller != Admin {
                input.as_object_mut().unwrap().remove("leadIssuer");
            }
            json!({"input": input})
        },
        |caller| {
            let led_by = |lead: &str| {
                shows([
                    ("/createPolicy/leadIssuer/code", json!(lead)),
                    ("/createPolicy/status", json!("DRAFT")),
                ])
            };
            match caller {
                LeadIssuer => led_by(LEAD),
                CoIssuer => led_by(CO_ISSUER),
                OtherDepartment | Admin => led_by(UNRELATED),
                Anonymous => unauthenticated(),
                FirmItself | OtherFirm | EntrustedBroker | OtherBroker | System => forbidden(),
            }
        },
    ));
    cells.extend(row(
        "updatePolicy of a published policy",
        UPDATE,
        |caller| json!({"id": p, "input": edit(&format!("EDIT-BY-{caller:?}"))}),
        |caller| match caller {
            LeadIssuer | Admin => shows([
                ("/updatePolicy/version", json!(2)),
                (
                    "/updatePolicy/titleEn",
                    json!(format!("EDIT-BY-{caller:?}")),
                ),
            ]),
            Anonymous => unauthenticated(),
            FirmItself | OtherFirm | EntrustedBroker | OtherBroker | CoIssuer | OtherDepartment
            | System => forbidden(),
        },
    ));
    cells.extend(row(
        "publishPolicy of a draft",
        PUBLISH,
        |caller| json!({"id": spares.target(caller, d)}),
        |caller| match caller {
            LeadIssuer | Admin => shows([("/publishPolicy/status", json!("PUBLISHED"))]),
            Anonymous => unauthenticated(),
            // The unrelated department does not know the draft exists.
            OtherDepartment => not_found(),
            FirmItself | OtherFirm | EntrustedBroker | OtherBroker | CoIssuer | System => {
                forbidden()
            }
        },
    ));
    cells.extend(row(
        "retirePolicy of a published policy",
        RETIRE,
        |caller| json!({"id": spares.target(caller, p)}),
        |caller| match caller {
            LeadIssuer | Admin => shows([("/retirePolicy/status", json!("RETIRED"))]),
            Anonymous => unauthenticated(),
            FirmItself | OtherFirm | EntrustedBroker | OtherBroker | CoIssuer | OtherDepartment
            | System => forbidden(),
        },
    ));
    cells
}

/// Recording presentations made outside the single window.
fn delivery_rows(w: &World) -> Vec<Cell> {
    let (c, p) = (&w.client, &w.published);
    let mut cells = Vec::new();
    let channel = |caller: Caller| match caller {
        LeadIssuer => "SMS",
        CoIssuer => "WECHAT",
        System => "PAPER",
        Admin => "EMAIL",
        Anonymous | FirmItself | OtherFirm | EntrustedBroker | OtherBroker | OtherDepartment => {
            "OTHER"
        }
    };
    cells.extend(row(
        "recordDeliveries to C",
        RECORD,
        |caller| json!({"input": {"policyId": p, "channel": channel(caller), "firmUsccs": [c]}}),
        |caller| match caller {
            LeadIssuer | CoIssuer | System | Admin => shows([
                ("/recordDeliveries/recorded", json!(1)),
                ("/recordDeliveries/alreadyRecorded", json!(0)),
            ]),
            Anonymous => unauthenticated(),
            FirmItself | OtherFirm | EntrustedBroker | OtherBroker | OtherDepartment => forbidden(),
        },
    ));
    cells
}

/// Syncing firms and departments.
fn directory_rows(w: &World) -> Vec<Cell> {
    let c = &w.client;
    let (new_by_system, new_by_admin) = (uscc("440305", 90), uscc("440305", 91));
    let mut cells = Vec::new();
    cells.extend(row(
        "upsertFirms",
        UPSERT_FIRMS,
        |caller| match caller {
            System => json!({"firms": [firm_input(&new_by_system, "440305")]}),
            Admin => json!({"firms": [firm_input(&new_by_admin, "440305")]}),
            Anonymous | FirmItself | OtherFirm | EntrustedBroker | OtherBroker | LeadIssuer
            | CoIssuer | OtherDepartment => json!({"firms": [
                named(c, "440305", "HIJACKED", &[]),
                firm_input(&uscc("440305", 92), "440305"),
            ]}),
        },
        |caller| match caller {
            System | Admin => shows([
                ("/upsertFirms/created", json!(1)),
                ("/upsertFirms/updated", json!(0)),
            ]),
            Anonymous => unauthenticated(),
            FirmItself | OtherFirm | EntrustedBroker | OtherBroker | LeadIssuer | CoIssuer
            | OtherDepartment => forbidden(),
        },
    ));
    cells.extend(row(
        "upsertDepartment",
        UPSERT_DEPARTMENT,
        |caller| match caller {
            Admin => json!({"input": {"code": "NEW-DEPT", "nameZh": "新部门"}}),
            Anonymous | FirmItself | OtherFirm | EntrustedBroker | OtherBroker | LeadIssuer
            | CoIssuer | OtherDepartment | System => {
                json!({"input": {"code": LEAD, "nameZh": "HIJACKED", "nameEn": "HIJACKED"}})
            }
        },
        |caller| match caller {
            Admin => shows([("/upsertDepartment/code", json!("NEW-DEPT"))]),
            Anonymous => unauthenticated(),
            FirmItself | OtherFirm | EntrustedBroker | OtherBroker | LeadIssuer | CoIssuer
            | OtherDepartment | System => forbidden(),
        },
    ));
    cells
}
