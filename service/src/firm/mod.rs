//! Foreign-trade firms synced by the single window, and the customs brokers they entrust.

pub mod access;
mod graphql;
mod input;
mod model;
mod query;
pub mod service;
pub mod sync;
mod uscc;

pub use graphql::{Acknowledgement, Delivery, Firm, FirmAccess, delivery_page};
pub use input::FirmInput;
pub use model::{CustomsCredit, FirmSize};
pub use query::{FirmEntities, FirmMutation, FirmQuery};
pub use uscc::Uscc;
