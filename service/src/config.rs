//! Typed settings: defaults, then a TOML file (`--config`), then `POLICY_OUTREACH_*` environment
//! variables, the environment winning. A bad or missing value stops start-up naming the setting.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

mod database_url;

pub use database_url::DatabaseUrl;

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
    /// How long in-flight requests may take to finish after SIGTERM or ctrl-c, in seconds.
    #[serde(default = "defaults::shutdown_grace_seconds")]
    pub shutdown_grace_seconds: u64,
    /// Log filter in `tracing` syntax (`info`, `policy_outreach=debug,sqlx=warn`).
    #[serde(default = "defaults::log")]
    pub log: String,
    /// `text` for people, `json` (one object per line) for log collectors.
    #[serde(default)]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

mod defaults {
    use super::*;

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
    pub fn shutdown_grace_seconds() -> u64 {
        20
    }
    pub fn log() -> String {
        "info,sqlx=warn,sea_orm=warn".to_owned()
    }
}

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
mod tests {
    use super::*;

    #[expect(
        clippy::result_large_err,
        reason = "the closure's type is figment's Jail API"
    )]
    fn with_env<T>(vars: &[(&str, &str)], f: impl FnOnce() -> T) -> T {
        let mut out = None;
        figment::Jail::expect_with(|jail| {
            for (k, v) in vars {
                jail.set_env(k, v);
            }
            out = Some(f());
            Ok(())
        });
        out.unwrap_or_else(|| unreachable!("the jail ran the closure"))
    }

    #[test]
    fn defaults_match_the_design() {
        let settings = Settings::defaults();
        assert_eq!(
            settings.database_url.expose(),
            "sqlite://policy-outreach.db?mode=rwc"
        );
        assert_eq!(settings.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.time_zone, Tz::Asia__Shanghai);
    }

    #[test]
    fn environment_overrides_and_a_bad_value_names_the_setting() {
        let listen = with_env(&[("POLICY_OUTREACH_LISTEN", "0.0.0.0:9000")], || {
            Settings::load(None).map(|s| s.listen.to_string())
        });
        assert_eq!(listen.ok().as_deref(), Some("0.0.0.0:9000"));

        let err = with_env(&[("POLICY_OUTREACH_TIME_ZONE", "Mars/Olympus")], || {
            Settings::load(None).err().map(|e| e.to_string())
        });
        assert!(
            err.is_some_and(|e| e.contains("TIME_ZONE")),
            "the message names the variable"
        );
    }

    #[test]
    fn an_unknown_variable_is_refused_by_name() {
        let err = with_env(&[("POLICY_OUTREACH_DATABSE_URL", "x")], || {
            Settings::load(None).err().map(|e| e.to_string())
        });
        assert!(err.is_some_and(|e| e.contains("databse_url")));
    }

    #[test]
    fn missing_token_settings_are_named_and_the_secret_is_never_printed() {
        let mut settings = Settings::defaults();
        let err = settings
            .jwt()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("POLICY_OUTREACH_JWT_HS256_SECRET"), "{err}");

        settings.jwt_hs256_secret = Some("a-very-secret-value-of-32-bytes!!".into());
        settings.database_url = "postgres://app:db-password@db/po".into();
        let printed = format!("{settings:?}");
        assert!(!printed.contains("a-very-secret"), "{printed}");
        assert!(!printed.contains("db-password"), "{printed}");
    }

    #[test]
    fn a_short_secret_and_a_large_leeway_are_refused() {
        let mut settings = Settings::defaults();
        settings.jwt_hs256_secret = Some("short".into());
        assert!(settings.validate().is_err());
        settings.jwt_hs256_secret = None;
        settings.jwt_leeway_seconds = 61;
        let err = settings
            .validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("JWT_LEEWAY_SECONDS"), "{err}");
    }
}
