//! The value each setting takes when neither the file nor the environment gives one.

use std::net::SocketAddr;

use chrono_tz::Tz;

use super::DatabaseUrl;

pub fn database_url() -> DatabaseUrl {
    "sqlite://policy-outreach.db?mode=rwc".into()
}
pub fn listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8080))
}
pub fn jwt_leeway_seconds() -> u64 {
    30
}
pub fn graphql_max_aliases() -> usize {
    30
}
pub fn graphql_max_root_fields() -> usize {
    20
}
pub fn rate_limit_per_ip() -> u32 {
    500
}
pub fn rate_limit_per_subject() -> u32 {
    100
}
pub fn jwt_jwks_poll_ms() -> u64 {
    1000
}
pub fn time_zone() -> Tz {
    Tz::Asia__Shanghai
}
pub fn db_max_connections() -> u32 {
    16
}
pub fn db_acquire_timeout_seconds() -> u64 {
    5
}
pub fn sqlite_busy_timeout_ms() -> u64 {
    10_000
}
pub fn yes() -> bool {
    true
}
pub fn max_body_bytes() -> usize {
    2 * 1024 * 1024
}
pub fn request_timeout_seconds() -> u64 {
    30
}
pub fn graphql_max_depth() -> usize {
    15
}
pub fn graphql_max_document_bytes() -> usize {
    64 * 1024
}
pub fn graphql_max_tokens() -> usize {
    15_000
}
pub fn graphql_max_nesting() -> usize {
    32
}
pub fn graphql_max_fields() -> usize {
    1_000
}
pub fn graphql_max_complexity() -> usize {
    5_000
}
pub fn catalog_poll_ms() -> u64 {
    1_000
}
pub fn subscription_send_timeout_ms() -> u64 {
    10_000
}
pub fn shutdown_grace_seconds() -> u64 {
    20
}
pub fn log() -> String {
    "info,sqlx=warn,sea_orm=warn".to_owned()
}
