//! `GET /exports/policies/{id}/unreached.csv`: every eligible firm a policy has not reached (or
//! that never answered), for an SMS or broker campaign. Streamed a page at a time, so a
//! 200,000-row export holds one page in memory.

use std::sync::Arc;

use axum::Extension;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use sea_orm::sea_query::Expr;
use serde::Deserialize;

use super::HttpState;
use super::csv_stream::{Pages, cell, download};
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
        Ok((filename, condition)) => download(
            state,
            &filename,
            Unreached {
                condition,
                after: None,
            },
        ),
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

/// The unreached firms, keyset by USCC.
struct Unreached {
    condition: Expr,
    after: Option<String>,
}

impl Pages for Unreached {
    const COLUMNS: &'static [&'static str] = &COLUMNS;

    async fn write_next(
        &mut self,
        state: &HttpState,
        out: &mut csv::Writer<Vec<u8>>,
    ) -> AppResult<bool> {
        let app = &state.base;
        let firms = export_page(
            &app.db,
            self.condition.clone(),
            self.after.as_deref(),
            ROWS_PER_PAGE,
        )
        .await?;
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
        self.after = usccs.last().cloned().or(self.after.take());
        Ok(firms.len() as u64 == ROWS_PER_PAGE)
    }
}

/// Joins the brokers of a firm within one cell; a name containing it gets the full-width `；`.
const LIST_SEPARATOR: &str = ";";
