//! Requests a hostile caller sends without a token: documents and variables nested thousands of
//! levels deep, fragments that expand exponentially, each at the size first found, ten times it
//! and up to the body limit. The process stays up, each refusal says which limit within 2 s, and
//! health checks keep answering while the worst of them run.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::helpers::{Service, TestApp, TestDatabase, error_code};

/// A body just under the default 2 MiB limit.
const NEAR_BODY_LIMIT: usize = 2 * 1024 * 1024 - 4 * 1024;

/// `{ audienceEstimate(eligibility: {a: {a: … 1 …}}) { firms } }`, `levels` deep.
fn deep_input_object(levels: usize) -> String {
    format!(
        "{{ audienceEstimate(eligibility: {}1{}) {{ firms }} }}",
        "{a: ".repeat(levels),
        "}".repeat(levels)
    )
}

/// The same with a list literal.
fn deep_list(levels: usize) -> String {
    format!(
        "{{ audienceEstimate(eligibility: {}1{}) {{ firms }} }}",
        "[".repeat(levels),
        "]".repeat(levels)
    )
}

/// `count` fragments, each spreading the next `fan` times.
fn fragment_bomb(count: usize, fan: usize) -> String {
    let mut document = String::from("{ ...F0 }");
    for i in 0..count {
        let body = if i + 1 == count {
            "me { role }".to_owned()
        } else {
            format!("...F{} ", i + 1).repeat(fan)
        };
        document.push_str(&format!(" fragment F{i} on Query {{ {body} }}"));
    }
    document
}

/// `count` fragments, each spreading the one below `fan` times, the bottom one a fragment that is
/// never defined: no field to count, `fan`^`count` spreads to walk.
fn undefined_bomb(count: usize, fan: usize) -> String {
    let mut document = format!(
        "{{ ...F{} }} fragment F0 on Query {{ ...Missing }}",
        count - 1
    );
    for i in 1..count {
        let spreads = format!("...F{}", i - 1).repeat(fan);
        document.push_str(&format!(" fragment F{i} on Query {{ {spreads} }}"));
    }
    document
}

/// A list nested `levels` deep behind an unterminated block string, which the parser reads as an
/// empty string and a string that ends before the list.
fn hidden_deep_list(levels: usize) -> String {
    format!(
        "{{ audienceEstimate(eligibility: [\"\"\" \" {}1{} ]) {{ firms }} }}",
        "[".repeat(levels),
        "]".repeat(levels)
    )
}

/// A POST body running `document`.
fn body_of(document: &str) -> String {
    format!(
        r#"{{"query": {}}}"#,
        serde_json::to_string(document).unwrap()
    )
}

/// A POST body whose variable `v` is a list nested `levels` deep, written by hand: serde would
/// recurse as deep to write it.
fn deep_variables(levels: usize) -> String {
    format!(
        r#"{{"query": "query($v: JSON!) {{ audienceEstimate(eligibility: $v) {{ firms }} }}", "variables": {{"v": {}1{}}}}}"#,
        "[".repeat(levels),
        "]".repeat(levels)
    )
}

/// Levels of a shape that fill a body to `bytes`, given the bytes one level takes.
fn levels_for(bytes: usize, per_level: usize) -> usize {
    bytes / per_level
}

/// Every hostile body: (what it is, the body).
fn hostile_bodies() -> Vec<(String, String)> {
    let mut bodies = Vec::new();
    for levels in [3_000, 30_000, levels_for(NEAR_BODY_LIMIT, 5)] {
        bodies.push((
            format!("input object {levels} deep"),
            body_of(&deep_input_object(levels)),
        ));
    }
    for levels in [7_000, 70_000, levels_for(NEAR_BODY_LIMIT, 2)] {
        bodies.push((format!("list {levels} deep"), body_of(&deep_list(levels))));
        bodies.push((format!("variables {levels} deep"), deep_variables(levels)));
    }
    // 850 bytes, ten times that, and a wide one of 64 KiB.
    for (count, fan) in [(10, 10), (100, 10), (10, 100), (10, 800)] {
        bodies.push((
            format!("{count} fragments spreading the next {fan} times"),
            body_of(&fragment_bomb(count, fan)),
        ));
    }
    for (count, fan) in [(21, 3), (21, 4), (30, 40)] {
        bodies.push((
            format!("{count} fragments spreading the next {fan} times down to an undefined one"),
            body_of(&undefined_bomb(count, fan)),
        ));
    }
    for levels in [3_000, 30_000] {
        bodies.push((
            format!("list {levels} deep behind an unterminated block string"),
            body_of(&hidden_deep_list(levels)),
        ));
    }
    bodies
}

async fn post(app: &TestApp, body: String) -> (reqwest::StatusCode, Value, Duration) {
    let started = Instant::now();
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the server answers");
    let status = response.status();
    let json = response.json().await.unwrap_or(Value::Null);
    (status, json, started.elapsed())
}

#[tokio::test]
async fn hostile_requests_are_refused_with_their_limit_within_two_seconds_and_the_process_stays_up()
{
    let app = TestApp::spawn().await;
    for (what, body) in hostile_bodies() {
        assert!(body.len() <= 2 * 1024 * 1024, "{what} fits the body limit");
        let (status, json, took) = post(&app, body).await;
        assert_eq!(status, 200, "{what}: {json}");
        let message = json["errors"][0]["message"].as_str().unwrap_or_default();
        if what.contains("undefined") {
            // Refused as what it is, before async-graphql's walks could expand it.
            assert_eq!(error_code(&json), "BAD_USER_INPUT", "{what}: {json}");
            assert!(message.contains("unknown fragment"), "{what}: {message}");
        } else {
            assert_eq!(error_code(&json), "QUERY_TOO_COMPLEX", "{what}: {json}");
            assert!(message.contains("(graphql_max_"), "{what}: {message}");
        }
        assert!(json.get("data").is_none(), "{what}: {json}");
        assert!(took < Duration::from_secs(2), "{what} took {took:?}");
        let health = app.client.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(health.status(), 200, "alive after {what}");
    }
}

#[tokio::test]
async fn each_limit_is_named_in_its_refusal() {
    let app = TestApp::spawn().await;
    for (body, limit) in [
        (body_of(&deep_input_object(3_000)), "graphql_max_nesting"),
        (deep_variables(3_000), "graphql_max_nesting"),
        (body_of(&fragment_bomb(10, 10)), "graphql_max_fields"),
        (
            body_of(&deep_input_object(levels_for(NEAR_BODY_LIMIT, 5))),
            "graphql_max_document_bytes",
        ),
        (
            body_of(&format!("{{ {} }}", "a ".repeat(20_000))),
            "graphql_max_tokens",
        ),
    ] {
        let (_, json, _) = post(&app, body).await;
        let message = json["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(limit), "{limit}: {json}");
    }
}

// The built binary in a process of its own, as an operator runs it: the senders' work here is not
// the service's.
#[tokio::test]
async fn health_answers_within_100_ms_while_six_worst_case_requests_run() {
    let database = TestDatabase::create().await;
    let app = Service::start(&database, 5).await;
    // The costliest the limits still let through to the parser (nearly as many tokens as allowed,
    // refused for its fields once parsed), to validation (3,700 unknown arguments, each an error
    // of its own), and the largest body refused before parsing.
    let worst = [
        body_of(&format!("{{ {} }}", "a ".repeat(14_990))),
        body_of(&format!("{{ me({}) {{ role }} }}", "a: 1 ".repeat(3_700))),
        deep_variables(levels_for(NEAR_BODY_LIMIT, 2)),
    ];
    let running = Duration::from_millis(1_500);
    let started = Instant::now();
    let senders: Vec<_> = (0..6)
        .map(|i| {
            let client = app.client.clone();
            let url = app.url("/graphql");
            let body = worst[i % worst.len()].clone();
            tokio::spawn(async move {
                let mut slowest = Duration::ZERO;
                let mut refused = 0;
                while started.elapsed() < running {
                    let sent = Instant::now();
                    let response = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .expect("the server answers");
                    let bytes = response.bytes().await.unwrap();
                    slowest = slowest.max(sent.elapsed());
                    // Read without parsing: a refusal has errors, a code, and no data entry.
                    let text = String::from_utf8_lossy(&bytes);
                    assert!(
                        text.starts_with(r#"{"errors":"#),
                        "{}",
                        &text[..200.min(text.len())]
                    );
                    assert!(text.contains(r#""code":""#));
                    refused += 1;
                }
                (slowest, refused)
            })
        })
        .collect();
    // Probed from a thread of its own, so the time measured is the service's, not that of this
    // runtime reading the senders' answers.
    let health = app.url("/healthz");
    let probes = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let client = reqwest::Client::new();
            let mut probes = Vec::new();
            while started.elapsed() < running {
                let sent = Instant::now();
                let response = client.get(&health).send().await.unwrap();
                assert_eq!(response.status(), 200);
                probes.push(sent.elapsed());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            probes
        })
    });
    for sender in senders {
        let (slowest, refused) = sender.await.unwrap();
        assert!(refused > 0);
        assert!(
            slowest < Duration::from_secs(2),
            "a refusal took {slowest:?}"
        );
    }
    let probes = probes.join().unwrap();
    let slowest_probe = probes.iter().max().copied().unwrap_or_default();
    assert!(probes.len() >= 10, "{} probes", probes.len());
    assert!(
        slowest_probe < Duration::from_millis(100),
        "/healthz took {slowest_probe:?} (probes: {probes:?})"
    );
}
