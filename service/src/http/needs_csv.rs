//! `GET /exports/policies/{id}/needs.csv`: every comment firms wrote about a policy, newest
//! first, for reading in a spreadsheet. The same readers and filters as `needs` (`from`, `to`,
//! `response`, `term`), streamed a page at a time.

use std::sync::Arc;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::HttpState;
use super::exports::cell;
use crate::error::{AppError, AppResult};
use crate::firm::service::find_all;
use crate::needs::query::{self, After, Scope};
use crate::needs::service::{of_policy, term_argument};
use crate::outreach;
use crate::schema::RequestNote;
use crate::validate;

const ROWS_PER_PAGE: u64 = 1_000;
const COLUMNS: [&str; 7] = [
    "created_at",
    "uscc",
    "name",
    "region_code",
    "response",
    "channel",
    "comment",
];

#[derive(Deserialize)]
pub struct NeedsParams {
    from: Option<String>,
    to: Option<String>,
    response: Option<String>,
    term: Option<String>,
}

/// The export, or a JSON error naming what is wrong.
pub async fn needs_csv(
    State(state): State<Arc<HttpState>>,
    Path(id): Path<String>,
    Query(params): Query<NeedsParams>,
    Extension(note): Extension<Arc<RequestNote>>,
    headers: HeaderMap,
) -> Response {
    note.operation("export needs".to_owned());
    match prepare(&state, &id, params, &headers, &note).await {
        Ok((filename, export)) => {
            let body = Body::from_stream(rows(state, export));
            (
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{filename}\""),
                    ),
                ],
                body,
            )
                .into_response()
        }
        Err(err) => err.into_response(),
    }
}

/// What to export: the scope, and the term the comments must use.
struct Export {
    scope: Scope,
    term: Option<String>,
}

fn day(field: &str, text: Option<&str>) -> AppResult<Option<NaiveDate>> {
    text.map(|t| {
        NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map_err(|_| AppError::field(field, "a date like 2026-12-03"))
    })
    .transpose()
}

async fn prepare(
    state: &HttpState,
    id: &str,
    params: NeedsParams,
    headers: &HeaderMap,
    note: &RequestNote,
) -> AppResult<(String, Export)> {
    let viewer = super::authenticate(state, headers, note)?;
    let policy = validate::policy_id("id", &async_graphql::ID(id.to_owned()))?;
    let window = (
        day("from", params.from.as_deref())?,
        day("to", params.to.as_deref())?,
    );
    let response = params
        .response
        .map(|r| {
            outreach::Response::parse(&r)
                .ok_or_else(|| AppError::field("response", "one of the Response enum's values"))
        })
        .transpose()?;
    let term = params.term.map(|t| term_argument("term", &t)).transpose()?;
    let readable = of_policy(&state.base, &viewer, policy, window, response).await?;
    let code = readable
        .policies
        .get(&policy)
        .map(|v| v.policy.code.clone())
        .unwrap_or_default();
    let export = Export {
        scope: readable.scope,
        term,
    };
    Ok((format!("{code}-needs.csv"), export))
}

struct Cursor {
    state: Arc<HttpState>,
    export: Export,
    after: Option<After>,
    started: bool,
    done: bool,
}

fn rows(
    state: Arc<HttpState>,
    export: Export,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    let cursor = Cursor {
        state,
        export,
        after: None,
        started: false,
        done: false,
    };
    futures::stream::unfold(cursor, |mut cursor| async move {
        if cursor.done {
            return None;
        }
        match next_page(&mut cursor).await {
            Ok(bytes) => Some((Ok(bytes), cursor)),
            Err(err) => {
                tracing::error!(error = %err, "CSV export stopped");
                cursor.done = true;
                Some((Err(std::io::Error::other("export failed")), cursor))
            }
        }
    })
}

/// The header (first call), then the next page of comments; a short page ends the stream.
async fn next_page(cursor: &mut Cursor) -> AppResult<Bytes> {
    let mut buffer = Vec::new();
    if !cursor.started {
        // A byte-order mark so spreadsheet programs read the Chinese as UTF-8.
        buffer.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut out = csv::Writer::from_writer(buffer);
    if !cursor.started {
        cursor.started = true;
        out.write_record(COLUMNS).map_err(AppError::internal)?;
    }
    let db = &cursor.state.base.db;
    let export = &cursor.export;
    let comments = query::entries(
        db,
        &export.scope,
        export.term.as_deref(),
        cursor.after,
        ROWS_PER_PAGE,
    )
    .await?;
    if (comments.len() as u64) < ROWS_PER_PAGE {
        cursor.done = true;
    }
    let usccs: Vec<String> = comments.iter().map(|c| c.firm_uscc.clone()).collect();
    let firms = find_all(db, &usccs).await?;
    for comment in &comments {
        let firm = firms.get(&comment.firm_uscc);
        out.write_record([
            comment.created_at.to_rfc3339().as_str(),
            comment.firm_uscc.as_str(),
            &cell(firm.map(|f| f.name.as_str()).unwrap_or_default()),
            firm.map(|f| f.region_code.as_str()).unwrap_or_default(),
            comment.response.as_str(),
            comment.channel.as_str(),
            &cell(comment.comment.as_deref().unwrap_or_default()),
        ])
        .map_err(AppError::internal)?;
    }
    if let Some(last) = comments.last() {
        cursor.after = Some((last.created_at, last.id));
    }
    Ok(Bytes::from(
        out.into_inner()
            .map_err(|e| AppError::internal_msg(e.to_string()))?,
    ))
}
