//! The `eligibility` check: why a firm qualifies for a policy, or why not. Records nothing.

use uuid::Uuid;

use rules::{CompiledRule, DeclarationFacts, Facts, Outcome, Reason};

use super::facts::synced_firm_facts;
use crate::auth::Viewer;
use crate::error::{AppError, AppResult};
use crate::firm::access::{self, Purpose};
use crate::firm::{Uscc, service as firms};
use crate::lang::Lang;
use crate::policy::{PolicyStatus, PolicyView, audit, catalog};
use crate::region::RegionCatalog;
use crate::state::Base;

/// The answer to "does this policy apply to this firm, and why?".
#[derive(Clone, Debug)]
pub struct Eligibility {
    pub outcome: Outcome,
    /// Whether the firm is registered inside the policy's regions.
    pub in_scope: bool,
    /// Whether the policy is published and today lies within its effective dates.
    pub in_effect: bool,
    /// One per condition, the region scope first.
    pub reasons: Vec<Reason>,
}

/// Checks a firm (and optionally a declaration) against a policy, as the viewer may.
pub async fn check(
    base: &Base,
    viewer: &Viewer,
    policy_id: Uuid,
    firm: &Uscc,
    declaration: Option<&DeclarationFacts>,
    lang: Lang,
) -> AppResult<Eligibility> {
    authorize_firm(base, viewer, firm).await?;
    let Some(mut view) = catalog::get(&base.db, &base.regions, viewer, policy_id, None).await?
    else {
        return Err(AppError::NotFound(format!("no policy {policy_id}")));
    };
    if matches!(viewer, Viewer::Department { .. }) {
        view = published_version(viewer, view)?;
    }
    let Some(model) = firms::find(&base.db, firm).await? else {
        return Err(firm_not_synced(firm));
    };
    if matches!(viewer, Viewer::Department { .. }) {
        audit::firm_checked(
            &base.db,
            policy_id,
            view.version.version,
            viewer,
            firm,
            declaration.is_some(),
            base.now(),
        )
        .await?;
    }
    let facts = synced_firm_facts(&model, &base.regions)?;
    let rule = compile(&view, &base.regions)?;
    let facts = Facts {
        firm: &facts,
        declaration,
    };
    let today = base.today();
    Ok(Eligibility {
        outcome: rule.evaluate(facts),
        in_scope: rule.in_scope(facts),
        in_effect: view.policy.status == PolicyStatus::Published
            && view.version.effective_from <= today
            && view.version.effective_to.is_none_or(|to| today <= to),
        reasons: rule.explain(facts, &base.regions, lang.into()),
    })
}

/// The version a department checks firms against: the published (or, once retired, the last
/// published) version of a policy it issued, never a draft, whose rule it could write to name any
/// fact of any firm. A published policy shows its live version, later drafts or not.
fn published_version(viewer: &Viewer, view: PolicyView) -> AppResult<PolicyView> {
    if !view.is_managed_by(viewer) {
        return Err(AppError::Forbidden);
    }
    match view.policy.live_version {
        Some(live) if live == view.version.version => Ok(view),
        Some(live) => Err(AppError::internal_msg(format!(
            "policy {} shows version {} instead of its live version {live}",
            view.policy.id, view.version.version
        ))),
        None => Err(AppError::Denied(format!(
            "policy {} has not been published: a department checks firms against the versions \
             it published, not against drafts",
            view.policy.code
        ))),
    }
}

/// The compiled rule of a policy version as stored.
pub fn compile(view: &PolicyView, regions: &RegionCatalog) -> AppResult<CompiledRule> {
    CompiledRule::compile(
        view.regions.clone(),
        &view.version.eligibility,
        "eligibility",
        regions,
    )
    .map_err(|e| {
        AppError::internal_msg(format!(
            "stored rule of policy {} is invalid: {e:?}",
            view.policy.id
        ))
    })
}

/// `NOT_FOUND` for a firm the single window has not synced.
pub fn firm_not_synced(firm: &impl std::fmt::Display) -> AppError {
    AppError::NotFound(format!(
        "firm {firm} is unknown to policy-outreach: the single window must sync it first (upsertFirms)"
    ))
}

/// Any firm for departments (their own policies, checked after) and ADMIN; otherwise whoever may
/// act for the firm.
async fn authorize_firm(base: &Base, viewer: &Viewer, firm: &Uscc) -> AppResult<()> {
    match viewer {
        Viewer::Department { .. } | Viewer::Admin { .. } => Ok(()),
        _ => access::authorize(&base.db, viewer, firm, Purpose::ActFor).await,
    }
}
