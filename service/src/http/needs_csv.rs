//! `GET /exports/policies/{id}/needs.csv`: every comment firms wrote about a policy, newest
//! first, for reading in a spreadsheet. The same readers and filters as `needs` (`from`, `to`,
//! `response`, `term`), streamed a page at a time.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;

use super::HttpState;
use super::csv_stream::{Pages, cell, download};
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
        Ok((filename, export)) => download(state, &filename, export),
        Err(err) => err.into_response(),
    }
}

/// What to export: the scope, the term the comments must use, and where the next page starts.
struct Export {
    scope: Scope,
    term: Option<String>,
    after: Option<After>,
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
        after: None,
    };
    Ok((format!("{code}-needs.csv"), export))
}

impl Pages for Export {
    const COLUMNS: &'static [&'static str] = &COLUMNS;

    async fn write_next(
        &mut self,
        state: &HttpState,
        out: &mut csv::Writer<Vec<u8>>,
    ) -> AppResult<bool> {
        let db = &state.base.db;
        let comments = query::entries(
            db,
            &self.scope,
            self.term.as_deref(),
            self.after,
            ROWS_PER_PAGE,
        )
        .await?;
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
            self.after = Some((last.created_at, last.id));
        }
        Ok(comments.len() as u64 == ROWS_PER_PAGE)
    }
}
