//! A policy at one version, with everything shown about it.

use chrono::NaiveDate;

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
    /// Whether `day` lies within the version's effective dates.
    pub fn in_effect_on(&self, day: NaiveDate) -> bool {
        let version = &self.version;
        version.effective_from <= day && version.effective_to.is_none_or(|to| day <= to)
    }

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
