//! The published catalog served from the live snapshot: `policies` and `policy` answered as the
//! database would answer them (same filters, order, cursors and totals), with no round trip.
//! Drafts, retired policies and other versions than the live one are read from the database.

use std::sync::Arc;

use uuid::Uuid;

use super::filter::PolicyFilterSpec;
use super::live::Snapshot;
use super::view::PolicyView;
use crate::region::RegionCatalog;

/// A page of the published policies passing `filter`, newest first, and how many pass in all;
/// `None` when the filter asks for another status than PUBLISHED.
pub fn page(
    snapshot: &Snapshot,
    regions: &RegionCatalog,
    filter: &PolicyFilterSpec,
    offset: u64,
    limit: u64,
) -> Option<(Vec<Arc<PolicyView>>, u64)> {
    if !filter.published_only() {
        return None;
    }
    let mut total: u64 = 0;
    let mut page = Vec::new();
    for policy in snapshot.newest_first() {
        if filter.admits(&policy.view, regions) {
            if total >= offset && (page.len() as u64) < limit {
                page.push(policy.view.clone());
            }
            total += 1;
        }
    }
    Some((page, total))
}

/// The published policy `id` at its live version, when that is the version asked for; `None`
/// sends the read to the database.
pub fn policy(snapshot: &Snapshot, id: Uuid, version: Option<i32>) -> Option<Arc<PolicyView>> {
    let live = snapshot.get(id)?;
    version
        .is_none_or(|v| v == live.view.version.version)
        .then(|| live.view.clone())
}
