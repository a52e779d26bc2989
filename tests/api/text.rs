//! Every free text and name is stored exactly as it was checked: trimmed, within its length, with
//! no control characters, and names without the invisible characters that disguise them. Each bad
//! text is refused naming its field, with nothing written.

use policy_outreach::entity::{acknowledgement, filing, firm as firm_entity, policy, policy_audit};
use sea_orm::{EntityTrait, PaginatorTrait};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{
    TestApp, admin, create_departments, create_policy, error_code, error_fields, firm, firm_input,
    policy_input, sync_firms, system, uscc,
};

struct World {
    app: TestApp,
    exporter: String,
    policy: Uuid,
}

async fn world() -> World {
    let app = TestApp::spawn().await;
    create_departments(&app, &[("SZ-COMMERCE", Some("440300"))]).await;
    let exporter = uscc("440305", 1);
    sync_firms(&app, json!([firm_input(&exporter, "440305")])).await;
    let policy = create_policy(&app, policy_input("TEXT-1", "SZ-COMMERCE", "Text"), true).await;
    World {
        app,
        exporter,
        policy,
    }
}

/// Asserts `response` refused `field` as bad input.
fn assert_refused(response: &Value, field: &str) {
    assert_eq!(error_code(response), "BAD_USER_INPUT", "{response}");
    assert_eq!(error_fields(response), [field], "{response}");
}

const ACK: &str =
    "mutation($input: AcknowledgementInput!) { acknowledgePolicy(input: $input) { comment } }";

#[tokio::test]
async fn a_comment_padded_past_its_length_is_refused_and_a_padded_short_one_is_kept_trimmed() {
    let w = world().await;
    let padded = format!("{}{}", "需".repeat(2_000), " ".repeat(5_000));
    let refused = w
        .app
        .gql(
            Some(&firm(&w.exporter)),
            ACK,
            json!({"input": {"policyId": w.policy, "response": "INTERESTED", "comment": format!("{padded}再"), "idempotencyKey": "padded-comment-1"}}),
        )
        .await;
    assert_refused(&refused, "input.comment");
    let kept = w
        .app
        .ok(
            Some(&firm(&w.exporter)),
            ACK,
            json!({"input": {"policyId": w.policy, "response": "INTERESTED", "comment": padded, "idempotencyKey": "padded-comment-2"}}),
        )
        .await;
    assert_eq!(kept["acknowledgePolicy"]["comment"], "需".repeat(2_000));
    let stored = acknowledgement::Entity::find()
        .all(&w.app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1, "the refused one wrote nothing");
    assert_eq!(
        stored[0].comment.as_deref(),
        Some("需".repeat(2_000).as_str())
    );
}

#[tokio::test]
async fn a_note_padded_with_a_million_spaces_is_stored_trimmed_and_an_overlong_one_writes_nothing()
{
    let w = world().await;
    let record =
        "mutation($input: RecordDeliveriesInput!) { recordDeliveries(input: $input) { recorded } }";
    let overlong = format!("{}{}", "x".repeat(501), " ".repeat(1_000_000));
    let refused = w
        .app
        .gql(
            Some(&admin()),
            record,
            json!({"input": {"policyId": w.policy, "channel": "SMS", "firmUsccs": [w.exporter], "note": overlong}}),
        )
        .await;
    assert_refused(&refused, "input.note");
    assert_eq!(filing::Entity::find().count(&w.app.db).await.unwrap(), 0);

    let padded = format!("短信 {}", " ".repeat(1_000_000));
    w.app
        .ok(
            Some(&admin()),
            record,
            json!({"input": {"policyId": w.policy, "channel": "SMS", "firmUsccs": [w.exporter], "note": padded}}),
        )
        .await;
    let stored = crate::helpers::stored_deliveries(&w.app.db).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].note.as_deref(), Some("短信"));
}

#[tokio::test]
async fn a_retire_reason_with_a_nul_is_refused_and_the_policy_stays_published() {
    let w = world().await;
    let retire =
        "mutation($id: ID!, $reason: String) { retirePolicy(id: $id, reason: $reason) { status } }";
    let refused = w
        .app
        .gql(
            Some(&admin()),
            retire,
            json!({"id": w.policy, "reason": "budget\u{0}spent"}),
        )
        .await;
    assert_refused(&refused, "reason");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("U+0000")
    );
    let row = policy::Entity::find_by_id(w.policy)
        .one(&w.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status.as_str(), "PUBLISHED");
    assert!(row.retire_reason.is_none());

    w.app
        .ok(
            Some(&admin()),
            retire,
            json!({"id": w.policy, "reason": "  budget spent \n"}),
        )
        .await;
    let row = policy::Entity::find_by_id(w.policy)
        .one(&w.app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.retire_reason.as_deref(), Some("budget spent"));
    let audit = policy_audit::Entity::find().all(&w.app.db).await.unwrap();
    let retired = audit.iter().find(|a| a.action == "RETIRE").unwrap();
    assert_eq!(retired.changes["reason"], "budget spent");
}

#[tokio::test]
async fn an_unknown_broker_is_named_at_the_row_the_caller_sent_it_in() {
    let app = TestApp::spawn().await;
    // Sorted by USCC, the second row comes first: the error must still name firms[1].
    let (later, earlier, unknown) = (uscc("440305", 9), uscc("440305", 1), uscc("440304", 7));
    let mut with_unknown_broker = firm_input(&earlier, "440305");
    with_unknown_broker["brokers"] = json!([unknown]);
    let response = app
        .gql(
            Some(&system()),
            "mutation($firms: [FirmInput!]!) { upsertFirms(firms: $firms) { created } }",
            json!({"firms": [firm_input(&later, "440305"), with_unknown_broker]}),
        )
        .await;
    assert_refused(&response, "firms[1].brokers[0]");
    assert_eq!(
        firm_entity::Entity::find().count(&app.db).await.unwrap(),
        0,
        "nothing was written"
    );
}

#[tokio::test]
async fn names_and_titles_may_not_hide_direction_overrides_or_zero_width_characters() {
    let w = world().await;
    let disguised = "深圳\u{202E}局商务";
    let mut firm_row = firm_input(&uscc("440305", 5), "440305");
    firm_row["name"] = json!(disguised);
    let response = w
        .app
        .gql(
            Some(&system()),
            "mutation($firms: [FirmInput!]!) { upsertFirms(firms: $firms) { created } }",
            json!({"firms": [firm_row]}),
        )
        .await;
    assert_refused(&response, "firms[0].name");

    let response = w
        .app
        .gql(
            Some(&admin()),
            "mutation($input: DepartmentInput!) { upsertDepartment(input: $input) { code } }",
            json!({"input": {"code": "SZ-TAX", "nameZh": "税务\u{200B}局"}}),
        )
        .await;
    assert_refused(&response, "input.nameZh");
    let response = w
        .app
        .gql(
            Some(&admin()),
            "mutation($input: DepartmentInput!) { upsertDepartment(input: $input) { code } }",
            json!({"input": {"code": "SZ\u{202E}TAX", "nameZh": "税务局"}}),
        )
        .await;
    assert_refused(&response, "input.code");

    let mut input = policy_input("TEXT-2", "SZ-COMMERCE", "Text");
    input["titleZh"] = json!(disguised);
    input["summaryZh"] = json!("摘要里可以引用 \u{202E} 这样的字符");
    let response = w
        .app
        .gql(
            Some(&admin()),
            "mutation($input: PolicyInput!) { createPolicy(input: $input) { id } }",
            json!({"input": input}),
        )
        .await;
    assert_refused(&response, "input.titleZh");
    assert_eq!(policy::Entity::find().count(&w.app.db).await.unwrap(), 1);
}
