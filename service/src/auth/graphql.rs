use async_graphql::{Context, Object, SimpleObject};

use super::Role;
use crate::department::{Department, service as departments};
use crate::firm::{Firm, FirmAccess, service as firms};
use crate::graphql::{base, viewer};

/// The caller as the service sees it.
#[derive(SimpleObject)]
#[graphql(name = "Viewer")]
pub struct ViewerInfo {
    role: Role,
    /// The token's `sub`; none when anonymous.
    subject: Option<String>,
    /// The firm a FIRM or BROKER token speaks for, once synced.
    firm: Option<Firm>,
    /// The department a DEPARTMENT token speaks for, once created.
    department: Option<Department>,
}

/// Identity reads.
#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// Who the service thinks is calling.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<ViewerInfo> {
        let viewer = viewer(ctx);
        let db = &base(ctx).db;
        let firm = match viewer.uscc() {
            Some(uscc) => firms::find(db, uscc)
                .await?
                .map(|m| Firm::new(m, FirmAccess::Full)),
            None => None,
        };
        let department = match viewer.department() {
            Some(code) => departments::by_codes(db, &[code.to_string()])
                .await?
                .pop()
                .map(Department::from),
            None => None,
        };
        Ok(ViewerInfo {
            role: viewer.role(),
            subject: viewer.subject().map(str::to_owned),
            firm,
            department,
        })
    }
}
