//! Where data lives, as a setting whose `Debug` and `Display` never show its password.

use std::fmt;

use serde::Deserialize;

/// `sqlite://FILE?mode=rwc` or `postgres://USER:PASSWORD@HOST:PORT/DATABASE`. Printed, logged or
/// debugged, the password reads `***`; only [`DatabaseUrl::expose`] gives it, to connect with.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// The URL with its password, for the connection pool and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_postgres(&self) -> bool {
        self.0.starts_with("postgres://") || self.0.starts_with("postgresql://")
    }

    pub fn is_sqlite(&self) -> bool {
        self.0.starts_with("sqlite:")
    }

    /// The URL with the password of its user part, and any `password=` parameter, masked.
    fn redacted(&self) -> String {
        let url = &self.0;
        let masked = match (url.find("://"), url.rfind('@')) {
            (Some(scheme_end), Some(at)) if at > scheme_end => {
                let credentials = &url[scheme_end + 3..at];
                match credentials.find(':') {
                    Some(colon) => format!(
                        "{}{}:***{}",
                        &url[..scheme_end + 3],
                        &credentials[..colon],
                        &url[at..]
                    ),
                    None => url.clone(),
                }
            }
            _ => url.clone(),
        };
        match masked.split_once('?') {
            Some((base, query)) => {
                let params: Vec<String> = query
                    .split('&')
                    .map(|param| match param.split_once('=') {
                        Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                            format!("{key}=***")
                        }
                        _ => param.to_owned(),
                    })
                    .collect();
                format!("{base}?{}", params.join("&"))
            }
            None => masked,
        }
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> Self {
        DatabaseUrl(url)
    }
}

impl From<&str> for DatabaseUrl {
    fn from(url: &str) -> Self {
        DatabaseUrl(url.to_owned())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({:?})", self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::DatabaseUrl;

    #[test]
    fn passwords_never_print() {
        let url =
            DatabaseUrl::from("postgres://app:s3cret@db:5432/po?password=other&sslmode=require");
        for printed in [url.to_string(), format!("{url:?}")] {
            assert!(
                !printed.contains("s3cret") && !printed.contains("other"),
                "{printed}"
            );
        }
        assert_eq!(
            url.to_string(),
            "postgres://app:***@db:5432/po?password=***&sslmode=require"
        );
        assert!(url.expose().contains("s3cret"));
        assert_eq!(
            DatabaseUrl::from("postgres://postgres@127.0.0.1/test").to_string(),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(
            DatabaseUrl::from("sqlite://policy-outreach.db?mode=rwc").to_string(),
            "sqlite://policy-outreach.db?mode=rwc"
        );
    }
}
