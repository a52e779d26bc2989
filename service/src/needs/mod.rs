//! What firms say they still need: the comments of their acknowledgements, segmented into terms
//! when stored and counted by the database, for the departments that issued the policies.

mod graphql;
pub mod query;
pub mod service;
pub mod store;
pub mod tally;
pub mod terms;

pub use graphql::NeedsQuery;
pub use terms::TERMS_VERSION;
