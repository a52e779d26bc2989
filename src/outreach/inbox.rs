//! `myPolicies`: a firm's inbox — every published policy in effect that it qualifies for, or may
//! qualify for once a declaration supplies the missing facts.

use std::sync::Arc;

use super::filing::{funnel_rows, has_seen, latest_acknowledgements};
use crate::eligibility::{Facts, FirmFacts, Outcome};
use crate::entity::acknowledgement;
use crate::error::AppResult;
use crate::graphql::AppState;
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
    app: &AppState,
    uscc: &str,
    facts: &FirmFacts,
    offset: usize,
    limit: usize,
) -> AppResult<(Vec<InboxEntry>, usize)> {
    let today = app.clock.today(app.settings.time_zone);
    let snapshot = app.live.snapshot();
    let input = Facts {
        firm: facts,
        declaration: None,
    };
    let mut entries: Vec<(Arc<LivePolicy>, bool)> = snapshot
        .in_effect_on(today)
        .filter_map(|p| match p.rule.evaluate(input) {
            Outcome::True => Some((p.clone(), true)),
            // Firm facts qualify; only the declaration can still decide.
            Outcome::Unknown if firm_facts_known(p, facts) => Some((p.clone(), false)),
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
    let funnels = funnel_rows(app, uscc).await?;
    let mut acknowledgements =
        latest_acknowledgements(app, &funnels, page.iter().map(|(p, _)| p.view.policy.id)).await?;
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

/// Whether every firm fact the rule looks at is known, so an UNKNOWN comes from the declaration.
fn firm_facts_known(policy: &LivePolicy, facts: &FirmFacts) -> bool {
    use crate::eligibility::Fact;
    policy.rule.rule.conditions().iter().all(|c| match c.fact {
        Fact::FirmRegion => true,
        Fact::FirmSize => facts.size.is_some(),
        Fact::FirmIndustry => facts.industry.is_some(),
        Fact::FirmCustomsCredit => facts.customs_credit.is_some(),
        Fact::FirmExportValue => facts.export_value_prev_year_usd.is_some(),
        Fact::FirmImportValue => facts.import_value_prev_year_usd.is_some(),
        Fact::FirmForeignInvested => facts.foreign_invested.is_some(),
        Fact::FirmRegisteredOn => facts.registered_on.is_some(),
        _ => true,
    })
}
