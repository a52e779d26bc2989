//! A policy at one version, with everything shown about it.

use crate::auth::Viewer;
use crate::entity::{department, policy, policy_document, policy_version};
use crate::region::RegionCode;

/// One version of a policy with everything shown about it.
#[derive(Clone, Debug)]
pub struct PolicyView {
    pub policy: policy::Model,
    pub version: policy_version::Model,
    /// Lead first, then co-issuers in the order given.
    pub issuers: Vec<department::Model>,
    pub regions: Vec<RegionCode>,
    pub documents: Vec<policy_document::Model>,
}

impl PolicyView {
    /// Whether the viewer is ADMIN or one of the policy's issuing departments.
    pub fn is_managed_by(&self, viewer: &Viewer) -> bool {
        match viewer {
            Viewer::Admin { .. } => true,
            Viewer::Department { department, .. } => {
                self.policy.lead_department == department.as_str()
                    || self.issuers.iter().any(|d| d.code == department.as_str())
            }
            _ => false,
        }
    }
}
