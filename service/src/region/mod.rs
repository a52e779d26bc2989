//! Administrative regions (GB/T 2260): the catalog (the `rules` crate holds its type), how the
//! service loads it, and its GraphQL type.

mod catalog;
mod graphql;

pub use catalog::load;
pub use graphql::Region;
pub use rules::{RegionCatalog, RegionCode, RegionLevel};
