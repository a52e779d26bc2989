//! The department console in a real browser: signed in by a `#token=` link, its overview shows
//! what `departmentOutreach` says, a policy's page what `outreach` says, the CSV downloads, and
//! no page logs an error. Screenshots at desktop and phone width go to `target/screenshots/`.

use serde_json::{Value, json};

use crate::browser::{Browser, DESKTOP, PHONE, browser, patience};
use crate::helpers::{TestApp, department, firm, firm_input, sync_firms, uscc};
use crate::overview::{OUTREACH, OVERVIEW, world};

/// The figures of every overview row, by policy id: `data-value` where a cell has one (rates),
/// else its text with the digits kept.
const ROWS: &str = "return Object.fromEntries([...document.querySelectorAll('#overview tbody tr')]
  .map(tr => [tr.dataset.policy, Object.fromEntries([...tr.querySelectorAll('[data-figure]')]
    .map(td => [td.dataset.figure, td.dataset.value !== undefined ? Number(td.dataset.value)
      : Number(td.textContent.replace(/[^0-9.]/g, ''))]))]));";

const FIGURES: &str =
    "return Object.fromEntries([...document.querySelectorAll(arguments[0] + ' [data-figure]')]
  .map(el => [el.dataset.figure, el.dataset.value !== undefined ? Number(el.dataset.value)
    : Number(el.textContent.replace(/[^0-9.]/g, ''))]));";

/// The figures a policy's reach shows wherever it is shown.
const REACH_FIGURES: &[&str] = &[
    "audience",
    "reached",
    "acknowledged",
    "reachRate",
    "acknowledgeRate",
];

/// Each of `fields` is the same number on the page as in the API's answer.
fn same_figures(on_page: &Value, api: &Value, fields: &[&str]) {
    for field in fields {
        assert_eq!(
            on_page[field].as_f64(),
            api[field].as_f64(),
            "{field}: {on_page} on the page, {api} from the API"
        );
    }
}

async fn figures(browser: &Browser, scope: &str) -> Value {
    browser
        .client
        .execute(FIGURES, vec![json!(scope)])
        .await
        .unwrap()
}

async fn open_signed_in(browser: &Browser, app: &TestApp, token: &str) {
    browser
        .client
        .goto(&app.url(&format!("/console#token={token}")))
        .await
        .unwrap();
    browser.wait_for("#overview tbody tr").await;
    let url = browser.client.current_url().await.unwrap();
    assert!(
        !url.as_str().contains("token"),
        "the token is taken out of the address bar: {url}"
    );
}

#[tokio::test]
async fn the_overview_and_a_policy_page_show_what_the_api_says() {
    let Some(browser) = browser().await else {
        return;
    };
    let w = world().await;
    let app = &w.app;
    let token = department("GD-COMMERCE");
    // One comment on P, for the needs on its page.
    let p_id = app.ok(Some(&token), OVERVIEW, json!({})).await["departmentOutreach"]["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["policy"]["code"] == "GD-P")
        .unwrap()["policy"]["id"]
        .clone();
    app.ok(
        Some(&firm(&w.firms[2])),
        "mutation($i: AcknowledgementInput!) { acknowledgePolicy(input: $i) { id } }",
        json!({"i": {"policyId": p_id, "response": "WILL_APPLY", "comment": "需要申请表模板",
                     "idempotencyKey": "console-comment-1"}}),
    )
    .await;
    open_signed_in(&browser, app, &token).await;
    let who = browser
        .js("return document.getElementById('who').textContent")
        .await;
    assert!(who.as_str().unwrap().contains("部门"), "{who}");

    // The overview: every row as departmentOutreach counts it.
    let api = app.ok(Some(&token), OVERVIEW, json!({})).await["departmentOutreach"].clone();
    let shown = browser.js(ROWS).await;
    let rows = api["policies"].as_array().unwrap();
    assert_eq!(shown.as_object().unwrap().len(), rows.len(), "{shown}");
    for row in rows {
        let on_page = &shown[row["policy"]["id"].as_str().unwrap()];
        same_figures(
            on_page,
            row,
            &[REACH_FIGURES, &["willApply", "applied"]].concat(),
        );
    }
    let totals = figures(&browser, "#totals").await;
    assert_eq!(totals["reachedFirms"], api["totals"]["reachedFirms"]);
    assert_eq!(
        totals["acknowledgedFirms"],
        api["totals"]["acknowledgedFirms"]
    );
    browser
        .screenshot_at("console-overview-desktop", DESKTOP.0)
        .await;
    browser
        .screenshot_at("console-overview-phone", PHONE.0)
        .await;
    browser.resize(DESKTOP).await;

    // Sorting by reach puts the most reached policy first.
    browser.click("th[data-key=\"reached\"] button").await;
    let first = browser
        .js("return document.querySelector('#overview tbody tr').dataset.policy")
        .await;
    let most = rows
        .iter()
        .max_by_key(|r| r["reached"].as_i64().unwrap())
        .unwrap();
    assert_eq!(first, most["policy"]["id"]);

    // A policy's page: the funnel, channels and days as outreach counts them.
    let p = rows.iter().find(|r| r["policy"]["code"] == "GD-P").unwrap()["policy"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    browser.click(&format!("tr[data-policy=\"{p}\"] a")).await;
    browser.wait_for("#funnel").await;
    browser.wait_for("#comments").await;
    const POLICY_PAGE: &str = "query($id: ID!) { outreach(policyId: $id) { audience reached
        acknowledged reachRate acknowledgeRate responses { response firms }
        byChannel { channel reached acknowledged }
        daily { date deliveries newlyReached acknowledgements } medianHoursToAcknowledge } }";
    let outreach = app.ok(Some(&token), POLICY_PAGE, json!({"id": p})).await["outreach"].clone();
    let funnel = figures(&browser, "#funnel").await;
    same_figures(&funnel, &outreach, REACH_FIGURES);
    let answered = |response: &str| {
        outreach["responses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["response"] == response)
            .map_or(0, |r| r["firms"].as_i64().unwrap())
    };
    assert_eq!(funnel["willApply"].as_i64(), Some(answered("WILL_APPLY")));
    assert_eq!(funnel["applied"].as_i64(), Some(answered("APPLIED")));

    // A firm files while the page is open: its funnel follows, pushed over /graphql/ws.
    until(&browser, "return !document.getElementById('live').hidden").await;
    let newcomer = uscc("440305", 77);
    sync_firms(app, json!([firm_input(&newcomer, "440305")])).await;
    app.ok(
        Some(&firm(&newcomer)),
        "query($d: DeclarationInput!) { applicablePolicies(declaration: $d) { policy { code } } }",
        json!({"d": {"id": "LIVE-1", "firmUscc": newcomer, "direction": "EXPORT"}}),
    )
    .await;
    let now = app.ok(Some(&token), POLICY_PAGE, json!({"id": p})).await["outreach"].clone();
    assert_eq!(
        now["reached"].as_i64(),
        outreach["reached"].as_i64().map(|r| r + 1)
    );
    browser
        .wait_until(
            "the funnel follows the filing",
            "const r = document.querySelector('#funnel [data-figure=reached]');
             return !document.getElementById('live').hidden
               && Number(r.textContent.replace(/[^0-9]/g, '')) === arguments[0];",
            vec![now["reached"].clone()],
        )
        .await;
    let live = figures(&browser, "#funnel").await;
    same_figures(&live, &now, REACH_FIGURES);
    // The breakdowns below the funnel are read again once it moved: the channels' reach counts
    // the newcomer's filing too.
    let reached_by_channel: i64 = now["byChannel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["reached"].as_i64().unwrap())
        .sum();
    assert_ne!(now["byChannel"], outreach["byChannel"]);
    browser
        .wait_until(
            "the channels follow the filing",
            "return [...document.querySelectorAll('#channels tbody tr')]
               .map(tr => Number(tr.children[1].textContent.replace(/[^0-9]/g, '')))
               .reduce((a, b) => a + b, 0) === arguments[0];",
            vec![json!(reached_by_channel)],
        )
        .await;
    let outreach = now;
    let table = |id: &str| {
        let id = id.to_owned();
        let browser = &browser;
        async move {
            browser
                .client
                .execute(
                    "return [...document.querySelectorAll('#' + arguments[0] + ' tbody tr')]
                       .map(tr => [...tr.children].map(c => c.textContent.trim()));",
                    vec![json!(id)],
                )
                .await
                .unwrap()
        }
    };
    let channels = table("channels").await;
    let counted: Vec<Vec<i64>> = outreach["byChannel"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            vec![
                c["reached"].as_i64().unwrap(),
                c["acknowledged"].as_i64().unwrap(),
            ]
        })
        .collect();
    let on_page: Vec<Vec<i64>> = channels
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            row.as_array().unwrap()[1..]
                .iter()
                .map(|c| c.as_str().unwrap().replace(',', "").parse().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(on_page, counted, "channels");
    let days = table("daily").await;
    let counted: Vec<Value> = outreach["daily"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            json!([
                d["date"],
                d["deliveries"].to_string(),
                d["newlyReached"].to_string(),
                d["acknowledgements"].to_string()
            ])
        })
        .collect();
    assert_eq!(days, Value::Array(counted), "days");

    // What firms need: the comment, its terms as filters.
    let needs = figures(&browser, "#s-needs").await;
    assert_eq!(
        (needs["comments"].as_i64(), needs["firms"].as_i64()),
        (Some(1), Some(1))
    );
    browser.click("#s-needs button[data-term]").await;
    until(
        &browser,
        "return document.querySelector('#comments li q')?.textContent === '需要申请表模板'",
    )
    .await;

    // A firm's deliveries of the policy, with the decision records.
    type_into(&browser, "#lookup-uscc", &w.firms[0]).await;
    browser.click("form.lookup button").await;
    browser
        .wait_for("#lookup-result ol.deliveries li details")
        .await;
    let reasons = browser
        .js("return [...document.querySelectorAll('#lookup-result ul.reasons li')].map(li => li.textContent)")
        .await;
    assert!(!reasons.as_array().unwrap().is_empty(), "{reasons}");

    // The CSV of the unreached firms, downloaded with the token.
    browser.click("#unreached-csv").await;
    let csv = browser.downloaded(&format!("unreached-{p}.csv")).await;
    let export = app
        .client
        .get(app.url(&format!(
            "/exports/policies/{p}/unreached.csv?stage=NOT_REACHED"
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv, export);
    assert!(
        csv.trim_start_matches('\u{feff}').starts_with("uscc,"),
        "{csv}"
    );

    browser
        .screenshot_at("console-policy-desktop", DESKTOP.0)
        .await;
    browser.screenshot_at("console-policy-phone", PHONE.0).await;
    let errors = browser.errors().await;
    assert!(errors.is_empty(), "the console logged errors: {errors:?}");

    // English by the switch; Chinese is the default.
    browser.resize(DESKTOP).await;
    browser.click("#lang").await;
    browser.wait_for("html[lang=\"en\"] #funnel").await;
    let heading = browser
        .js("return document.getElementById('h-funnel').textContent")
        .await;
    assert_eq!(heading, "Funnel");

    // A token the service refuses signs the console out, saying so.
    browser
        .js("sessionStorage.setItem('po.token', 'not-a-token'); location.reload(); return true;")
        .await;
    browser.wait_for("form.signin textarea#token").await;
    let said = browser
        .js("return document.querySelector('[role=alert]').textContent")
        .await;
    assert!(said.as_str().unwrap().contains("sign in again"), "{said}");
    let kept = browser
        .js("return sessionStorage.getItem('po.token')")
        .await;
    assert!(kept.is_null(), "the refused token is forgotten: {kept}");
    // The browser logs the refused request itself: the sign-out's cause, and nothing else.
    let refused = browser.errors().await;
    assert!(refused.iter().all(|e| e.contains("401")), "{refused:?}");
    let _ = OUTREACH;
    browser.finish().await;
}

#[tokio::test]
async fn the_console_is_served_from_the_binary_under_a_strict_policy() {
    let app = TestApp::spawn().await;
    let page = app.client.get(app.url("/console")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for directive in [
        "script-src 'self'",
        "frame-ancestors 'none'",
        "connect-src 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(page.headers()["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    assert!(html.contains("/console/app.js"), "{html}");
    assert!(!html.contains("<script>"), "no inline script: {html}");

    let module = app
        .client
        .get(app.url("/console/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(module.status(), 200);
    assert_eq!(
        module.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    let etag = module.headers()["etag"].clone();
    let again = app
        .client
        .get(app.url("/console/app.js"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let missing = app
        .client
        .get(app.url("/console/nope.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

/// Waits until `script` returns true, for as long as the harness waits for an element.
async fn until(browser: &Browser, script: &str) {
    let started = std::time::Instant::now();
    loop {
        if browser.js(script).await == Value::Bool(true) {
            return;
        }
        assert!(started.elapsed() < patience(), "never true: {script}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn type_into(browser: &Browser, css: &str, text: &str) {
    let field = browser
        .client
        .find(fantoccini::Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

#[tokio::test]
async fn a_draft_with_a_bad_rule_is_refused_at_its_field_then_fixed_estimated_and_published() {
    let Some(browser) = browser().await else {
        return;
    };
    let w = world().await;
    let app = &w.app;
    let token = department("GD-COMMERCE");
    open_signed_in(&browser, app, &token).await;
    browser.click("#new-policy").await;
    browser.wait_for("form#editor #estimate").await;

    type_into(&browser, "#f-code", "GD-CONSOLE-1").await;
    type_into(&browser, "#f-titleZh", "控制台新建的出口补贴").await;
    type_into(&browser, "#f-summaryZh", "小微出口企业的补贴").await;
    browser
        .js("const d = document.getElementById('f-effectiveFrom'); d.value = '2026-11-01'; return true;")
        .await;
    browser.click(".add-condition").await;
    browser.wait_for("#rule .condition input.value").await;

    // A value that is not a number: the estimate and the save both name the field.
    type_into(&browser, "#rule .condition input.value", "八百万").await;
    until(
        &browser,
        "return document.querySelector('#rule .condition input.value').getAttribute('aria-invalid') === 'true'",
    )
    .await;
    let problem = browser
        .js("return document.querySelector('#rule .condition .problem').textContent")
        .await;
    assert!(!problem.as_str().unwrap().is_empty(), "{problem}");
    browser.click("#save").await;
    until(
        &browser,
        "return !!document.querySelector('#editor [role=alert]')",
    )
    .await;
    let still_new = browser.client.current_url().await.unwrap();
    assert!(still_new.as_str().ends_with("#/new"), "{still_new}");
    browser
        .screenshot_at("console-editor-problem", DESKTOP.0)
        .await;

    // Fixed: the estimate is the API's, and the draft saves.
    type_into(&browser, "#rule .condition input.value", "8000000").await;
    until(
        &browser,
        "return !!document.querySelector('#estimate [data-figure=firms]') && !document.querySelector('#rule [aria-invalid]')",
    )
    .await;
    let shown = figures(&browser, "#estimate").await;
    let rule =
        json!({"all": [{"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000}]});
    let estimate = app
        .ok(
            Some(&token),
            "query($rule: JSON!) { audienceEstimate(eligibility: $rule) { firms } }",
            json!({"rule": rule}),
        )
        .await;
    assert_eq!(shown["firms"], estimate["audienceEstimate"]["firms"]);
    browser.click("#save").await;
    browser.wait_for("#publish").await;

    // Published after the confirmation, and in the catalog.
    browser.click("#publish").await;
    browser.wait_for("dialog[open] #confirm-yes").await;
    browser.screenshot("console-publish-confirm").await;
    browser.click("#confirm-yes").await;
    until(
        &browser,
        "return !!document.querySelector('h1 .status.published') && !!document.querySelector('#audit')",
    )
    .await;
    let catalog = app
        .ok(
            None,
            "{ policies(first: 50) { edges { node { code eligibility } } } }",
            json!({}),
        )
        .await;
    let listed = catalog["policies"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["node"]["code"] == "GD-CONSOLE-1")
        .unwrap_or_else(|| panic!("not in the catalog: {catalog}"));
    assert_eq!(listed["node"]["eligibility"], rule);
    let audit = browser
        .js("return [...document.querySelectorAll('#audit > li strong')].map(s => s.textContent)")
        .await;
    assert_eq!(audit, json!(["创建", "发布"]));
    browser.screenshot_at("console-published", DESKTOP.0).await;

    // Retired, with a reason, after the confirmation: out of the catalog, in the audit trail.
    browser.click("#retire").await;
    browser.wait_for("dialog[open] #confirm-reason").await;
    type_into(&browser, "#confirm-reason", "预算已用完").await;
    browser.click("#confirm-yes").await;
    until(
        &browser,
        "return !!document.querySelector('h1 .status.retired')",
    )
    .await;
    until(
        &browser,
        "return [...document.querySelectorAll('#audit > li strong')].map(s => s.textContent).join() === '创建,发布,下线'",
    )
    .await;
    let catalog = app
        .ok(
            None,
            "{ policies(first: 50) { nodes { code } } }",
            json!({}),
        )
        .await;
    assert!(
        !catalog.to_string().contains("GD-CONSOLE-1"),
        "a retired policy leaves the catalog: {catalog}"
    );
    browser.finish().await;
}

#[tokio::test]
async fn graphiql_runs_a_query_with_every_request_to_this_origin() {
    let Some(browser) = browser().await else {
        return;
    };
    let app = TestApp::spawn_with(|s| s.graphql_introspection = true).await;
    let page = app.client.get(app.url("/graphql")).send().await.unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("script-src 'self';"), "{csp}");
    let html = page.text().await.unwrap();
    assert!(
        !html.contains("unpkg") && !html.contains("<script>"),
        "{html}"
    );

    browser.client.goto(&app.url("/graphql")).await.unwrap();
    browser
        .wait_for(".graphiql-container .graphiql-execute-button")
        .await;
    browser.click(".graphiql-execute-button").await;
    until(
        &browser,
        "return (document.querySelector('.graphiql-response')?.textContent ?? '').includes('totalCount')",
    )
    .await;
    let requested = browser
        .js("return [location.href, ...performance.getEntriesByType('resource').map(e => e.name)]")
        .await;
    let requested = requested.as_array().unwrap();
    assert!(
        requested
            .iter()
            .any(|url| url.as_str().unwrap().ends_with("/graphql")),
        "the query went to /graphql: {requested:?}"
    );
    for url in requested {
        assert!(
            url.as_str().unwrap().starts_with(&app.base),
            "{url} is not on {}",
            app.base
        );
    }
    browser.screenshot("graphiql").await;
    browser.finish().await;
}

#[tokio::test]
async fn system_and_admin_choose_the_department_they_read() {
    let Some(browser) = browser().await else {
        return;
    };
    let w = world().await;
    let app = &w.app;
    browser
        .client
        .goto(&app.url(&format!("/console#token={}", crate::helpers::system())))
        .await
        .unwrap();
    browser.wait_for("select#department").await;
    browser
        .js("const s = document.getElementById('department'); s.value = 'PBOC'; s.dispatchEvent(new Event('change')); return true;")
        .await;
    browser.wait_for("#overview tbody tr").await;
    let codes = browser
        .js("return [...document.querySelectorAll('#overview tbody tr .code')].map(c => c.textContent)")
        .await;
    assert_eq!(codes, json!(["PBOC-R", "GD-P"]));
    browser.finish().await;
}

/// An edit in the console replaces the policy's content: what the form shows is changed, and
/// what it does not show (the documents) comes back as it was.
#[tokio::test]
async fn an_edit_in_the_console_keeps_the_rest_of_the_policy() {
    let Some(browser) = browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    crate::helpers::create_departments(&app, &[("GD-COMMERCE", Some("440000"))]).await;
    let mut input = crate::helpers::policy_input("GD-EDIT", "GD-COMMERCE", "To be edited");
    input["bodyZh"] = json!("## 正文\n\n申请须知。");
    input["sourceUrl"] = json!("https://example.gov.cn/notice");
    input["regions"] = json!(["440300"]);
    input["documents"] = json!([{"title": "通知", "url": "https://example.gov.cn/n.pdf", "kind": "ELECTRONIC", "lang": "zh"}]);
    input["eligibility"] =
        json!({"any": [{"fact": "firm.size", "op": "in", "value": ["MICRO", "SMALL"]}]});
    let id = crate::helpers::create_policy(&app, input, true).await;
    let token = department("GD-COMMERCE");
    let read = "query($id: ID!, $v: Int) { policy(id: $id, version: $v) { version titleZh bodyZh
        sourceUrl regions { code } eligibility documents { title url kind lang } } }";
    let before = app.ok(Some(&token), read, json!({"id": id})).await["policy"].clone();

    browser
        .client
        .goto(&app.url(&format!("/console#token={token}")))
        .await
        .unwrap();
    browser.wait_for("#overview tbody tr").await;
    browser
        .client
        .goto(&app.url(&format!("/console#/policy/{id}/edit")))
        .await
        .unwrap();
    browser.wait_for("form#editor #rule .condition").await;
    type_into(&browser, "#f-titleZh", "改过的标题").await;
    browser.click("#save").await;
    browser.wait_for("#publish:not([hidden])").await;

    let draft = app.ok(Some(&token), read, json!({"id": id, "v": 2})).await["policy"].clone();
    assert_eq!(draft["titleZh"], "改过的标题");
    for kept in ["bodyZh", "sourceUrl", "regions", "eligibility", "documents"] {
        assert_eq!(draft[kept], before[kept], "{kept}");
    }
    browser.finish().await;
}

/// Keyboard alone: Tab reaches a policy's link on the overview, Enter opens its page.
#[tokio::test]
async fn the_console_is_usable_by_keyboard_alone() {
    let Some(browser) = browser().await else {
        return;
    };
    let w = world().await;
    open_signed_in(&browser, &w.app, &department("GD-COMMERCE")).await;
    let mut tabs = 0;
    loop {
        press(&browser, '\u{E004}').await;
        tabs += 1;
        let on_policy = browser
            .js("return document.activeElement.matches('#overview tbody a')")
            .await;
        if on_policy == Value::Bool(true) {
            break;
        }
        assert!(tabs < 40, "Tab never reached a policy's link");
    }
    let focused = browser
        .js("return document.activeElement.textContent")
        .await;
    press(&browser, '\u{E007}').await;
    browser.wait_for("#funnel").await;
    let heading = browser
        .js("return document.querySelector('h1').textContent")
        .await;
    assert!(
        heading
            .as_str()
            .unwrap()
            .contains(focused.as_str().unwrap().split(' ').next().unwrap()),
        "{focused} opened {heading}"
    );
    browser.finish().await;
}

/// Presses and releases one key (WebDriver's code for Tab, Enter…) wherever the focus is.
async fn press(browser: &Browser, key: char) {
    use fantoccini::actions::{InputSource, KeyAction, KeyActions};
    let keys = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    browser.client.perform_actions(keys).await.unwrap();
}
