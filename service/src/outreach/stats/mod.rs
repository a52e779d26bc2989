//! The reach figures of one policy (DESIGN §5 `Outreach`), each a SQL aggregate over indexed
//! tables. Without a window they come from the funnel rows (one per reached or answering firm,
//! flagged in or out of the kept audience) and the daily table (`lifetime.rs`); within a window,
//! from the deliveries and acknowledgements themselves (`windowed.rs`). Counting the audience
//! over the firms joins them to either (`audience.rs`): within a window the Outreach object
//! counts it so, over all time it reads the kept one (`outreach::audience`). The daily series and
//! the time to answer are `timing.rs`; over all time the time to answer rides along the funnel
//! pass (`seconds_to_answer`). Nothing is loaded into the service to be counted but the hours a
//! median is taken of.

mod audience;
mod lifetime;
mod overview;
mod timing;
mod windowed;

pub use overview::{Overview, PolicyCounts, overview};

use sea_orm::sea_query::{Expr, ExprTrait, Func, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, QueryResult};
use uuid::Uuid;

use super::Channel;
use super::window::Window;
use crate::db::read_count;
use crate::entity::{acknowledgement as ack, policy_firm_funnel as funnel};
use crate::error::{AppError, AppResult};

/// The figures of one policy over one window, for an audience given as a SQL condition on firms.
pub struct Figures {
    pub db: DatabaseConnection,
    pub policy: Uuid,
    pub audience: Expr,
    pub window: Window,
}

/// How many rows meet `condition`.
fn count_where(condition: Expr) -> Expr {
    Func::sum(Expr::case(condition, 1).finally(0)).into()
}

/// A column of the funnel table, named with it.
fn funnel_col(column: funnel::Column) -> Expr {
    Expr::col((funnel::Entity, column))
}

/// An acknowledgement the firm made itself: as the firm, or through SYSTEM on a channel other than
/// its broker.
fn by_firm_itself() -> Expr {
    Expr::col(ack::Column::ActorRole)
        .eq("FIRM")
        .or(Expr::col(ack::Column::ActorRole)
            .eq("SYSTEM")
            .and(Expr::col(ack::Column::Channel).ne(Channel::Broker.as_str())))
}

/// The one count `query` selects.
async fn count(db: &DatabaseConnection, query: &SelectStatement) -> AppResult<i64> {
    match db.query_one(query).await? {
        Some(row) => Ok(read_count(&row, 0)?),
        None => Ok(0),
    }
}

/// The seconds from a funnel row's first delivery to its first acknowledgement, for the rows
/// answered no earlier than reached, as one text aggregate of comma-separated numbers (NULL when
/// there are none): the median is taken of the list (`median_of`), so it rides along whichever
/// pass reads the rows, grouped or not. On PostgreSQL `date_part` keeps them floating point
/// (`EXTRACT` is numeric, three times dearer here: 14 against 5 ms over the 35,006 answers of
/// the benchmark's flagship).
fn seconds_to_answer(backend: DatabaseBackend) -> Expr {
    Expr::cust(if backend == DatabaseBackend::Postgres {
        "string_agg(CAST(CASE WHEN first_acknowledged_at >= first_delivered_at THEN \
         date_part('epoch', first_acknowledged_at - first_delivered_at) END AS TEXT), ',')"
    } else {
        "group_concat(CASE WHEN first_acknowledged_at >= first_delivered_at THEN \
         (julianday(first_acknowledged_at) - julianday(first_delivered_at)) * 86400.0 END, ',')"
    })
}

/// Adds the seconds `seconds_to_answer` listed in column `name` of `row` to `hours`, as hours.
fn read_hours(row: &QueryResult, name: &str, hours: &mut Vec<f64>) -> AppResult<()> {
    let Some(list) = row.try_get::<Option<String>>("", name)? else {
        return Ok(());
    };
    for value in list.split(',') {
        let seconds: f64 = value.trim().parse().map_err(|_| {
            AppError::internal_msg(format!("seconds to answer {value:?} is not a number"))
        })?;
        hours.push(seconds / 3600.0);
    }
    Ok(())
}

/// The median of `hours` (the mean of the middle two when there is an even number), to the
/// hundredth of an hour: SQLite's julian days carry float noise below that. None when empty.
fn median_of(hours: &mut [f64]) -> Option<f64> {
    let n = hours.len();
    if n == 0 {
        return None;
    }
    let (below, middle, _) = hours.select_nth_unstable_by(n / 2, f64::total_cmp);
    let upper = *middle;
    let median = if n % 2 == 1 {
        upper
    } else {
        let lower = below
            .iter()
            .copied()
            .max_by(f64::total_cmp)
            .unwrap_or(upper);
        (lower + upper) / 2.0
    };
    Some((median * 100.0).round() / 100.0)
}

#[cfg(test)]
mod tests {
    use super::median_of;

    #[test]
    fn the_median_is_the_middle_or_the_mean_of_the_middle_two() {
        assert_eq!(median_of(&mut []), None);
        assert_eq!(median_of(&mut [5.0]), Some(5.0));
        assert_eq!(median_of(&mut [72.0, 1.0]), Some(36.5));
        assert_eq!(median_of(&mut [9.0, 1.0, 4.0]), Some(4.0));
        assert_eq!(median_of(&mut [8.0, 2.0, 6.0, 4.0, 100.0, 0.5]), Some(5.0));
        assert_eq!(median_of(&mut [1.0 / 3.0]), Some(0.33), "to the hundredth");
    }
}
