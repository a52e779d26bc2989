//! sea-orm entities: the persistence layer. API types live in the domain modules and are converted
//! from these explicitly.

pub mod acknowledgement;
pub mod catalog_state;
pub mod department;
pub mod department_reach;
pub mod department_reach_policy;
pub mod filing;
pub mod firm;
pub mod firm_broker;
pub mod need_comment_tally;
pub mod need_term;
pub mod need_term_tally;
pub mod policy;
pub mod policy_audience;
pub mod policy_audience_region;
pub mod policy_audit;
pub mod policy_daily_reach;
pub mod policy_document;
pub mod policy_firm_funnel;
pub mod policy_issuer;
pub mod policy_region;
pub mod policy_version;
pub mod region;
