//! The filing panel, `<policy-outreach-panel>`, as a single window uses it: its declaration page
//! is served from an origin of its own (the demo host page, loaded from a second server) and
//! loads the panel from the service. Over HTTP: CORS answers only the allowed origins, the panel
//! script is cacheable and loadable from anywhere. In a real browser: the panel shows what
//! `applicablePolicies` says, records one acknowledgement per answer however often it is clicked,
//! remembers the answer, hides what the firm dismissed, works by keyboard alone, and fails
//! quietly (a message, an event, no exception) where the service refuses the origin, is down, or
//! does not know the firm. Screenshots go to `target/screenshots/panel-*.png`.

use chrono::{Datelike, Days, NaiveDate};
use fantoccini::key::Key;
use reqwest::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN, ORIGIN,
};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use policy_outreach::config::AllowedOrigins;

use crate::browser::{Browser, DESKTOP, PHONE, browser};
use crate::helpers::{
    TestApp, admin, broker, create_departments, create_policy, firm, firm_input, policy_input,
    stored_deliveries, sync_firms, uscc,
};

const DEMO_HTML: &str = include_str!("../../service/widget/demo.html");

/// The panel's shadow root, in a page script.
const ROOT: &str = "document.getElementById('panel').shadowRoot";

/// A single window's page on an origin of its own: the demo host page, with the panel, its
/// script and its style sheet loaded from the service at `service`.
struct Host {
    origin: String,
    _stop: oneshot::Sender<()>,
}

impl Host {
    /// Binds a port, so its origin is known before the service that must allow it starts.
    async fn bind() -> (tokio::net::TcpListener, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        (listener, origin)
    }

    async fn serve(listener: tokio::net::TcpListener, origin: String, service: &str) -> Host {
        let page = DEMO_HTML.replace("\"/widget/", &format!("\"{service}/widget/"));
        assert_ne!(
            page, DEMO_HTML,
            "the host page loads the panel from the service"
        );
        let router = axum::Router::new().route(
            "/",
            axum::routing::get(move || {
                let page = page.clone();
                async move { axum::response::Html(page) }
            }),
        );
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Host {
            origin,
            _stop: stop,
        }
    }
}

/// A Shenzhen exporter and its broker, a firm the service never heard of, and four published
/// policies of which three apply to an export of general trade to the US.
struct World {
    app: TestApp,
    host: Host,
    firm: String,
    broker: String,
    stranger: String,
    /// `PANEL-FAIR`'s application deadline.
    deadline: NaiveDate,
}

async fn world() -> World {
    let (listener, origin) = Host::bind().await;
    let allowed = origin.clone();
    let app = TestApp::spawn_with(move |s| {
        s.cors_allowed_origins = AllowedOrigins::parse([allowed.as_str()]).unwrap();
        s.widget_demo = true;
    })
    .await;
    let host = Host::serve(listener, origin, &app.base).await;
    create_departments(&app, &[("SZ-COMMERCE", Some("440300")), ("PBOC", None)]).await;
    let firm_uscc = uscc("440305", 1);
    let broker_uscc = uscc("440304", 2);
    let mut entrusting = firm_input(&firm_uscc, "440305");
    entrusting["brokers"] = json!([broker_uscc]);
    sync_firms(
        &app,
        json!([firm_input(&broker_uscc, "440304"), entrusting]),
    )
    .await;
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive();
    let deadline = today.checked_add_days(Days::new(10)).unwrap();

    let mut insurance = policy_input(
        "PANEL-INS",
        "SZ-COMMERCE",
        "Export credit insurance, premiums paid",
    );
    insurance["regions"] = json!(["440300"]);
    insurance["benefitKind"] = json!("INSURANCE");
    insurance["autoEnjoy"] = json!(true);
    insurance["eligibility"] = json!({"all": [
        {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000},
        {"fact": "declaration.direction", "op": "eq", "value": "EXPORT"}]});
    create_policy(&app, insurance, true).await;

    let mut fair = policy_input("PANEL-FAIR", "SZ-COMMERCE", "Trade fair subsidy");
    fair["applyDeadline"] = json!(deadline.to_string());
    fair["applyUrl"] = json!("https://example.cn/apply");
    fair["documents"] =
        json!([{"title": "申请表", "url": "https://example.cn/form.docx", "kind": "ELECTRONIC"}]);
    fair["eligibility"] = json!({"fact": "declaration.tradeMode", "op": "in", "value": ["0110"]});
    create_policy(&app, fair, true).await;

    let mut us = policy_input("PANEL-US", "PBOC", "Tariff response credit");
    us["benefitKind"] = json!("CREDIT");
    us["applyDeadline"] = json!(today.checked_add_days(Days::new(40)).unwrap().to_string());
    us["eligibility"] = json!({"fact": "declaration.country", "op": "eq", "value": "US"});
    create_policy(&app, us, true).await;

    let mut import = policy_input("PANEL-IMPORT", "PBOC", "Imported equipment");
    import["eligibility"] = json!({"fact": "declaration.direction", "op": "eq", "value": "IMPORT"});
    create_policy(&app, import, true).await;

    World {
        app,
        host,
        firm: firm_uscc,
        broker: broker_uscc,
        stranger: uscc("440305", 77),
        deadline,
    }
}

const FILING: &str = "query($d: DeclarationInput!) { applicablePolicies(declaration: $d) {
    policy { id code title } reasons { text } } }";

/// The declaration the demo form sends with its defaults and `id`, `firm`.
fn declaration(id: &str, firm_uscc: &str) -> Value {
    json!({"id": id, "firmUscc": firm_uscc, "direction": "EXPORT", "tradeMode": "0110",
           "country": "US", "port": "5304", "items": [{"hsCode": "8501", "valueUsd": 120000.0}]})
}

/// What `applicablePolicies` answers a direct call (the same declaration id: nothing new is
/// recorded).
async fn direct(w: &World, token: &str, id: &str) -> Vec<Value> {
    w.app
        .ok(Some(token), FILING, json!({"d": declaration(id, &w.firm)}))
        .await["applicablePolicies"]
        .as_array()
        .unwrap()
        .clone()
}

fn codes(matches: &[Value]) -> Vec<String> {
    matches
        .iter()
        .map(|m| m["policy"]["code"].as_str().unwrap().to_owned())
        .collect()
}

/// The comments stored for a policy, read back over GraphQL: (response, comment, firm).
async fn comments(app: &TestApp, policy_id: &str) -> Vec<(String, String, String)> {
    let data = app
        .ok(
            Some(&admin()),
            "query($id: ID!) { needs(policyId: $id) { comments entries { edges { node {
                response comment firm { uscc } } } } } }",
            json!({"id": policy_id}),
        )
        .await;
    data["needs"]["entries"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            (
                n["response"].as_str().unwrap().to_owned(),
                n["comment"].as_str().unwrap().to_owned(),
                n["firm"]["uscc"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Opens the host page afresh (a page load, not a jump within the page), signed in by its
/// `#token=` link, waiting for the panel to be defined.
async fn open_host(browser: &Browser, w: &World, token: &str) {
    browser.client.goto("about:blank").await.unwrap();
    browser
        .client
        .goto(&format!("{}/#token={token}&firm={}", w.host.origin, w.firm))
        .await
        .unwrap();
    browser
        .wait_until(
            "the panel is defined",
            "return !!customElements.get('policy-outreach-panel')
               && !!document.getElementById('panel').shadowRoot",
            vec![],
        )
        .await;
}

/// Sets the form's declaration number (the page made up a new one).
async fn number_declaration(browser: &Browser, id: &str) {
    browser
        .client
        .execute(
            "document.getElementById('decl-id').value = arguments[0];",
            vec![json!(id)],
        )
        .await
        .unwrap();
}

/// Waits for the panel to show the service's answer; returns the policy codes in the order shown.
async fn shown(browser: &Browser) -> Vec<String> {
    let value = browser
        .wait_until(
            "the panel shows its answer",
            &format!(
                "const s = {ROOT}.querySelector('section');
                 return s && s.dataset.state === 'shown'
                   ? {{codes: [...{ROOT}.querySelectorAll('article')].map(a => a.dataset.code)}}
                   : null;"
            ),
            vec![],
        )
        .await;
    serde_json::from_value(value["codes"].clone()).unwrap()
}

/// Clicks `css` inside the panel's shadow root.
async fn click_in_panel(browser: &Browser, css: &str) {
    let found = browser
        .client
        .execute(
            &format!(
                "const el = {ROOT}.querySelector(arguments[0]); if (el) el.click(); return !!el;"
            ),
            vec![json!(css)],
        )
        .await
        .unwrap();
    assert_eq!(found, json!(true), "nothing in the panel at {css}");
}

/// What a card says about the firm's response, once it says `containing`.
async fn said(browser: &Browser, code: &str, containing: &str) -> String {
    browser
        .wait_until(
            &format!("{code} says {containing}"),
            &format!(
                "const p = {ROOT}.querySelector(`article[data-code='${{arguments[0]}}'] .said`);
                 return p && p.textContent.includes(arguments[1]) ? p.textContent : null;"
            ),
            vec![json!(code), json!(containing)],
        )
        .await
        .as_str()
        .unwrap()
        .to_owned()
}

/// The events the panel fired, as the demo page logged them: their types, newest first.
async fn events(browser: &Browser) -> Vec<String> {
    let value = browser
        .js("return [...document.querySelectorAll('#events li')].map(li => li.dataset.type)")
        .await;
    serde_json::from_value(value).unwrap()
}

/// The names of the `Access-Control-*` headers of an answer.
fn cors_headers(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

#[tokio::test]
async fn cors_answers_the_allowed_origins_and_no_other() {
    let allowed = "http://sw.example.cn:8443";
    let app = TestApp::spawn_with(|s| {
        s.cors_allowed_origins = AllowedOrigins::parse([allowed]).unwrap();
    })
    .await;
    let preflight = |origin: &str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/graphql"))
            .header(ORIGIN, origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization,content-type",
            )
            .send()
    };
    let yes = preflight(allowed).await.unwrap();
    assert!(yes.status().is_success(), "{}", yes.status());
    let header = |r: &reqwest::Response, name| {
        r.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_ascii_lowercase())
    };
    assert_eq!(
        header(&yes, ACCESS_CONTROL_ALLOW_ORIGIN).as_deref(),
        Some(allowed)
    );
    let methods = header(&yes, ACCESS_CONTROL_ALLOW_METHODS).unwrap();
    assert!(methods.contains("post"), "{methods}");
    let headers = header(&yes, ACCESS_CONTROL_ALLOW_HEADERS).unwrap();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );
    assert!(
        yes.headers()
            .get("access-control-allow-credentials")
            .is_none(),
        "tokens travel in Authorization; cookies are never allowed"
    );

    for other in [
        "http://sw.example.cn:8444",
        "https://sw.example.cn:8443",
        "http://evil.example",
    ] {
        let no = preflight(other).await.unwrap();
        assert!(cors_headers(&no).is_empty(), "{other}: {:?}", no.headers());
    }

    let post = |origin: &str| {
        app.client
            .post(app.url("/graphql"))
            .header(ORIGIN, origin)
            .json(&json!({"query": "{ me { role } }"}))
            .send()
    };
    let read = post(allowed).await.unwrap();
    assert_eq!(
        header(&read, ACCESS_CONTROL_ALLOW_ORIGIN).as_deref(),
        Some(allowed)
    );
    assert!(
        header(&read, "access-control-expose-headers".parse().unwrap())
            .is_some_and(|h| h.contains("x-request-id"))
    );
    let unread = post("http://evil.example").await.unwrap();
    assert!(cors_headers(&unread).is_empty(), "{:?}", unread.headers());

    // The JSON-only body stays the defence against forged posts, from an allowed origin too.
    let form = app
        .client
        .post(app.url("/graphql"))
        .header(ORIGIN, allowed)
        .header("content-type", "text/plain")
        .body(r#"{"query":"{ me { role } }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), reqwest::StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[tokio::test]
async fn without_allowed_origins_no_answer_carries_cors() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/graphql"))
        .header(ORIGIN, "http://sw.example.cn")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    let cors = cors_headers(&response);
    assert!(cors.is_empty(), "{cors:?}");
    // And the demo host page is served only when asked for.
    let demo = app
        .client
        .get(app.url("/widget/demo"))
        .send()
        .await
        .unwrap();
    assert_eq!(demo.status(), reqwest::StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_panel_script_is_cacheable_and_loadable_from_any_origin() {
    let app = TestApp::spawn().await;
    let script = app
        .client
        .get(app.url("/widget/policy-panel.js"))
        .header(ORIGIN, "http://anywhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), reqwest::StatusCode::OK);
    let header = |name: &str| {
        script
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert!(header("content-type").starts_with("text/javascript"));
    assert_eq!(header("access-control-allow-origin"), "*");
    assert_eq!(header("cross-origin-resource-policy"), "cross-origin");
    assert!(header("cache-control").contains("max-age="));
    let etag = header("etag");
    assert!(etag.starts_with('"'), "{etag}");
    let body = script.text().await.unwrap();
    assert!(body.contains("customElements.define('policy-outreach-panel'"));
    assert!(
        !body
            .lines()
            .any(|line| line.trim_start().starts_with("import ")),
        "no dependency"
    );
    let again = app
        .client
        .get(app.url("/widget/policy-panel.js"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), reqwest::StatusCode::NOT_MODIFIED);
}

#[tokio::test]
async fn the_panel_on_another_origin_shows_the_policies_and_records_each_answer_once() {
    let Some(browser) = browser().await else {
        return;
    };
    let w = world().await;
    let token = firm(&w.firm);
    open_host(&browser, &w, &token).await;
    number_declaration(&browser, "PANEL-DECL-1").await;
    browser.click("#save").await;
    let on_page = shown(&browser).await;
    let api = direct(&w, &token, "PANEL-DECL-1").await;
    assert_eq!(
        on_page,
        codes(&api),
        "exactly the service's matches, in order"
    );
    assert_eq!(on_page, ["PANEL-FAIR", "PANEL-US", "PANEL-INS"]);
    assert_eq!(
        stored_deliveries(&w.app.db).await.len(),
        3,
        "the panel's presentations are recorded once, the direct call added none"
    );
    assert!(
        events(&browser)
            .await
            .contains(&"policies-presented".to_owned())
    );

    // Each card: the title, the deadline with the days left, "granted without application".
    let cards = browser
        .js(&format!(
            "return [...{ROOT}.querySelectorAll('article')].map(a => ({{
               title: a.querySelector('h3').textContent,
               days: a.querySelector('.deadline').dataset.days ?? null,
               deadline: a.querySelector('.deadline').textContent,
               auto: !!a.querySelector('.tag.auto'),
               apply: a.querySelector('.links a')?.href ?? null,
               reasonsHidden: a.querySelector('ul.reasons').hidden }}))"
        ))
        .await;
    for (card, m) in cards.as_array().unwrap().iter().zip(&api) {
        assert_eq!(card["title"], m["policy"]["title"]);
        assert_eq!(card["reasonsHidden"], json!(true), "reasons are folded");
    }
    let today = browser
        .js("const d = new Date(); return [d.getFullYear(), d.getMonth() + 1, d.getDate()]")
        .await;
    let today = NaiveDate::from_ymd_opt(
        i32::try_from(today[0].as_i64().unwrap()).unwrap(),
        u32::try_from(today[1].as_u64().unwrap()).unwrap(),
        u32::try_from(today[2].as_u64().unwrap()).unwrap(),
    )
    .unwrap();
    let days = (w.deadline - today).num_days();
    assert_eq!(cards[0]["days"], json!(days.to_string()));
    assert!(
        cards[0]["deadline"]
            .as_str()
            .unwrap()
            .contains(&format!("{days} 天")),
        "{}",
        cards[0]["deadline"]
    );
    assert!(
        cards[0]["deadline"]
            .as_str()
            .unwrap()
            .contains(&w.deadline.day().to_string())
    );
    assert_eq!(cards[0]["apply"], json!("https://example.cn/apply"));
    assert_eq!(cards[2]["auto"], json!(true));
    assert_eq!(cards[0]["auto"], json!(false));

    // Unfolded, the reasons are the service's.
    click_in_panel(&browser, "article[data-code='PANEL-FAIR'] .reasons-toggle").await;
    let reasons = browser
        .js(&format!(
            "const a = {ROOT}.querySelector(`article[data-code='PANEL-FAIR']`);
             return {{expanded: a.querySelector('.reasons-toggle').getAttribute('aria-expanded'),
                      hidden: a.querySelector('ul.reasons').hidden,
                      texts: [...a.querySelectorAll('ul.reasons li')].map(li => li.textContent)}};"
        ))
        .await;
    assert_eq!(reasons["expanded"], "true");
    assert_eq!(reasons["hidden"], false);
    let api_reasons: Vec<&Value> = api[0]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["text"])
        .collect();
    assert_eq!(
        reasons["texts"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>(),
        api_reasons
    );
    browser.screenshot_at("panel-desktop", DESKTOP.0).await;

    // "Will apply" with what the firm still needs, clicked twice in a row: one acknowledgement.
    let fair_id = api[0]["policy"]["id"].as_str().unwrap().to_owned();
    click_in_panel(&browser, "article[data-code='PANEL-FAIR'] .need-toggle").await;
    browser
        .client
        .execute(
            &format!(
                "const t = {ROOT}.querySelector(`article[data-code='PANEL-FAIR'] textarea`);
                 t.value = arguments[0]; t.dispatchEvent(new Event('input'));
                 const b = {ROOT}.querySelector(`article[data-code='PANEL-FAIR'] button[data-response='WILL_APPLY']`);
                 b.click(); b.click();"
            ),
            vec![json!("需要申请表模板")],
        )
        .await
        .unwrap();
    said(&browser, "PANEL-FAIR", "已记录").await;
    click_in_panel(
        &browser,
        "article[data-code='PANEL-FAIR'] button[data-response='WILL_APPLY']",
    )
    .await;
    said(&browser, "PANEL-FAIR", "已是您的回应").await;
    assert_eq!(
        comments(&w.app, &fair_id).await,
        [(
            "WILL_APPLY".to_owned(),
            "需要申请表模板".to_owned(),
            w.firm.clone()
        )]
    );
    let fired = events(&browser).await;
    assert_eq!(
        fired.iter().filter(|e| *e == "policy-acknowledged").count(),
        1,
        "{fired:?}"
    );

    // An answer whose reply was lost is sent again with the same key when clicked again.
    let us_id = api[1]["policy"]["id"].as_str().unwrap().to_owned();
    browser
        .js("const real = window.fetch; let lost = false;
             window.fetch = async (...args) => {
               const answer = await real(...args);
               if (!lost && String(args[1]?.body).includes('acknowledgePolicy')) {
                 lost = true;
                 throw new TypeError('the reply was lost');
               }
               return answer;
             }; return true;")
        .await;
    click_in_panel(&browser, "article[data-code='PANEL-US'] .need-toggle").await;
    browser
        .client
        .execute(
            &format!(
                "const t = {ROOT}.querySelector(`article[data-code='PANEL-US'] textarea`);
                 t.value = arguments[0]; t.dispatchEvent(new Event('input'));
                 {ROOT}.querySelector(`article[data-code='PANEL-US'] button[data-response='INTERESTED']`).click();"
            ),
            vec![json!("不清楚是否适用转口贸易")],
        )
        .await
        .unwrap();
    said(&browser, "PANEL-US", "未能提交").await;
    assert!(events(&browser).await.contains(&"policy-error".to_owned()));
    click_in_panel(
        &browser,
        "article[data-code='PANEL-US'] button[data-response='INTERESTED']",
    )
    .await;
    said(&browser, "PANEL-US", "已记录").await;
    assert_eq!(
        comments(&w.app, &us_id).await.len(),
        1,
        "the retry was the same acknowledgement"
    );

    // After a reload (a new declaration), the panel shows the firm's answer.
    open_host(&browser, &w, &token).await;
    number_declaration(&browser, "PANEL-DECL-2").await;
    browser.click("#save").await;
    assert_eq!(
        shown(&browser).await,
        ["PANEL-FAIR", "PANEL-US", "PANEL-INS"]
    );
    let pressed = browser
        .js(&format!(
            "return [...{ROOT}.querySelectorAll(`button[aria-pressed='true']`)]
               .map(b => b.closest('article').dataset.code + ':' + b.dataset.response)"
        ))
        .await;
    assert_eq!(
        pressed,
        json!(["PANEL-FAIR:WILL_APPLY", "PANEL-US:INTERESTED"])
    );
    said(&browser, "PANEL-FAIR", "您的回应：将申请").await;

    // "Don't show again" hides the policy from the next presentation, on the page as in the API.
    click_in_panel(
        &browser,
        "article[data-code='PANEL-US'] button[data-response='DISMISSED']",
    )
    .await;
    said(&browser, "PANEL-US", "不再显示").await;
    number_declaration(&browser, "PANEL-DECL-3").await;
    browser.click("#save").await;
    let after = shown(&browser).await;
    assert_eq!(after, ["PANEL-FAIR", "PANEL-INS"]);
    assert_eq!(after, codes(&direct(&w, &token, "PANEL-DECL-3").await));

    // A phone's width: the panel below the form; and English.
    browser.screenshot_at("panel-phone", PHONE.0).await;
    browser.resize(DESKTOP).await;
    browser.click("#lang-switch").await;
    browser.click("#save").await;
    shown(&browser).await;
    let english = browser
        .js(&format!("return {ROOT}.querySelector('h2').textContent"))
        .await;
    assert_eq!(english, "Policies for this declaration");
    browser.screenshot_at("panel-english", DESKTOP.0).await;

    // The same page served by the service itself, under its Content-Security-Policy.
    browser
        .client
        .goto(
            &w.app
                .url(&format!("/widget/demo#token={token}&firm={}", w.firm)),
        )
        .await
        .unwrap();
    browser
        .wait_until(
            "the panel is defined",
            "return !!customElements.get('policy-outreach-panel')",
            vec![],
        )
        .await;
    number_declaration(&browser, "PANEL-DECL-3").await;
    browser.click("#save").await;
    assert_eq!(shown(&browser).await, ["PANEL-FAIR", "PANEL-INS"]);
    browser.finish().await;
}

#[tokio::test]
async fn a_broker_uses_the_panel_by_keyboard_alone() {
    let Some(browser) = browser().await else {
        return;
    };
    let w = world().await;
    open_host(&browser, &w, &broker(&w.broker)).await;
    number_declaration(&browser, "PANEL-KEYS").await;
    // The deepest focused element: inside the panel's shadow root, or the page's.
    let focused = "let el = document.activeElement;
        while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
        return el ? {id: el.id, text: el.textContent, tag: el.tagName,
                     outline: getComputedStyle(el).outlineStyle,
                     code: el.closest('article')?.dataset.code ?? null} : null;";
    let tab_to = |want: &'static str| {
        let browser = &browser;
        async move {
            for _ in 0..60 {
                browser.press(&Key::Tab.to_string()).await;
                let now = browser.js(focused).await;
                if now["id"].as_str().is_some_and(|id| id.ends_with(want)) {
                    return now;
                }
            }
            panic!("Tab never reached {want}");
        }
    };
    browser
        .js("document.activeElement.blur(); return true")
        .await;
    tab_to("save").await;
    browser.press(&Key::Enter.to_string()).await;
    assert_eq!(
        shown(&browser).await,
        ["PANEL-FAIR", "PANEL-US", "PANEL-INS"]
    );
    // Into the panel: the first card's reasons open with Enter, its "what do you still need"
    // box with Space, the text is typed, and "will apply" is pressed with Enter.
    let toggle = tab_to("reasons-button").await;
    assert_eq!(toggle["code"], "PANEL-FAIR");
    assert_ne!(toggle["outline"], "none", "the focus is visible");
    browser.press(&Key::Enter.to_string()).await;
    let expanded = browser
        .js(&format!(
            "return {ROOT}.querySelector(`article[data-code='PANEL-FAIR'] .reasons-toggle`)
               .getAttribute('aria-expanded')"
        ))
        .await;
    assert_eq!(expanded, "true");
    tab_to("need-button").await;
    browser.press(&Key::Space.to_string()).await;
    tab_to("comment").await;
    browser.press("需要报关行代办").await;
    let button = tab_to("WILL_APPLY").await;
    assert_eq!(button["code"], "PANEL-FAIR");
    browser.press(&Key::Enter.to_string()).await;
    said(&browser, "PANEL-FAIR", "已记录").await;
    let still = browser.js(focused).await;
    assert!(
        still["id"].as_str().unwrap().ends_with("WILL_APPLY"),
        "the focus stays on the button pressed: {still}"
    );
    let fair_id = direct(&w, &broker(&w.broker), "PANEL-KEYS").await[0]["policy"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        comments(&w.app, &fair_id).await,
        [(
            "WILL_APPLY".to_owned(),
            "需要报关行代办".to_owned(),
            w.firm.clone()
        )]
    );
    browser.finish().await;
}

#[tokio::test]
async fn the_panel_fails_quietly_where_it_cannot_answer() {
    let Some(browser) = browser().await else {
        return;
    };
    let mut w = world().await;
    let token = firm(&w.firm);

    // A firm the service has not synced: nothing shown, and the host hears NOT_FOUND.
    open_host(&browser, &w, &firm(&w.stranger)).await;
    browser
        .client
        .execute(
            "document.getElementById('firm').value = arguments[0];
             window.panelErrors = [];
             document.getElementById('panel').addEventListener('policy-error',
               e => window.panelErrors.push(e.detail.code));",
            vec![json!(w.stranger)],
        )
        .await
        .unwrap();
    browser.click("#save").await;
    let codes = browser
        .wait_until(
            "a policy-error",
            "return window.panelErrors.length ? window.panelErrors : null",
            vec![],
        )
        .await;
    assert_eq!(codes, json!(["NOT_FOUND"]));
    let hidden = browser
        .js("const p = document.getElementById('panel');
             return p.hidden && getComputedStyle(p).display === 'none'")
        .await;
    assert_eq!(hidden, true, "an unknown firm shows nothing");

    // A token the service refuses (401) is asked for again, once, and the retry goes through.
    open_host(&browser, &w, &token).await;
    browser
        .js("const real = sessionStorage.getItem('po.widget.token');
             window.asked = [];
             document.getElementById('panel').tokenProvider = async ({ retry }) => {
               window.asked.push(retry);
               return retry ? real : 'an.expired.token';
             };
             return true;")
        .await;
    number_declaration(&browser, "PANEL-RETRY").await;
    browser.click("#save").await;
    assert_eq!(
        shown(&browser).await,
        ["PANEL-FAIR", "PANEL-US", "PANEL-INS"]
    );
    // Asked once, refused, asked again for the retry (then, for the inbox, once more).
    let asked = browser.js("return window.asked").await;
    assert_eq!(asked.as_array().unwrap()[..2], [json!(false), json!(true)]);
    quiet(&browser).await;

    // A single window on an origin the service does not allow: the panel loads, its calls fail.
    let (listener, origin) = Host::bind().await;
    let stranger_host = Host::serve(listener, origin, &w.app.base).await;
    let before = stored_deliveries(&w.app.db).await.len();
    browser
        .client
        .goto(&format!(
            "{}/#token={token}&firm={}",
            stranger_host.origin, w.firm
        ))
        .await
        .unwrap();
    browser
        .wait_until(
            "the panel is defined",
            "return !!customElements.get('policy-outreach-panel')",
            vec![],
        )
        .await;
    let refused = present_and_fail(&browser).await;
    assert_eq!(refused["code"], "SERVICE_UNAVAILABLE");
    assert_eq!(
        stored_deliveries(&w.app.db).await.len(),
        before,
        "the refused origin's filing recorded nothing"
    );
    quiet(&browser).await;

    // The service down, after the panel loaded: a message in the panel, no exception.
    open_host(&browser, &w, &token).await;
    w.app.stop();
    while reqwest::get(w.app.url("/healthz")).await.is_ok() {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let down = present_and_fail(&browser).await;
    assert_eq!(down["code"], "SERVICE_UNAVAILABLE");
    assert!(down["message"].as_str().unwrap().contains("无法连接"));
    browser.screenshot_at("panel-service-down", DESKTOP.0).await;
    quiet(&browser).await;
    let _ = browser.client.close().await;
}

/// Saves the form and waits for the panel to give up: its state, message and event.
async fn present_and_fail(browser: &Browser) -> Value {
    browser
        .js("window.panelErrors = [];
             document.getElementById('panel').addEventListener('policy-error',
               e => window.panelErrors.push(e.detail.code));
             return true;")
        .await;
    browser.click("#save").await;
    browser
        .wait_until(
            "the panel says it cannot answer",
            &format!(
                "const s = {ROOT}.querySelector('section');
                 return s.dataset.state === 'unavailable' && window.panelErrors.length
                   ? {{code: window.panelErrors[0], state: s.dataset.state,
                       message: s.querySelector('[role=alert]').textContent}}
                   : null;"
            ),
            vec![],
        )
        .await
}

/// What the page logged holds the browser's own note of the refused request, and no exception
/// from the panel or the host page.
async fn quiet(browser: &Browser) {
    let logged = browser.errors().await;
    assert!(
        logged.iter().all(|line| !line.contains("Uncaught")),
        "{logged:?}"
    );
}

#[tokio::test]
async fn the_panel_offers_a_policy_published_while_it_is_open() {
    let Some(browser) = browser().await else {
        return;
    };
    let w = world().await;
    open_host(&browser, &w, &firm(&w.firm)).await;
    number_declaration(&browser, "PANEL-OFFER").await;
    browser.click("#save").await;
    assert_eq!(
        shown(&browser).await,
        ["PANEL-FAIR", "PANEL-US", "PANEL-INS"]
    );
    // A department publishes a policy for every firm while the declaration is open.
    create_policy(
        &w.app,
        policy_input("PANEL-NEW", "SZ-COMMERCE", "Newly published"),
        true,
    )
    .await;
    let offer = browser
        .wait_until(
            "the panel offers the new policy",
            &format!(
                "const o = {ROOT}.querySelector(`[data-offer='PANEL-NEW']`);
                 return o ? o.textContent : null;"
            ),
            vec![],
        )
        .await;
    assert!(offer.as_str().unwrap().contains("PANEL-NEW政策"), "{offer}");
    assert!(
        events(&browser)
            .await
            .contains(&"policy-offered".to_owned())
    );
    browser.screenshot_at("panel-offer", DESKTOP.0).await;
    // Shown on request: presented again, the offer gives way to its card.
    click_in_panel(&browser, "[data-offer='PANEL-NEW'] button").await;
    let codes = browser
        .wait_until(
            "the new policy among the cards",
            &format!(
                "const codes = [...{ROOT}.querySelectorAll('article')].map(a => a.dataset.code);
                 return codes.includes('PANEL-NEW') ? codes : null;"
            ),
            vec![],
        )
        .await;
    assert_eq!(codes.as_array().unwrap().len(), 4);
    let offers = browser
        .js(&format!("return {ROOT}.querySelectorAll('.offer').length"))
        .await;
    assert_eq!(offers, 0);
    browser.finish().await;
}
