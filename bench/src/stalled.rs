//! Subscribers that stop reading their sockets: the server's memory while what they do not read
//! backs up, round after round, and whether it drops them rather than buffering for them.
//!
//! Each round opens [`PER_ROUND`] anonymous `catalogChanged` subscribers whose sockets take in
//! only a few kilobytes, then publishes [`PUBLISHED_PER_ROUND`] policies with 100 kB texts and
//! retires them again (so the live catalog ends each round as it began): several megabytes per
//! subscriber, more than any socket holds. The server (its send timeout set to
//! [`SEND_TIMEOUT_MS`]) should drop each, and its resident memory should end each round where
//! the first ended.

use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

pub use crate::server::SEND_TIMEOUT_MS;
use crate::server::{Memory, Server};
use crate::workloads::{Target, graphql};

/// Subscribers opened in each round: as many as one client address may hold.
pub const PER_ROUND: usize = 8;
/// Policies published in each round.
pub const PUBLISHED_PER_ROUND: usize = 40;
/// The text of each, in bytes.
pub const BODY_BYTES: usize = 100_000;
const ROUNDS: usize = 10;
const DEPARTMENT: &str = "BENCH-STALLED";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What the stalled subscribers cost.
pub struct Stalled {
    /// Before the first round.
    pub before: Memory,
    /// At the end of each round, after its subscribers were dropped.
    pub rounds: Vec<Memory>,
    pub opened: usize,
    /// Subscribers the server had dropped by the end of their round.
    pub dropped: usize,
}

pub async fn measure(target: &Target, server: &Server, admin: &str) -> anyhow::Result<Stalled> {
    graphql(
        target,
        Some(admin),
        "mutation($input: DepartmentInput!) { upsertDepartment(input: $input) { code } }",
        json!({"input": {"code": DEPARTMENT, "nameZh": "基准测试局", "nameEn": "Bench bureau"}}),
    )
    .await
    .map_err(anyhow::Error::msg)?;
    let body = "x".repeat(BODY_BYTES);
    let before = server.memory()?;
    let (mut rounds, mut opened, mut dropped) = (Vec::new(), 0, 0);
    for round in 0..ROUNDS {
        let mut stalled = Vec::new();
        for _ in 0..PER_ROUND {
            stalled.push(subscribe(&target.base).await?);
        }
        opened += stalled.len();
        tokio::time::sleep(Duration::from_millis(200)).await;
        let mut published = Vec::new();
        for n in 0..PUBLISHED_PER_ROUND {
            published
                .push(publish(target, admin, &format!("STALLED-{round}-{n:03}"), &body).await?);
        }
        for id in published {
            graphql(
                target,
                Some(admin),
                "mutation($id: ID!) { retirePolicy(id: $id, reason: \"bench\") { status } }",
                json!({"id": id}),
            )
            .await
            .map_err(anyhow::Error::msg)?;
        }
        // Every message waits out the send timeout at most once before its subscriber goes.
        tokio::time::sleep(Duration::from_millis(SEND_TIMEOUT_MS * 2 + 1_000)).await;
        rounds.push(server.memory()?);
        for socket in &mut stalled {
            if was_dropped(socket).await {
                dropped += 1;
            }
        }
        // Any the server kept are closed here, and their slots freed before the next round.
        drop(stalled);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(Stalled {
        before,
        rounds,
        opened,
        dropped,
    })
}

/// An anonymous subscriber to every catalog change with its policy's text, on a socket that
/// takes in at most a few kilobytes it has not read.
async fn subscribe(base: &str) -> anyhow::Result<Socket> {
    let address: std::net::SocketAddr = base.trim_start_matches("http://").parse()?;
    let tcp = tokio::net::TcpSocket::new_v4()?;
    tcp.set_recv_buffer_size(4096)?;
    let stream = tcp.connect(address).await?;
    let mut request = format!("ws://{address}/graphql/ws").into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) =
        tokio_tungstenite::client_async(request, tokio_tungstenite::MaybeTlsStream::Plain(stream))
            .await?;
    let send = |message: Value| Message::Text(message.to_string().into());
    socket
        .send(send(json!({"type": "connection_init", "payload": {}})))
        .await?;
    let ack = tokio::time::timeout(Duration::from_secs(5), socket.next()).await?;
    anyhow::ensure!(
        matches!(&ack, Some(Ok(Message::Text(text))) if text.contains("connection_ack")),
        "no connection_ack: {ack:?}"
    );
    socket
        .send(send(json!({"id": "1", "type": "subscribe", "payload": {
            "query": "subscription { catalogChanged { policyId policy { bodyZh } } }"}})))
        .await?;
    Ok(socket)
}

/// Creates and publishes a policy no firm qualifies for; returns its id.
async fn publish(target: &Target, admin: &str, code: &str, body: &str) -> anyhow::Result<Value> {
    let created = graphql(
        target,
        Some(admin),
        "mutation($input: PolicyInput!) { createPolicy(input: $input) { id } }",
        json!({"input": {
            "code": code, "leadIssuer": DEPARTMENT, "titleZh": format!("{code}政策"),
            "summaryZh": "摘要", "bodyZh": body, "benefitKind": "SUBSIDY",
            "effectiveFrom": "2026-01-01",
            // Imports only: the load's filings are exports.
            "eligibility": {"fact": "declaration.direction", "op": "eq", "value": "IMPORT"}}}),
    )
    .await
    .map_err(anyhow::Error::msg)?;
    let id = created["createPolicy"]["id"].clone();
    graphql(
        target,
        Some(admin),
        "mutation($id: ID!) { publishPolicy(id: $id) { status } }",
        json!({"id": id}),
    )
    .await
    .map_err(anyhow::Error::msg)?;
    Ok(id)
}

/// Whether the server has closed `socket`: reading what its buffers held, it ends.
async fn was_dropped(socket: &mut Socket) -> bool {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), socket.next()).await {
            Ok(Some(Ok(Message::Close(_))) | Some(Err(_)) | None) => return true,
            Ok(Some(Ok(_))) => {}
            // Still open, with nothing more to read.
            Err(_) => return false,
        }
    }
}
