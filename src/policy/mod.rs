//! Preferential policies: their content, versions, issuers and the public catalog.

pub mod catalog;
mod graphql;
mod input;
mod model;
pub mod store;

pub use catalog::{PolicyFilterSpec, PolicyView};
pub use graphql::{Policy, PolicyQuery};
pub use input::{DocumentInput, PolicyDraft, PolicyInput, validate_input};
pub use model::{BenefitKind, DocumentKind, PolicyStatus};
