//! The unreached-firms CSV export, as each caller.

use std::collections::BTreeSet;

use serde_json::Value;

use super::table::*;
use super::world::*;

#[tokio::test]
async fn the_unreached_csv_export_answers_each_caller_as_designed() {
    let w = world().await;
    let get = |id: &str, caller: Caller| {
        let mut request = w
            .app
            .client
            .get(w.app.url(&format!("/exports/policies/{id}/unreached.csv")));
        if let Some(token) = w.token(caller) {
            request = request.bearer_auth(token);
        }
        async move {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let before = snapshot(&w.app.db).await;
    for caller in CALLERS {
        let (status, body) = get(&w.published, caller).await;
        let context = format!("export as {caller:?}: {status} {body}");
        let expected = match caller {
            LeadIssuer | CoIssuer | System | Admin => 200,
            Anonymous => 401,
            FirmItself | OtherFirm | EntrustedBroker | OtherBroker | OtherDepartment => 403,
        };
        assert_eq!(status, expected, "{context}");
        if status == 200 {
            let rows: BTreeSet<&str> = body
                .lines()
                .skip(1)
                .filter_map(|line| line.split(',').next())
                .collect();
            let expected: BTreeSet<&str> = [&w.broker, &w.second_broker, &w.other_broker, &w.quiet]
                .iter()
                .map(|u| u.as_str())
                .collect();
            assert_eq!(rows, expected, "{context}");
        } else {
            let error: Value = serde_json::from_str(&body).unwrap();
            let code = if status == 401 {
                "UNAUTHENTICATED"
            } else {
                "FORBIDDEN"
            };
            assert_eq!(error["errors"][0]["extensions"]["code"], code, "{context}");
        }
        assert_reveals_nothing(caller, &body, &context);

        let (draft_status, draft_body) = get(&w.draft, caller).await;
        let (missing_status, missing_body) = get(&w.missing, caller).await;
        let context = format!("draft export as {caller:?}: {draft_status} {draft_body}");
        match caller {
            LeadIssuer | CoIssuer | Admin => {
                assert_eq!(draft_status, 200, "{context}");
                assert_eq!(missing_status, 404, "{context}");
            }
            Anonymous | FirmItself | OtherFirm | EntrustedBroker | OtherBroker
            | OtherDepartment | System => {
                assert_eq!(draft_status, missing_status, "{context}");
                assert_eq!(
                    draft_body.replace(&w.draft, "<policy>"),
                    missing_body.replace(&w.missing, "<policy>"),
                    "{context}"
                );
                assert_reveals_nothing(caller, &draft_body, &context);
            }
        }
    }
    assert_eq!(
        snapshot(&w.app.db).await,
        before,
        "an export writes nothing"
    );
}
