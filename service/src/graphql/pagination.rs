//! Relay connections with `totalCount`, paged by an opaque cursor.

use async_graphql::connection::{Connection, CursorType, Edge, OpaqueCursor};
use async_graphql::{OutputType, SimpleObject};

use crate::error::{AppError, AppResult};

/// The furthest a cursor may point; anything beyond was not handed out by a connection.
const MAX_OFFSET: u64 = 1 << 40;
/// Page size when `first` is null.
pub const DEFAULT_PAGE: i32 = 20;
/// Largest page a connection returns.
pub const MAX_PAGE: i32 = 100;

/// The extra field every connection carries.
#[derive(SimpleObject)]
pub struct TotalCount {
    /// How many items match in all pages.
    pub total_count: i64,
}

/// A connection over nodes of type `N`.
pub type CountedConnection<N> = Connection<OpaqueCursor<u64>, N, TotalCount>;

/// The complexity of a page of `first` items (clamped to what [`Page::parse`] accepts), each
/// costing `child`: what a list field adds to a query's complexity.
pub fn cost(first: Option<i32>, child: usize) -> usize {
    let items = first.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    usize::try_from(items).unwrap_or(1).saturating_mul(child)
}

/// A count as GraphQL's `Int`, saturating.
pub fn int(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// `first` of a list or page: 1 to 100, 20 when absent.
pub fn page_size(first: Option<i32>) -> AppResult<u64> {
    let first = first.unwrap_or(DEFAULT_PAGE);
    if (1..=MAX_PAGE).contains(&first) {
        Ok(first as u64)
    } else {
        Err(AppError::field(
            "first",
            format!("must be from 1 to {MAX_PAGE}; for bulk lists use the CSV export"),
        ))
    }
}

/// What the `after` cursor of a keyset connection holds: where its previous page ended.
pub fn resume_after<T>(after: Option<String>) -> AppResult<Option<T>>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
{
    after
        .map(|cursor| {
            OpaqueCursor::<T>::decode_cursor(&cursor)
                .map(|c| c.0)
                .map_err(|_| AppError::field("after", "not a cursor this connection returned"))
        })
        .transpose()
}

/// Where a page starts and how long it is, from `first` and `after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub offset: u64,
    pub limit: u64,
}

impl Page {
    /// Checks `first` (1 to 100; absent: 20) and decodes `after`, naming the argument that is wrong.
    pub fn parse(first: Option<i32>, after: Option<String>) -> AppResult<Page> {
        let limit = page_size(first)?;
        let offset = match resume_after::<u64>(after)? {
            None => 0,
            Some(last) => last
                .checked_add(1)
                .filter(|offset| *offset <= MAX_OFFSET)
                .ok_or_else(|| AppError::field("after", "not a cursor this connection returned"))?,
        };
        Ok(Page { offset, limit })
    }

    /// The connection for `nodes`, the items of this page, out of `total`.
    pub fn connection<N: OutputType>(self, nodes: Vec<N>, total: u64) -> CountedConnection<N> {
        let end = self.offset + nodes.len() as u64;
        let mut connection = Connection::with_additional_fields(
            self.offset > 0,
            end < total,
            TotalCount {
                total_count: total as i64,
            },
        );
        connection.edges.extend(
            nodes
                .into_iter()
                .enumerate()
                .map(|(i, node)| Edge::new(OpaqueCursor(self.offset + i as u64), node)),
        );
        connection
    }
}
