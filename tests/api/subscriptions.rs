//! Subscriptions over `/graphql/ws` in the `graphql-transport-ws` protocol, with a real WebSocket
//! client: `catalogChanged` for a region, `inboxChanged` for a firm, the token in
//! `connection_init`, the limits and permissions of every request, and, on PostgreSQL, a second
//! instance that hears a publish of the first within two seconds, also after its database
//! connections were cut.

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{
    TestApp, admin, broker, create_departments, create_policy, department, firm, firm_input,
    policy_input, sync_firms, system, uscc,
};

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A `graphql-transport-ws` client.
struct Client {
    socket: Socket,
}

/// How the server ended a connection: its close code.
#[derive(Debug, PartialEq)]
struct Closed(u16);

impl Client {
    /// Connects to `base` and sends `connection_init` with `payload`.
    async fn open(base: &str, payload: Value) -> Result<Client, Closed> {
        let address: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
        let stream = tokio::net::TcpStream::connect(address).await.unwrap();
        Client::open_on(stream, base, payload).await
    }

    /// An anonymous client whose socket takes in at most a few kilobytes that it has not read:
    /// what it does not read backs up into the server's send at once.
    async fn with_small_buffer(base: &str) -> Client {
        let address: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        socket.set_recv_buffer_size(4096).unwrap();
        let stream = socket.connect(address).await.unwrap();
        Client::open_on(stream, base, json!({})).await.unwrap()
    }

    async fn open_on(
        stream: tokio::net::TcpStream,
        base: &str,
        payload: Value,
    ) -> Result<Client, Closed> {
        let url = format!("{}/graphql/ws", base.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (socket, response) = tokio_tungstenite::client_async(
            request,
            tokio_tungstenite::MaybeTlsStream::Plain(stream),
        )
        .await
        .unwrap();
        assert_eq!(
            response.headers()["sec-websocket-protocol"],
            "graphql-transport-ws"
        );
        let mut client = Client { socket };
        client
            .send(json!({"type": "connection_init", "payload": payload}))
            .await;
        let ack = client.next(Duration::from_secs(5)).await?;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        Ok(client)
    }

    async fn signed_in(base: &str, token: &str) -> Client {
        Client::open(base, json!({"Authorization": format!("Bearer {token}")}))
            .await
            .unwrap()
    }

    async fn send(&mut self, message: Value) {
        self.socket
            .send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({"id": id, "type": "subscribe",
                         "payload": {"query": query, "variables": variables}}))
            .await;
    }

    /// The next message within `wait`, or how the connection closed. Pings are answered.
    async fn next(&mut self, wait: Duration) -> Result<Value, Closed> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let message = tokio::time::timeout(left, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("nothing within {wait:?}"));
            match message {
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if value["type"] == "ping" {
                        self.send(json!({"type": "pong"})).await;
                        continue;
                    }
                    return Ok(value);
                }
                Some(Ok(Message::Close(frame))) => {
                    return Err(Closed(frame.map_or(1005, |f| u16::from(f.code))));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Err(Closed(1006)),
            }
        }
    }

    /// The next `next` message's data for subscription `id`.
    async fn event(&mut self, id: &str, wait: Duration) -> Value {
        let message = self.next(wait).await.expect("the connection stays open");
        assert_eq!(message["type"], "next", "{message}");
        assert_eq!(message["id"], id);
        message["payload"].clone()
    }

    /// The first answer to subscription `id` (skipping other subscriptions' completions).
    async fn answer(&mut self, id: &str) -> Value {
        loop {
            let message = self.next(Duration::from_secs(5)).await.unwrap();
            if message["id"] == id && message["type"] != "complete" {
                return message;
            }
        }
    }

    /// Nothing arrives for `wait`.
    async fn quiet(&mut self, wait: Duration) {
        if let Ok(Some(message)) = tokio::time::timeout(wait, self.socket.next()).await {
            panic!("expected nothing, got {message:?}");
        }
    }
}

const CATALOG: &str = "subscription($region: String) { catalogChanged(region: $region) {
    kind version policyId policy { code status } } }";

async fn publish(app: &TestApp, code: &str, regions: Value) -> String {
    let mut input = policy_input(code, "SZ-COMMERCE", code);
    input["regions"] = regions;
    create_policy(app, input, true).await.to_string()
}

#[tokio::test]
async fn a_region_hears_what_is_published_versioned_and_retired_for_it() {
    let app = TestApp::spawn().await;
    create_departments(&app, &[("SZ-COMMERCE", None)]).await;
    let mut client = Client::open(&app.base, json!({})).await.unwrap();
    client
        .subscribe("c", CATALOG, json!({"region": "440305"}))
        .await;
    // Give the subscription a moment to be in place before the first change.
    tokio::time::sleep(Duration::from_millis(200)).await;

    publish(&app, "SUB-BEIJING", json!(["110000"])).await;
    let shenzhen = publish(&app, "SUB-SHENZHEN", json!(["440300"])).await;
    let event = client.event("c", Duration::from_secs(5)).await;
    let change = &event["data"]["catalogChanged"];
    assert_eq!(
        change["kind"], "PUBLISHED",
        "Beijing's policy is not Shenzhen's"
    );
    assert_eq!(change["policy"]["code"], "SUB-SHENZHEN");
    assert_eq!(change["policyId"], json!(shenzhen));
    assert_eq!(change["version"], 1);

    // A new version, then retirement.
    let mut edited = policy_input("SUB-SHENZHEN", "SZ-COMMERCE", "Edited");
    edited["regions"] = json!(["440300"]);
    app.ok(
        Some(&admin()),
        "mutation($id: ID!, $input: PolicyInput!) { updatePolicy(id: $id, input: $input) { id } }",
        json!({"id": shenzhen, "input": edited}),
    )
    .await;
    app.ok(
        Some(&admin()),
        "mutation($id: ID!) { publishPolicy(id: $id) { version } }",
        json!({"id": shenzhen}),
    )
    .await;
    let event = client.event("c", Duration::from_secs(5)).await;
    assert_eq!(event["data"]["catalogChanged"]["kind"], "VERSIONED");
    assert_eq!(event["data"]["catalogChanged"]["version"], 2);
    app.ok(
        Some(&admin()),
        "mutation($id: ID!) { retirePolicy(id: $id, reason: \"done\") { status } }",
        json!({"id": shenzhen}),
    )
    .await;
    let event = client.event("c", Duration::from_secs(5)).await;
    assert_eq!(event["data"]["catalogChanged"]["kind"], "RETIRED");
    // A nationwide policy covers Shenzhen too.
    publish(&app, "SUB-NATIONAL", json!([])).await;
    let event = client.event("c", Duration::from_secs(5)).await;
    assert_eq!(
        event["data"]["catalogChanged"]["policy"]["code"],
        "SUB-NATIONAL"
    );
    client.quiet(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn a_firm_hears_of_the_policies_its_inbox_gains() {
    let app = TestApp::spawn().await;
    create_departments(&app, &[("SZ-COMMERCE", None)]).await;
    let firm_uscc = uscc("440305", 1);
    sync_firms(&app, json!([firm_input(&firm_uscc, "440305")])).await;
    let mut client = Client::signed_in(&app.base, &firm(&firm_uscc)).await;
    client
        .subscribe(
            "i",
            "subscription { inboxChanged { certain isNew policy { code } } }",
            json!({}),
        )
        .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // Too big for this one: the firm exported US$3.2 million last year.
    let mut big = policy_input("SUB-BIG", "SZ-COMMERCE", "Big exporters");
    big["eligibility"] =
        json!({"fact": "firm.exportValuePrevYearUsd", "op": "gte", "value": 10000000});
    create_policy(&app, big, true).await;
    let mut exports = policy_input("SUB-EXPORTS", "SZ-COMMERCE", "Exports");
    exports["eligibility"] = json!({"all": [
        {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000},
        {"fact": "declaration.direction", "op": "eq", "value": "EXPORT"}]});
    create_policy(&app, exports, true).await;
    let event = client.event("i", Duration::from_secs(5)).await;
    let gained = &event["data"]["inboxChanged"];
    assert_eq!(gained["policy"]["code"], "SUB-EXPORTS");
    assert_eq!(gained["certain"], false, "the declaration still decides");
    assert_eq!(gained["isNew"], true);
    client.quiet(Duration::from_millis(300)).await;
}

#[tokio::test]
async fn the_inbox_is_the_signed_in_firms_and_nobody_elses() {
    let app = TestApp::spawn().await;
    let firm_uscc = uscc("440305", 1);
    let agent = uscc("440304", 2);
    let mut entrusting = firm_input(&firm_uscc, "440305");
    entrusting["brokers"] = json!([agent]);
    sync_firms(&app, json!([firm_input(&agent, "440304"), entrusting])).await;
    for (who, token) in [
        ("its broker", broker(&agent)),
        ("a department", department("SZ-COMMERCE")),
        ("SYSTEM", system()),
        ("ADMIN", admin()),
    ] {
        let mut client = Client::signed_in(&app.base, &token).await;
        client
            .subscribe(
                "i",
                "subscription { inboxChanged { policy { code } } }",
                json!({}),
            )
            .await;
        let answer = client.answer("i").await;
        assert_eq!(
            answer["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{who}: {answer}"
        );
    }
    // A firm the service has not synced is told so at once.
    let mut unknown = Client::signed_in(&app.base, &firm(&uscc("440305", 9))).await;
    unknown
        .subscribe("i", "subscription { inboxChanged { certain } }", json!({}))
        .await;
    let answer = unknown.answer("i").await;
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"],
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn subscriptions_are_held_to_the_tokens_limits_and_permissions_of_requests() {
    let app = TestApp::spawn().await;
    // A token the service refuses closes the connection with 4403.
    let refused = Client::open(&app.base, json!({"Authorization": "Bearer not.a.token"})).await;
    assert_eq!(refused.err(), Some(Closed(4403)));

    // The inbox is a firm's: an anonymous subscriber is told to authenticate.
    let mut anonymous = Client::open(&app.base, json!({})).await.unwrap();
    anonymous
        .subscribe("i", "subscription { inboxChanged { certain } }", json!({}))
        .await;
    let answer = anonymous.answer("i").await;
    assert_eq!(answer["type"], "next", "{answer}");
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    // Past the depth limit, as over HTTP.
    let deep = format!(
        "subscription {{ catalogChanged {{ policy {{ leadIssuer {{ region {{ {}code{} }} }} }} }} }}",
        "parent { ".repeat(20),
        " }".repeat(20)
    );
    anonymous.subscribe("d", &deep, json!({})).await;
    let answer = anonymous.answer("d").await;
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "QUERY_TOO_COMPLEX",
        "{answer}"
    );
    // A bad region is named.
    anonymous
        .subscribe("r", CATALOG, json!({"region": "999999"}))
        .await;
    let answer = anonymous.answer("r").await;
    assert_eq!(
        answer["payload"]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{answer}"
    );

    // One subject holds a bounded number of connections.
    let token = admin();
    let mut open = Vec::new();
    for _ in 0..CONNECTIONS_PER_SUBJECT {
        open.push(Client::signed_in(&app.base, &token).await);
    }
    let one_more = Client::open(
        &app.base,
        json!({"Authorization": format!("Bearer {token}")}),
    )
    .await;
    assert_eq!(one_more.err(), Some(Closed(4429)));
    drop(open);
    tokio::time::sleep(Duration::from_millis(300)).await;
    Client::signed_in(&app.base, &token).await;

    // The subprotocol is required.
    let plain = app
        .client
        .get(app.url("/graphql/ws"))
        .header("connection", "upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-version", "13")
        .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), reqwest::StatusCode::BAD_REQUEST);
}

/// Connections one subject may hold (the service's `CONNECTIONS_PER_SUBJECT`).
const CONNECTIONS_PER_SUBJECT: usize = 8;

#[tokio::test]
async fn a_second_instance_hears_a_publish_within_two_seconds_also_after_its_connections_were_cut()
{
    if TestApp::postgres_address().is_none() {
        eprintln!("skipped: needs TEST_DATABASE_URL (PostgreSQL)");
        return;
    }
    // The catalog poll is a minute apart: only the notification can be heard within 2 s.
    let app = TestApp::spawn_with(|s| s.catalog_poll_ms = 60_000).await;
    create_departments(&app, &[("SZ-COMMERCE", None)]).await;
    let (second, _stop) = app.another_instance().await;
    let mut client = Client::open(&second, json!({})).await.unwrap();
    client.subscribe("c", CATALOG, json!({})).await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    heard_within_two_seconds(&app, &mut client, "SUB-FIRST").await;

    // Every connection to the database but this one is cut; the instances connect again.
    use sea_orm::ConnectionTrait;
    app.db
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    heard_within_two_seconds(&app, &mut client, "SUB-AGAIN").await;
}

/// Publishes policy `code` on `app`; `client` (subscribed as "c" on another instance) hears it
/// within 2 s.
async fn heard_within_two_seconds(app: &TestApp, client: &mut Client, code: &str) {
    let published = Instant::now();
    publish(app, code, json!([])).await;
    let event = client.event("c", Duration::from_secs(5)).await;
    assert_eq!(event["data"]["catalogChanged"]["policy"]["code"], code);
    let took = published.elapsed();
    assert!(took < Duration::from_secs(2), "heard after {took:?}");
}

#[tokio::test]
async fn a_subscriber_further_behind_than_its_buffer_is_closed_not_buffered() {
    let app = TestApp::spawn().await;
    create_departments(&app, &[("SZ-COMMERCE", None)]).await;
    let mut client = Client::open(&app.base, json!({})).await.unwrap();
    client.subscribe("c", CATALOG, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // More changes at once than a subscriber's buffer holds (256): a bulk import of 300
    // published policies, which the instance's catalog poll takes in as one new snapshot.
    import_published(&app, 300, "Bulk").await;
    // Whatever it managed to read first, the subscriber is then closed with 4429.
    let deadline = Instant::now() + Duration::from_secs(10);
    let closed = loop {
        assert!(Instant::now() < deadline, "never closed");
        match client.next(Duration::from_secs(10)).await {
            Ok(message) => assert_eq!(message["type"], "next", "{message}"),
            Err(closed) => break closed,
        }
    };
    assert_eq!(closed, Closed(4429));
    // And a new connection reads the catalog again.
    let catalog = app.ok(None, "{ policies { totalCount } }", json!({})).await;
    assert_eq!(catalog["policies"]["totalCount"], 300);
}

/// Publishes `count` policies at once, as a bulk import does, each with `body` as its text.
async fn import_published(app: &TestApp, count: usize, body: &str) {
    let entries: Vec<Value> = (0..count)
        .map(|n| {
            let mut policy = policy_input(&format!("SUB-BULK-{n:03}"), "SZ-COMMERCE", "Bulk");
            policy["bodyZh"] = json!(body);
            json!({"publish": true, "policy": policy})
        })
        .collect();
    let regions = policy_outreach::region::load(&app.db).await.unwrap();
    let entries =
        policy_outreach::policy::import::parse(&Value::Array(entries).to_string()).unwrap();
    policy_outreach::policy::import::import(
        &app.db,
        &regions,
        entries,
        false,
        &policy_outreach::auth::Viewer::Admin {
            subject: "test".to_owned(),
        },
        chrono::Utc::now(),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_subscriber_that_stops_reading_is_dropped_and_the_others_hear_everything() {
    let app = TestApp::spawn_with(|s| s.subscription_send_timeout_ms = 3_000).await;
    create_departments(&app, &[("SZ-COMMERCE", None)]).await;
    const BODIES: &str = "subscription { catalogChanged { policyId policy { bodyZh } } }";
    let mut stalled = Client::with_small_buffer(&app.base).await;
    stalled.subscribe("c", BODIES, json!({})).await;
    let mut reader = Client::open(&app.base, json!({})).await.unwrap();
    reader.subscribe("c", BODIES, json!({})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // 60 policies of 120 kB each: 7 MB for every subscriber, more than a socket's buffers hold,
    // and fewer changes than a subscriber's buffer, so only the socket can hold them up.
    let published = 60;
    let body = "x".repeat(120_000);
    import_published(&app, published, &body).await;

    // The subscriber that reads hears every one, whole.
    let mut heard = std::collections::HashSet::new();
    for _ in 0..published {
        let event = reader.event("c", Duration::from_secs(30)).await;
        let change = &event["data"]["catalogChanged"];
        assert_eq!(
            change["policy"]["bodyZh"].as_str().map(str::len),
            Some(body.len())
        );
        heard.insert(change["policyId"].as_str().unwrap().to_owned());
    }
    assert_eq!(heard.len(), published);

    // The one that stopped reading is dropped once a message has waited the send timeout: when
    // it reads again it finds what its socket held, then the end, not the rest.
    tokio::time::sleep(Duration::from_secs(6)).await;
    let mut delivered = 0;
    let ended = loop {
        match stalled.next(Duration::from_secs(10)).await {
            Ok(message) => {
                assert_eq!(message["type"], "next", "{message}");
                delivered += 1;
            }
            Err(closed) => break closed,
        }
    };
    assert_eq!(ended, Closed(1006), "the connection was dropped");
    assert!(
        delivered < published,
        "the server kept no backlog for it beyond its socket: {delivered} of {published}"
    );
    // And the server goes on serving.
    let mut again = Client::open(&app.base, json!({})).await.unwrap();
    again.subscribe("c", CATALOG, json!({})).await;
    let answer = app.ok(None, "{ policies { totalCount } }", json!({})).await;
    assert_eq!(answer["policies"]["totalCount"], published);
}

const REACH: &str = "subscription($id: ID!) { outreachChanged(policyId: $id) {
    audience reached acknowledged reachRate willApply } }";

/// Three Shenzhen firms and a Shenzhen policy for them; returns (app, policy id, firms).
async fn reach_world(
    configure: impl FnOnce(&mut policy_outreach::config::Settings),
) -> (TestApp, String, Vec<String>) {
    let app = TestApp::spawn_with(configure).await;
    create_departments(
        &app,
        &[
            ("SZ-COMMERCE", Some("440300")),
            ("GD-COMMERCE", Some("440000")),
        ],
    )
    .await;
    let firms: Vec<String> = (1..=3).map(|n| uscc("440305", n)).collect();
    sync_firms(
        &app,
        Value::Array(firms.iter().map(|f| firm_input(f, "440305")).collect()),
    )
    .await;
    let mut input = policy_input("SUB-REACH", "SZ-COMMERCE", "Reach");
    input["regions"] = json!(["440300"]);
    let policy = create_policy(&app, input, true).await.to_string();
    (app, policy, firms)
}

async fn file(app: &TestApp, firm_uscc: &str, id: &str) {
    app.ok(
        Some(&firm(firm_uscc)),
        "query($d: DeclarationInput!) { applicablePolicies(declaration: $d) { policy { code } } }",
        json!({"d": {"id": id, "firmUscc": firm_uscc, "direction": "EXPORT"}}),
    )
    .await;
}

#[tokio::test]
async fn an_issuer_watches_its_policys_figures_move_at_most_once_a_second() {
    let (app, policy, firms) = reach_world(|_| {}).await;
    // Another department may not watch it.
    let mut other = Client::signed_in(&app.base, &department("GD-COMMERCE")).await;
    other.subscribe("r", REACH, json!({"id": policy})).await;
    let refused = other.answer("r").await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused}"
    );

    let mut client = Client::signed_in(&app.base, &department("SZ-COMMERCE")).await;
    client.subscribe("r", REACH, json!({"id": policy})).await;
    let now = client.event("r", Duration::from_secs(5)).await;
    assert_eq!(now["data"]["outreachChanged"]["audience"], 3);
    assert_eq!(now["data"]["outreachChanged"]["reached"], 0);

    // Three filings and an answer in quick succession.
    for (n, f) in firms.iter().enumerate() {
        file(&app, f, &format!("REACH-{n}")).await;
    }
    app.ok(
        Some(&firm(&firms[0])),
        "mutation($i: AcknowledgementInput!) { acknowledgePolicy(input: $i) { id } }",
        json!({"i": {"policyId": policy, "response": "WILL_APPLY", "idempotencyKey": "reach-key-1"}}),
    )
    .await;
    let mut heard = Vec::new();
    let mut at = Vec::new();
    loop {
        let event = client.event("r", Duration::from_secs(5)).await;
        at.push(Instant::now());
        let figures = event["data"]["outreachChanged"].clone();
        heard.push(figures.clone());
        if figures["reached"] == 3 && figures["acknowledged"] == 1 {
            break;
        }
    }
    let last = heard.last().unwrap();
    assert_eq!(last["willApply"], 1);
    assert_eq!(last["reachRate"], 1.0);
    for pair in at.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(900),
            "two events within a second: {heard:?}"
        );
    }
    // Nothing changed since: nothing more is sent.
    client.quiet(Duration::from_millis(1500)).await;
}

#[tokio::test]
async fn a_dashboard_on_a_second_instance_hears_filings_on_the_first() {
    if TestApp::postgres_address().is_none() {
        eprintln!("skipped: needs TEST_DATABASE_URL (PostgreSQL)");
        return;
    }
    let (app, policy, firms) = reach_world(|_| {}).await;
    let (second, _stop) = app.another_instance().await;
    let mut client = Client::signed_in(&second, &department("SZ-COMMERCE")).await;
    client.subscribe("r", REACH, json!({"id": policy})).await;
    let now = client.event("r", Duration::from_secs(5)).await;
    assert_eq!(now["data"]["outreachChanged"]["reached"], 0);
    file(&app, &firms[0], "ELSEWHERE-1").await;
    let event = client.event("r", Duration::from_secs(5)).await;
    assert_eq!(event["data"]["outreachChanged"]["reached"], 1);
}
