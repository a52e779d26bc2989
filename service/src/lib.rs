//! policy-outreach: tells foreign-trade firms, while they file a customs declaration, which
//! preferential policies apply to them and why; records every presentation and response; and tells
//! the issuing departments whom they reached.

pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod department;
pub mod eligibility;
pub mod entity;
pub mod error;
pub mod firm;
pub mod graphql;
pub mod http;
pub mod lang;
pub mod needs;
pub mod outreach;
pub mod policy;
pub mod region;
pub mod schema;
pub mod state;
mod stored_enum;
pub mod text;
pub mod validate;

pub use app::Application;
pub use config::Settings;
