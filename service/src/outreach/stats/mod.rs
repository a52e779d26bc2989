//! The reach figures of one policy (DESIGN §5 `Outreach`), each a SQL aggregate over indexed
//! tables. Without a window they come from the funnel rows (one per reached or answering firm,
//! flagged in or out of the kept audience) and the daily table (`lifetime.rs`); within a window,
//! from the deliveries and acknowledgements themselves (`windowed.rs`). Counting the audience
//! over the firms joins them to either (`audience.rs`): within a window the Outreach object
//! counts it so, over all time it reads the kept one (`outreach::audience`). The daily series and
//! the time to answer are `timing.rs`. Nothing is loaded into the service to be counted.

mod audience;
mod lifetime;
mod overview;
mod timing;
mod windowed;

pub use overview::{Overview, PolicyCounts, overview};

use sea_orm::sea_query::{Expr, ExprTrait, Func, SelectStatement};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use uuid::Uuid;

use super::Channel;
use super::window::Window;
use crate::db::read_count;
use crate::entity::{acknowledgement as ack, policy_firm_funnel as funnel};
use crate::error::AppResult;

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
