//! Who may see a firm, and act for it (DESIGN §4): the one place that decides.

use crate::auth::Viewer;
use crate::error::{AppError, AppResult};
use crate::firm::{Uscc, service};
use sea_orm::DatabaseConnection;

/// What the viewer wants to do with the firm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// Read its profile and acknowledgements: the firm, a broker it entrusted (and a broker reading
    /// itself), SYSTEM, ADMIN.
    ReadProfile,
    /// File for it, check its eligibility, acknowledge for it: the firm, a broker it entrusted,
    /// SYSTEM (and, for eligibility checks, departments and ADMIN — their own rule).
    ActFor,
}

/// `Ok` when the viewer may act on `firm` for `purpose`; anonymous callers are told to
/// authenticate; refusals never say whether the firm exists.
pub async fn authorize(
    db: &DatabaseConnection,
    viewer: &Viewer,
    firm: &Uscc,
    purpose: Purpose,
) -> AppResult<()> {
    let allowed = match viewer {
        Viewer::Anonymous => {
            return Err(AppError::Unauthenticated(
                "this operation needs a bearer token".to_owned(),
            ));
        }
        Viewer::Firm { uscc, .. } => uscc == firm,
        Viewer::Broker { uscc, .. } if uscc == firm => purpose == Purpose::ReadProfile,
        Viewer::Broker { uscc, .. } => service::entrusts(db, firm, uscc).await?,
        Viewer::System { .. } => true,
        Viewer::Admin { .. } => purpose == Purpose::ReadProfile,
        Viewer::Department { .. } => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}
