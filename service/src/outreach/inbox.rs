//! `myPolicies`: a firm's inbox — every published policy in effect that it qualifies for, or may
//! qualify for once a declaration supplies the missing facts.

use std::sync::Arc;

use super::seen::{self, has_seen, is_closed, latest_acknowledgements};
use super::service::OutreachService;
use crate::eligibility::{Facts, FirmFacts, Outcome};
use crate::entity::acknowledgement;
use crate::error::AppResult;
use crate::policy::live::LivePolicy;

/// One inbox entry.
pub struct InboxEntry {
    pub policy: Arc<LivePolicy>,
    /// False when only declaration facts are missing to decide.
    pub certain: bool,
    pub is_new: bool,
    pub acknowledgement: Option<acknowledgement::Model>,
}

/// The whole inbox, newest first, and the page of it asked for.
pub async fn inbox(
    app: &OutreachService,
    uscc: &str,
    facts: &FirmFacts,
    include_dismissed: bool,
    offset: usize,
    limit: usize,
) -> AppResult<(Vec<InboxEntry>, usize)> {
    let funnels = seen::of_firm(&app.base.db, uscc).await?;
    let today = app.base.today();
    let snapshot = app.live.snapshot();
    let input = Facts {
        firm: facts,
        declaration: None,
    };
    let mut entries: Vec<(Arc<LivePolicy>, bool)> = snapshot
        .in_effect_on(today)
        .filter(|p| include_dismissed || !is_closed(&funnels, p))
        .filter_map(|p| match p.rule.evaluate(input) {
            Outcome::True => Some((p.clone(), true)),
            // The firm facts qualify; only the declaration can still decide.
            Outcome::Unknown if p.rule.may_qualify(input) => Some((p.clone(), false)),
            _ => None,
        })
        .collect();
    entries.sort_by(|(a, _), (b, _)| {
        b.view
            .version
            .published_at
            .cmp(&a.view.version.published_at)
            .then(b.view.policy.id.cmp(&a.view.policy.id))
    });
    let total = entries.len();
    let page: Vec<(Arc<LivePolicy>, bool)> = entries.into_iter().skip(offset).take(limit).collect();
    let mut acknowledgements = latest_acknowledgements(
        &app.base.db,
        &funnels,
        page.iter().map(|(p, _)| p.view.policy.id),
    )
    .await?;
    let page = page
        .into_iter()
        .map(|(policy, certain)| {
            let id = policy.view.policy.id;
            let live = policy.view.version.version;
            InboxEntry {
                certain,
                is_new: !has_seen(&funnels, id, live),
                acknowledgement: acknowledgements.remove(&id),
                policy,
            }
        })
        .collect();
    Ok((page, total))
}

/// What a firm's inbox gains from the live policy `policy_id`: its entry when the policy is in
/// effect today, not closed by the firm's answer to this version, and the firm's facts qualify
/// it or leave only the declaration to decide.
pub async fn entry(
    app: &OutreachService,
    uscc: &str,
    facts: &FirmFacts,
    policy_id: uuid::Uuid,
) -> AppResult<Option<InboxEntry>> {
    let snapshot = app.live.snapshot();
    let Some(policy) = snapshot.get(policy_id) else {
        return Ok(None);
    };
    if !policy.in_effect_on(app.base.today()) {
        return Ok(None);
    }
    let input = Facts {
        firm: facts,
        declaration: None,
    };
    let certain = match policy.rule.evaluate(input) {
        Outcome::True => true,
        Outcome::Unknown if policy.rule.may_qualify(input) => false,
        _ => return Ok(None),
    };
    let funnels = seen::of_firm(&app.base.db, uscc).await?;
    if is_closed(&funnels, policy) {
        return Ok(None);
    }
    let mut acknowledgements =
        latest_acknowledgements(&app.base.db, &funnels, std::iter::once(policy_id)).await?;
    Ok(Some(InboxEntry {
        certain,
        is_new: !has_seen(&funnels, policy_id, policy.view.version.version),
        acknowledgement: acknowledgements.remove(&policy_id),
        policy: policy.clone(),
    }))
}
