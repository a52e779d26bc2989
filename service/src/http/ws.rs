//! Subscriptions over WebSocket at `/graphql/ws`, in the `graphql-transport-ws` protocol. The
//! token travels in `connection_init`'s payload (`{"Authorization": "Bearer …"}`, or
//! `{"token": "…"}`), with the language (`"Accept-Language"`) if the client chooses one; every
//! `subscribe` is admitted by the same limits as a request over HTTP and counted against the
//! subject's rate; resolvers apply the same permissions.
//!
//! Bounded: connections per subject, subscriptions per subject across its connections, each
//! subscription's backlog (the broadcast's buffer), and each message's time to leave. A
//! subscriber that falls behind or stops reading is closed with 4429, not buffered without end.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql::http::{ClientMessage, WebSocket, WebSocketProtocols, WsMessage};
use async_graphql::{Data, Executor, Request, Response, ServerError};
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use futures::stream::BoxStream;
use futures::{SinkExt, StreamExt};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::HttpState;
use crate::auth::Viewer;
use crate::error::AppError;
use crate::graphql::{Lang, Provenance, RequestContext, SlowSignal};
use crate::schema::{AppSchema, RequestNote};

/// The subprotocol spoken.
const PROTOCOL: &str = "graphql-transport-ws";
/// How long a client may take to send `connection_init`.
const INIT_TIMEOUT: Duration = Duration::from_secs(10);
/// Open connections one subject (or one anonymous address) may hold.
pub const CONNECTIONS_PER_SUBJECT: usize = 8;
/// Subscriptions one subject may run at once, across its connections.
pub const SUBSCRIPTIONS_PER_SUBJECT: usize = 32;

/// `graphql-transport-ws` close codes.
mod close {
    pub const BAD_REQUEST: u16 = 4400;
    pub const FORBIDDEN: u16 = 4403;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const TOO_MANY: u16 = 4429;
}

/// Slots per subject: its open connections and its running subscriptions.
#[derive(Default)]
pub struct Slots {
    connections: Mutex<HashMap<String, Arc<Semaphore>>>,
    subscriptions: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Slots {
    fn take(
        map: &Mutex<HashMap<String, Arc<Semaphore>>>,
        subject: &str,
        most: usize,
    ) -> Option<OwnedSemaphorePermit> {
        let mut map = map
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // Subjects with nothing open are forgotten, so the map stays as small as what is open.
        map.retain(|_, slots| slots.available_permits() < most);
        let slots = map
            .entry(subject.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(most)))
            .clone();
        slots.try_acquire_owned().ok()
    }
}

/// `GET /graphql/ws`: the upgrade to a subscription connection.
pub async fn upgrade(
    State(state): State<Arc<HttpState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> axum::response::Response {
    let offered = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == PROTOCOL);
    if !offered {
        return (
            StatusCode::BAD_REQUEST,
            "ask for the graphql-transport-ws subprotocol (Sec-WebSocket-Protocol)",
        )
            .into_response();
    }
    let lang = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map_or(Lang::Zh, Lang::from_accept_language);
    ws.protocols([PROTOCOL])
        .max_message_size(state.settings.max_body_bytes)
        .on_upgrade(move |socket| serve(state, socket, peer, lang))
}

async fn serve(
    state: Arc<HttpState>,
    socket: axum::extract::ws::WebSocket,
    peer: SocketAddr,
    lang: Lang,
) {
    let (mut sink, mut incoming) = socket.split();
    // How long one message may take to leave before the subscriber counts as not reading.
    let send_timeout = Duration::from_millis(state.settings.subscription_send_timeout_ms);
    let closing = |code: u16, reason: &str| {
        Message::Close(Some(CloseFrame {
            code,
            reason: Utf8Bytes::from(reason.to_owned()),
        }))
    };
    // The first message must be `connection_init`, with the token if there is one.
    let first = match tokio::time::timeout(INIT_TIMEOUT, incoming.next()).await {
        Ok(Some(Ok(Message::Text(text)))) => text,
        Ok(_) => return,
        Err(_) => {
            let _ = sink
                .send(closing(
                    close::INIT_TIMEOUT,
                    "Connection initialisation timeout",
                ))
                .await;
            return;
        }
    };
    let payload = match ClientMessage::from_bytes(first.as_bytes()) {
        Ok(ClientMessage::ConnectionInit { payload }) => payload.unwrap_or_default(),
        _ => {
            let _ = sink
                .send(closing(
                    close::BAD_REQUEST,
                    "expected connection_init first",
                ))
                .await;
            return;
        }
    };
    let viewer = match viewer_of(&state, &payload) {
        Ok(viewer) => viewer,
        Err(err) => {
            let _ = sink.send(closing(close::FORBIDDEN, &err.to_string())).await;
            return;
        }
    };
    // The connection's language: the payload's `Accept-Language`, else the upgrade's header.
    let lang = ["Accept-Language", "accept-language"]
        .iter()
        .find_map(|key| payload.get(key).and_then(|v| v.as_str()))
        .map_or(lang, Lang::from_accept_language);
    let subject = match viewer.subject() {
        Some(subject) => format!("{}:{subject}", viewer.role().as_str()),
        None => format!("anonymous:{}", peer.ip()),
    };
    let Some(_connection) = Slots::take(
        &state.ws_slots.connections,
        &subject,
        CONNECTIONS_PER_SUBJECT,
    ) else {
        let _ = sink
            .send(closing(
                close::TOO_MANY,
                "too many connections for this subject",
            ))
            .await;
        return;
    };

    let slow = Arc::new(SlowSignal::default());
    let mut data = Data::default();
    data.insert(RequestContext {
        viewer: viewer.clone(),
        lang,
    });
    data.insert(Arc::new(RequestNote::default()));
    data.insert(Arc::new(Provenance::new()));
    data.insert(slow.clone());
    let executor = Admitted {
        state: state.clone(),
        viewer,
        subject,
    };
    // The init message goes on to async-graphql, which acknowledges it.
    let messages = futures::stream::once(async move { first.as_bytes().to_vec() }).chain(
        incoming
            .take_while(|message| {
                std::future::ready(!matches!(message, Err(_) | Ok(Message::Close(_))))
            })
            .filter_map(|message| async move {
                match message {
                    Ok(Message::Text(text)) => Some(text.as_bytes().to_vec()),
                    Ok(Message::Binary(bytes)) => Some(bytes.to_vec()),
                    _ => None,
                }
            }),
    );
    // No keepalive timeout: clients need not ping, and a connection that stopped reading is
    // found out by the send timeout.
    let mut outgoing = Box::pin(
        WebSocket::new(executor, messages, WebSocketProtocols::GraphQLWS).connection_data(data),
    );
    loop {
        let message = tokio::select! {
            message = outgoing.next() => message,
            () = slow.raised() => {
                let _ = tokio::time::timeout(
                    send_timeout,
                    sink.send(closing(close::TOO_MANY, "the subscriber fell behind")),
                )
                .await;
                return;
            }
        };
        let Some(message) = message else {
            return;
        };
        let frame = match message {
            WsMessage::Text(text) => Message::Text(Utf8Bytes::from(text)),
            WsMessage::Close(code, reason) => closing(code, &reason),
        };
        let is_close = matches!(frame, Message::Close(_));
        match tokio::time::timeout(send_timeout, sink.send(frame)).await {
            Ok(Ok(())) if !is_close => {}
            Ok(_) => return,
            // Not reading: no close frame can reach it through a full socket, so the connection
            // is dropped, with what it has not read, and its slots are freed.
            Err(_) => {
                tracing::info!(%peer, "a subscriber stopped reading; dropping its connection");
                return;
            }
        }
    }
}

/// The viewer the `connection_init` payload's token proves; none: anonymous.
fn viewer_of(state: &HttpState, payload: &serde_json::Value) -> Result<Viewer, AppError> {
    let given = ["Authorization", "authorization"]
        .iter()
        .find_map(|key| payload.get(key).and_then(|v| v.as_str()))
        .map(|value| {
            value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .unwrap_or(value)
        })
        .or_else(|| payload.get("token").and_then(|v| v.as_str()))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    match given {
        Some(token) => state.verifier.verify(token),
        None => Ok(Viewer::Anonymous),
    }
}

/// Runs each `subscribe` of a connection as an HTTP request runs: admitted by the limits, counted
/// against the subject's rate and its subscriptions, with the connection's viewer.
#[derive(Clone)]
struct Admitted {
    state: Arc<HttpState>,
    viewer: Viewer,
    subject: String,
}

impl Admitted {
    fn refused(error: ServerError) -> BoxStream<'static, Response> {
        futures::stream::once(async move { Response::from_errors(vec![error]) }).boxed()
    }

    fn error(err: AppError) -> ServerError {
        async_graphql::Error::from(err).into_server_error(async_graphql::Pos::default())
    }
}

impl Executor for Admitted {
    async fn execute(&self, request: Request) -> Response {
        let mut stream = self.execute_stream(request, None);
        stream
            .next()
            .await
            .unwrap_or_else(|| Response::from_errors(vec![]))
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        if let Err(err) = self.state.rate.check_subject(&self.viewer) {
            return Self::refused(Self::error(err));
        }
        let request = match self.state.limits.admit(request) {
            Ok(request) => request,
            Err(mut error) => {
                self.state.limits.recode(&mut error);
                return Self::refused(error);
            }
        };
        let Some(slot) = Slots::take(
            &self.state.ws_slots.subscriptions,
            &self.subject,
            SUBSCRIPTIONS_PER_SUBJECT,
        ) else {
            return Self::refused(Self::error(AppError::RateLimited {
                retry_after: Duration::from_secs(1),
            }));
        };
        let schema: AppSchema = self.state.schema.clone();
        let limits = self.state.clone();
        let stream = match session_data {
            Some(data) => schema.execute_stream_with_session_data(request, data),
            None => schema.execute_stream(request),
        };
        stream
            .map(move |mut response| {
                // The slot is held as long as the subscription runs.
                let _held = &slot;
                for error in &mut response.errors {
                    limits.limits.recode(error);
                }
                response
            })
            .boxed()
    }
}
