//! Cross-origin calls from the browser pages of the origins `cors_allowed_origins` names (a single
//! window's filing panel), through tower-http's CORS layer: preflights for `POST /graphql` with
//! `Authorization` and `Content-Type`, answers readable by those pages. Any other origin gets no
//! `Access-Control-*` header at all, so its browser refuses to send or read. Tokens travel in
//! `Authorization`, never cookies, so credentials are never allowed; and the JSON-only POST body
//! stays the defence against forged form posts.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::header::{ACCEPT, ACCEPT_LANGUAGE, AUTHORIZATION, CONTENT_TYPE, ORIGIN};
use axum::http::{HeaderName, Method};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::config::AllowedOrigins;

/// The CORS layer for the allowed origins: methods, headers, and how long a browser may keep a
/// preflight's answer.
pub fn layer(origins: &AllowedOrigins) -> CorsLayer {
    let allowed = origins.clone();
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            allowed.allows(origin.as_bytes())
        }))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([AUTHORIZATION, CONTENT_TYPE, ACCEPT, ACCEPT_LANGUAGE])
        .expose_headers([HeaderName::from_static("x-request-id")])
        .max_age(Duration::from_secs(600))
}

/// Takes every `Access-Control-*` header off the answer to a request from an origin that is not
/// allowed: the CORS layer adds its method, header and age lists whatever the origin.
pub async fn only_allowed(
    State(origins): State<Arc<AllowedOrigins>>,
    request: Request,
    next: Next,
) -> Response {
    let allowed = request
        .headers()
        .get(ORIGIN)
        .is_none_or(|origin| origins.allows(origin.as_bytes()));
    let mut response = next.run(request).await;
    if !allowed {
        let cors: Vec<HeaderName> = response
            .headers()
            .keys()
            .filter(|name| name.as_str().starts_with("access-control-"))
            .cloned()
            .collect();
        for name in cors {
            response.headers_mut().remove(name);
        }
    }
    response
}
