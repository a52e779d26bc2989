//! Preferential policies: their content, versions, issuers and the public catalog.

mod assemble;
pub mod audit;
pub mod catalog;
mod content;
mod filter;
mod graphql;
pub mod import;
mod input;
pub mod live;
mod model;
mod mutation;
mod permission;
mod published;
mod query;
pub mod store;
mod subscription;
mod version;
mod view;

pub use filter::PolicyFilterSpec;
pub use graphql::Policy;
pub use input::{DocumentInput, PolicyDraft, PolicyInput, validate_input};
pub use model::{BenefitKind, DocumentKind, PolicyStatus};
pub use mutation::PolicyMutation;
pub use query::{PolicyEntities, PolicyQuery};
pub use subscription::{PolicySubscription, catalog_changes};
pub use view::PolicyView;
