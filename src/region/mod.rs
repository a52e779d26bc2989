//! Administrative regions (GB/T 2260): codes, their hierarchy, and their GraphQL type.

mod catalog;
mod graphql;

pub use catalog::{RegionCatalog, RegionCode, RegionLevel};
pub use graphql::Region;

#[cfg(test)]
pub(crate) use catalog::tests;
