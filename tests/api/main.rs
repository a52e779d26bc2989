//! Integration tests: each starts the real application on port 0 against a fresh database of its
//! own (SQLite always; PostgreSQL when TEST_DATABASE_URL is set) and talks to it over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

mod auth;
mod browser;
mod console;
mod deliveries;
mod departments;
mod eligibility;
mod faults;
mod federation;
mod filing;
mod firms;
mod fuzz;
mod health;
mod helpers;
mod hostile;
mod http;
mod http_audit;
mod lifecycle;
mod limits;
mod migrations;
mod needs;
mod observe;
mod overview;
mod panel;
mod permissions;
mod policies;
mod process;
mod reach;
mod rules_sql;
mod schema;
mod subscriptions;
mod synthetic;
mod text;
