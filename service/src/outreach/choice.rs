//! Which live policies a filing presents, and in what order (DESIGN §7).

use std::sync::Arc;

use chrono::NaiveDate;

use super::seen::{FirmFunnel, is_closed};
use crate::eligibility::Facts;
use crate::policy::live::{LivePolicy, Snapshot};

/// The policies of `snapshot` in effect on `today` whose rules are TRUE on `input`, each with how
/// many of its conditions matched; without those the firm's latest answer closed unless
/// `include_dismissed`. Soonest deadline first, none last; then more conditions met; then most
/// recently published.
pub fn choose(
    snapshot: &Snapshot,
    today: NaiveDate,
    input: Facts<'_>,
    funnels: &FirmFunnel,
    include_dismissed: bool,
) -> Vec<(Arc<LivePolicy>, usize)> {
    let mut matches: Vec<(Arc<LivePolicy>, usize)> = snapshot
        .matching(input, today)
        .filter(|p| include_dismissed || !is_closed(funnels, p))
        .map(|p| (p.clone(), p.rule.matched_conditions(input)))
        .collect();
    matches.sort_by(|(a, a_matched), (b, b_matched)| {
        let deadline = |p: &LivePolicy| p.view.version.apply_deadline;
        (deadline(a).is_none(), deadline(a))
            .cmp(&(deadline(b).is_none(), deadline(b)))
            .then(b_matched.cmp(a_matched))
            .then(
                b.view
                    .version
                    .published_at
                    .cmp(&a.view.version.published_at),
            )
    });
    matches
}
