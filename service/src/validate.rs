//! Checks shared by several inputs, each answering with a message a person can act on.

use async_graphql::ID;
use uuid::Uuid;

use crate::error::{AppError, AppResult};

/// Largest money value accepted, in US dollars: a sanity bound, not a policy.
pub const MAX_USD: f64 = 1e13;

/// A non-negative amount of US dollars.
pub fn usd(value: f64) -> Result<f64, String> {
    if value.is_finite() && (0.0..MAX_USD).contains(&value) {
        Ok(value)
    } else {
        Err(format!(
            "{value} is not an amount in US dollars (0 or more)"
        ))
    }
}

/// A policy id argument; `field` names it in the error.
pub fn policy_id(field: &str, id: &ID) -> AppResult<Uuid> {
    Uuid::parse_str(id).map_err(|_| AppError::field(field, "not a policy id (a UUID)"))
}
