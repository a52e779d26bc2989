//! Who is calling: bearer tokens from the single window's identity provider become a [`Viewer`].

mod graphql;
mod jwt;
mod keys;
mod viewer;

pub use graphql::AuthQuery;
pub use jwt::{Claims, TokenVerifier, mint};
pub use viewer::{Role, Viewer};
