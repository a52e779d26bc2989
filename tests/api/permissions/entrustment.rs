//! A broker reads a firm only while the firm entrusts it.

use serde_json::json;

use super::table::*;
use super::world::*;
use crate::helpers::{broker, sync_firms};

#[tokio::test]
async fn a_broker_loses_a_firm_the_moment_the_firm_withdraws_its_entrustment() {
    let w = world().await;
    let (c, p) = (&w.client, &w.published);
    let before = w
        .app
        .ok(Some(&broker(&w.broker)), FIRM, json!({"uscc": c}))
        .await;
    assert_eq!(before["firm"]["name"], CLIENT_NAME);
    sync_firms(
        &w.app,
        json!([named(c, "440305", CLIENT_NAME, &[w.second_broker.as_str()])]),
    )
    .await;
    let cells = vec![
        cell(
            "firm(uscc: C)",
            EntrustedBroker,
            FIRM,
            json!({"uscc": c}),
            forbidden(),
        ),
        cell(
            "firm(uscc: C).acknowledgements",
            EntrustedBroker,
            ACKNOWLEDGEMENTS,
            json!({"uscc": c}),
            forbidden(),
        ),
        cell(
            "eligibility of C",
            EntrustedBroker,
            ELIGIBILITY,
            json!({"policy": p, "firm": c}),
            forbidden(),
        ),
        cell(
            "applicablePolicies for C",
            EntrustedBroker,
            APPLICABLE,
            json!({"d": declaration(c)}),
            forbidden(),
        ),
        cell(
            "acknowledgePolicy for C",
            EntrustedBroker,
            ACKNOWLEDGE,
            answer(p, c, EntrustedBroker),
            forbidden(),
        ),
        cell(
            "firm(uscc: G), which still entrusts it",
            EntrustedBroker,
            FIRM,
            json!({"uscc": w.quiet}),
            shows([("/firm/name", json!(QUIET_NAME))]),
        ),
    ];
    let tally = check(&w, cells).await;
    tally.report("after the entrustment is withdrawn");
    let kept = w
        .app
        .ok(Some(&broker(&w.second_broker)), FIRM, json!({"uscc": c}))
        .await;
    assert_eq!(kept["firm"]["name"], CLIENT_NAME, "the broker it kept");
}
