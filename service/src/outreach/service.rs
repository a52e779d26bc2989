//! What outreach's services use: the shared handles, the live catalog they match filings
//! against, and the writers that record presentations, acknowledgements and filing times.

use std::sync::Arc;

use super::answers::Answers;
use super::audience::KeptRules;
use super::changes::ReachChanges;
use super::{Activity, Recorder};
use crate::policy::live::LiveCatalog;
use crate::state::Base;

/// Built once at start-up; the schema hands it to outreach's resolvers.
pub struct OutreachService {
    pub base: Base,
    pub live: Arc<LiveCatalog>,
    /// Writes the presentations of filings, in batches.
    pub recorder: Recorder,
    /// Writes acknowledgements, in batches.
    pub answers: Answers,
    /// Records firms' filing times in the background.
    pub activity: Activity,
    /// The policies whose reach changed, announced to `outreachChanged`.
    pub reach: Arc<ReachChanges>,
    /// The kept audiences' rules, which every writer of funnel rows flags new rows with.
    pub rules: KeptRules,
}
