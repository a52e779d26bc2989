//! Issuing departments: reference data managed by ADMIN.

mod code;
mod graphql;
pub mod service;

pub use code::DepartmentCode;
pub use graphql::{Department, DepartmentEntities, DepartmentMutation, DepartmentQuery};
