//! Who may read what firms said they need, and about which policies.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;
use uuid::Uuid;

use super::query::Scope;
use super::terms::{MAX_TERM_CHARS, normalize};
use crate::auth::Viewer;
use crate::department::service::for_reader;
use crate::error::{AppError, AppResult};
use crate::outreach::{Response, Window, reach_reader};
use crate::policy::{PolicyView, catalog};
use crate::state::Base;

/// A scope and the policies it covers, as their readers see them.
pub struct Readable {
    pub scope: Scope,
    pub policies: HashMap<Uuid, Arc<PolicyView>>,
}

/// The comments on one policy: its issuers, SYSTEM and ADMIN.
pub async fn of_policy(
    base: &Base,
    viewer: &Viewer,
    policy: Uuid,
    (from, to): (Option<NaiveDate>, Option<NaiveDate>),
    response: Option<Response>,
) -> AppResult<Readable> {
    let window = Window::of_days(from, to, base.zone)?;
    let view = Arc::new(reach_reader(base, viewer, policy).await?);
    Ok(Readable {
        scope: Scope {
            policies: vec![policy],
            window,
            response,
        },
        policies: HashMap::from([(policy, view)]),
    })
}

/// The comments on every policy a department leads or co-issues: the department itself, or
/// the one SYSTEM or ADMIN names.
pub async fn of_department(
    base: &Base,
    viewer: &Viewer,
    department: Option<&str>,
    (from, to): (Option<NaiveDate>, Option<NaiveDate>),
    response: Option<Response>,
) -> AppResult<Readable> {
    let window = Window::of_days(from, to, base.zone)?;
    let department = for_reader(&base.db, viewer, department).await?;
    let views = catalog::managed_by(&base.db, &base.regions, &department).await?;
    let policies: HashMap<Uuid, Arc<PolicyView>> = views
        .into_iter()
        .map(|v| (v.policy.id, Arc::new(v)))
        .collect();
    Ok(Readable {
        scope: Scope {
            policies: policies.keys().copied().collect(),
            window,
            response,
        },
        policies,
    })
}

/// A `term` argument as the terms are stored, or `BAD_USER_INPUT` naming `field`.
pub fn term_argument(field: &str, text: &str) -> AppResult<String> {
    if text.trim().chars().count() > MAX_TERM_CHARS {
        return Err(AppError::field(
            field,
            format!("at most {MAX_TERM_CHARS} characters"),
        ));
    }
    normalize(text).ok_or_else(|| AppError::field(field, "must not be blank"))
}
