//! The pages the binary serves, their files embedded at compile time (read from the folders at
//! run time in debug builds), each with an ETag: the department console at `/console`
//! (`service/console/`), GraphiQL at `GET /graphql` (`service/graphiql/`, GraphiQL 4 and React 18
//! vendored with their licences), so neither needs a CDN, and the filing panel a single window
//! loads from here (`service/widget/`) with its demo host page. Each page is served under a
//! Content-Security-Policy that allows no inline script, nothing from another origin and no
//! framing. All of them read everything through the public GraphQL API.

use axum::extract::Path;
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_ORIGIN, CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::{EmbeddedFile, RustEmbed};

#[derive(rust_embed::Embed)]
#[folder = "console/"]
struct Console;

#[derive(rust_embed::Embed)]
#[folder = "graphiql/"]
struct Graphiql;

#[derive(rust_embed::Embed)]
#[folder = "widget/"]
struct Widget;

/// The console: only this origin's scripts, styles, images and API; no inline script or style,
/// no plugins, no framing, no base or form target elsewhere.
pub const CONSOLE_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; \
    frame-ancestors 'none'";

/// GraphiQL: the same, but its editor sets styles inline and its fonts are data URLs.
pub const GRAPHIQL_POLICY: &str = "default-src 'none'; script-src 'self'; \
    style-src 'self' 'unsafe-inline'; font-src 'self' data:; img-src 'self' data:; \
    connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// `GET /console`: the console's page.
pub async fn console_page(headers: HeaderMap) -> Response {
    serve::<Console>("index.html", &headers, CONSOLE_POLICY)
}

/// `GET /console/{*path}`: a module, the style sheet, the icon.
pub async fn console_file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve::<Console>(&path, &headers, CONSOLE_POLICY)
}

/// GraphiQL's page, for `GET /graphql` without a query.
pub fn graphiql_page(headers: &HeaderMap) -> Response {
    serve::<Graphiql>("index.html", headers, GRAPHIQL_POLICY)
}

/// `GET /graphiql/{*path}`: GraphiQL's and React's files, and the script that starts it.
pub async fn graphiql_file(Path(path): Path<String>, headers: HeaderMap) -> Response {
    serve::<Graphiql>(&path, &headers, GRAPHIQL_POLICY)
}

/// `GET /widget/policy-panel.js`: the filing panel, which single windows load from their own
/// origins. See [`shared`].
pub async fn panel_script(headers: HeaderMap) -> Response {
    shared(serve::<Widget>("policy-panel.js", &headers, CONSOLE_POLICY))
}

/// `GET /widget/demo`: the demo single window's declaration form with the panel beside it.
pub async fn widget_demo_page(headers: HeaderMap) -> Response {
    serve::<Widget>("demo.html", &headers, CONSOLE_POLICY)
}

/// `GET /widget/demo.js`, `/widget/demo.css`: the demo host page's own script and style sheet,
/// shared like the panel so the same page can be tried from another origin.
pub async fn widget_demo_file(Path(file): Path<String>, headers: HeaderMap) -> Response {
    match file.as_str() {
        "demo.js" | "demo.css" => shared(serve::<Widget>(&file, &headers, CONSOLE_POLICY)),
        _ => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// A public static file other origins' pages load (as a module script, which browsers fetch in
/// CORS mode): readable from any origin, never with credentials, and cached for five minutes
/// before its ETag is checked again. What the panel may call is still up to the API's own CORS.
fn shared(mut response: Response) -> Response {
    let set = response.headers_mut();
    set.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    set.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("cross-origin"),
    );
    set.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=300"),
    );
    response
}

fn serve<E: RustEmbed>(path: &str, headers: &HeaderMap, policy: &'static str) -> Response {
    let path = if path.is_empty() { "index.html" } else { path };
    match E::get(path) {
        Some(file) => asset(path, file, headers, policy),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

fn asset(path: &str, file: EmbeddedFile, headers: &HeaderMap, policy: &'static str) -> Response {
    let digest = file.metadata.sha256_hash();
    let etag = format!(
        "\"{}\"",
        digest[..12]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = file.data.into_owned().into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type(path)));
        response
    };
    let set = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&etag) {
        set.insert(ETAG, value);
    }
    // Revalidated every time: a new binary serves new files under the same names.
    set.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    set.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(policy));
    set.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    set.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    set.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "text/plain; charset=utf-8",
    }
}
