//! Typed settings: defaults, then a TOML file (`--config`), then `POLICY_OUTREACH_*` environment
//! variables, the environment winning. A bad or missing value stops start-up naming the setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod database_url;
mod origins;

pub use database_url::DatabaseUrl;
pub use origins::AllowedOrigins;

use chrono_tz::Tz;
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The prefix of every environment variable the service reads.
pub const ENV_PREFIX: &str = "POLICY_OUTREACH_";

/// Everything the service can be told. Field names are the TOML keys; the environment variable is
/// the name in capitals behind [`ENV_PREFIX`] (`database_url` → `POLICY_OUTREACH_DATABASE_URL`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Where data lives: `sqlite://FILE?mode=rwc` (embedded, the default) or
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (production).
    #[serde(default = "defaults::database_url")]
    pub database_url: DatabaseUrl,
    /// Address and port the HTTP server listens on.
    #[serde(default = "defaults::listen")]
    pub listen: SocketAddr,
    /// Shared secret that verifies HS256 tokens (at least 32 bytes); `token` mints with it. Serving
    /// needs this, [`Settings::jwt_jwks_file`], or both.
    #[serde(default)]
    pub jwt_hs256_secret: Option<SecretString>,
    /// A JWKS file of the identity provider's RS256, ES256 and EdDSA public keys, each with a
    /// `kid`. A token names its key by `kid`; the key fixes the algorithm. The file is re-read
    /// when it changes, so keys rotate without a restart.
    #[serde(default)]
    pub jwt_jwks_file: Option<PathBuf>,
    /// How often the JWKS file is checked for changes, in milliseconds.
    #[serde(default = "defaults::jwt_jwks_poll_ms")]
    pub jwt_jwks_poll_ms: u64,
    /// The `iss` every token must carry. Required to serve or mint tokens.
    #[serde(default)]
    pub jwt_issuer: Option<String>,
    /// The `aud` every token must carry. Required to serve or mint tokens.
    #[serde(default)]
    pub jwt_audience: Option<String>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds (0 to 60).
    #[serde(default = "defaults::jwt_leeway_seconds")]
    pub jwt_leeway_seconds: u64,
    /// IANA time zone that decides "today" (policies in effect) and daily statistics.
    #[serde(default = "defaults::time_zone")]
    pub time_zone: Tz,
    /// Largest number of pooled database connections.
    #[serde(default = "defaults::db_max_connections")]
    pub db_max_connections: u32,
    /// How long a request waits for a pooled connection before it fails, in seconds.
    #[serde(default = "defaults::db_acquire_timeout_seconds")]
    pub db_acquire_timeout_seconds: u64,
    /// How long an SQLite writer waits for the write lock before failing, in milliseconds.
    #[serde(default = "defaults::sqlite_busy_timeout_ms")]
    pub sqlite_busy_timeout_ms: u64,
    /// Whether `serve` applies pending migrations before it listens.
    #[serde(default = "defaults::yes")]
    pub migrate_on_start: bool,
    /// Largest request body accepted, in bytes.
    #[serde(default = "defaults::max_body_bytes")]
    pub max_body_bytes: usize,
    /// Longest a request may run before it is answered with 408, in seconds.
    #[serde(default = "defaults::request_timeout_seconds")]
    pub request_timeout_seconds: u64,
    /// Deepest GraphQL selection accepted: fields nested in fields, fragments expanded.
    #[serde(default = "defaults::graphql_max_depth")]
    pub graphql_max_depth: usize,
    /// Largest GraphQL document accepted, in bytes; large values travel as variables.
    #[serde(default = "defaults::graphql_max_document_bytes")]
    pub graphql_max_document_bytes: usize,
    /// Most tokens (names, values, punctuation) a GraphQL document may have: what parsing it costs.
    #[serde(default = "defaults::graphql_max_tokens")]
    pub graphql_max_tokens: usize,
    /// Most levels a request may nest: `{`, `[` and `(` in a document's text, objects and lists in
    /// its variables, selection sets with fragments expanded. Checked before anything recursive
    /// reads the request.
    #[serde(default = "defaults::graphql_max_nesting")]
    pub graphql_max_nesting: usize,
    /// Most fields a document may select once each fragment is expanded where it is spread.
    #[serde(default = "defaults::graphql_max_fields")]
    pub graphql_max_fields: usize,
    /// Largest GraphQL query complexity accepted.
    #[serde(default = "defaults::graphql_max_complexity")]
    pub graphql_max_complexity: usize,
    /// Most aliases a GraphQL document may use.
    #[serde(default = "defaults::graphql_max_aliases")]
    pub graphql_max_aliases: usize,
    /// Most root fields one GraphQL operation may select.
    #[serde(default = "defaults::graphql_max_root_fields")]
    pub graphql_max_root_fields: usize,
    /// Whether the schema answers introspection (`__schema`, `__type`; GraphiQL's documentation
    /// needs it). Off, field suggestions in error messages are off too.
    #[serde(default)]
    pub graphql_introspection: bool,
    /// Requests per second one client address may make (twice that in a burst); 0: no limit.
    #[serde(default = "defaults::rate_limit_per_ip")]
    pub rate_limit_per_ip: u32,
    /// Requests per second one token subject may make (twice that in a burst); 0: no limit.
    #[serde(default = "defaults::rate_limit_per_subject")]
    pub rate_limit_per_subject: u32,
    /// How often each instance checks whether another one changed the published catalog, in
    /// milliseconds.
    #[serde(default = "defaults::catalog_poll_ms")]
    pub catalog_poll_ms: u64,
    /// How long one subscription message may take to leave before its subscriber counts as not
    /// reading and its connection is dropped, in milliseconds.
    #[serde(default = "defaults::subscription_send_timeout_ms")]
    pub subscription_send_timeout_ms: u64,
    /// How long in-flight requests may take to finish after SIGTERM or ctrl-c, in seconds.
    #[serde(default = "defaults::shutdown_grace_seconds")]
    pub shutdown_grace_seconds: u64,
    /// Log filter in `tracing` syntax (`info`, `policy_outreach=debug,sqlx=warn`).
    #[serde(default = "defaults::log")]
    pub log: String,
    /// `text` for people, `json` (one object per line) for log collectors.
    #[serde(default)]
    pub log_format: LogFormat,
    /// Web origins whose pages may call the API from a browser: a single window serving the
    /// filing panel from its own origin. Exact origins as browsers send them
    /// (`https://sw.example.cn`), separated by commas in the environment; none by default. Only
    /// these get CORS headers, on `/graphql` and the exports.
    #[serde(default)]
    pub cors_allowed_origins: AllowedOrigins,
    /// Whether `/widget/demo`, a mock declaration form with the filing panel beside it, is
    /// served. `serve --demo` turns it on.
    #[serde(default)]
    pub widget_demo: bool,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

mod defaults;

/// A setting that is missing or wrong, named so the operator can fix it.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl ConfigError {
    pub(crate) fn setting(key: &str, problem: &str) -> Self {
        ConfigError(format!(
            "{ENV_PREFIX}{} (`{key}` in the config file) {problem}",
            key.to_uppercase()
        ))
    }
}

/// What token verification and minting need, all present and checked.
#[derive(Clone)]
pub struct JwtSettings {
    pub secret: Option<SecretString>,
    pub jwks_file: Option<PathBuf>,
    pub jwks_poll: std::time::Duration,
    pub issuer: String,
    pub audience: String,
    pub leeway_seconds: u64,
}

impl Settings {
    /// Reads defaults, then `file` when given (it must exist), then the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut figment = Figment::new();
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError(format!(
                    "--config {}: no such file",
                    file.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        let settings: Settings = figment
            .merge(Env::prefixed(ENV_PREFIX))
            .extract()
            .map_err(|err| ConfigError(err.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Every default, as a service with no file and no environment would run.
    pub fn defaults() -> Settings {
        Figment::new()
            .extract()
            .unwrap_or_else(|err| unreachable!("every setting has a default: {err}"))
    }

    /// Checks the values that types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.database_url.is_sqlite() || self.database_url.is_postgres()) {
            return Err(ConfigError::setting(
                "database_url",
                "must start with sqlite: or postgres://",
            ));
        }
        if self.jwt_leeway_seconds > 60 {
            return Err(ConfigError::setting(
                "jwt_leeway_seconds",
                "must be at most 60",
            ));
        }
        for (key, value) in [
            ("db_max_connections", self.db_max_connections as u64),
            ("request_timeout_seconds", self.request_timeout_seconds),
            ("max_body_bytes", self.max_body_bytes as u64),
            ("graphql_max_depth", self.graphql_max_depth as u64),
            ("graphql_max_nesting", self.graphql_max_nesting as u64),
            ("graphql_max_tokens", self.graphql_max_tokens as u64),
            (
                "graphql_max_document_bytes",
                self.graphql_max_document_bytes as u64,
            ),
            ("graphql_max_fields", self.graphql_max_fields as u64),
            ("graphql_max_complexity", self.graphql_max_complexity as u64),
            ("graphql_max_aliases", self.graphql_max_aliases as u64),
            (
                "graphql_max_root_fields",
                self.graphql_max_root_fields as u64,
            ),
            ("catalog_poll_ms", self.catalog_poll_ms),
            (
                "subscription_send_timeout_ms",
                self.subscription_send_timeout_ms,
            ),
            ("jwt_jwks_poll_ms", self.jwt_jwks_poll_ms),
        ] {
            if value == 0 {
                return Err(ConfigError::setting(key, "must be greater than 0"));
            }
        }
        if let Some(secret) = &self.jwt_hs256_secret
            && secret.expose_secret().len() < 32
        {
            return Err(ConfigError::setting(
                "jwt_hs256_secret",
                "must be at least 32 bytes long",
            ));
        }
        Ok(())
    }

    /// Whether the database is PostgreSQL (else SQLite).
    pub fn is_postgres(&self) -> bool {
        self.database_url.is_postgres()
    }

    /// The token settings, or an error naming the first one missing.
    pub fn jwt(&self) -> Result<JwtSettings, ConfigError> {
        let missing = |key: &str| ConfigError::setting(key, "is required");
        if self.jwt_hs256_secret.is_none() && self.jwt_jwks_file.is_none() {
            return Err(ConfigError::setting(
                "jwt_hs256_secret",
                "is required unless jwt_jwks_file is set",
            ));
        }
        Ok(JwtSettings {
            secret: self.jwt_hs256_secret.clone(),
            jwks_file: self.jwt_jwks_file.clone(),
            jwks_poll: std::time::Duration::from_millis(self.jwt_jwks_poll_ms),
            issuer: self
                .jwt_issuer
                .clone()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| missing("jwt_issuer"))?,
            audience: self
                .jwt_audience
                .clone()
                .filter(|s| !s.is_empty())
                .ok_or_else(|| missing("jwt_audience"))?,
            leeway_seconds: self.jwt_leeway_seconds,
        })
    }
}

#[cfg(test)]
mod tests;
