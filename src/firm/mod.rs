//! Foreign-trade firms synced by the single window, and the customs brokers they entrust.

pub mod access;
mod graphql;
mod input;
mod model;
pub mod service;
mod uscc;

pub use graphql::{Firm, FirmAccess, FirmMutation, FirmQuery};
pub use input::validate_industry;
pub use model::{CustomsCredit, FirmSize};
pub use uscc::Uscc;
