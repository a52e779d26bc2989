//! `cors_allowed_origins`: the web origins whose pages may call the API from a browser, written
//! exactly as a browser sends them in `Origin` (`https://sw.example.cn`, `http://127.0.0.1:8080`).

use serde::Deserialize;

/// Exact origins, none by default. In a file a list or one string; in the environment one string,
/// the origins separated by commas or spaces.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AllowedOrigins(Vec<String>);

impl AllowedOrigins {
    /// Checks each origin; the first that is not one names itself and says what is wrong.
    pub fn parse<'a>(origins: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut parsed = Vec::new();
        for origin in origins.into_iter().map(str::trim).filter(|o| !o.is_empty()) {
            let exact = exact_origin(origin)?;
            if !parsed.contains(&exact) {
                parsed.push(exact);
            }
        }
        Ok(AllowedOrigins(parsed))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a request's `Origin` header is one of them, byte for byte.
    pub fn allows(&self, origin: &[u8]) -> bool {
        self.0.iter().any(|o| o.as_bytes() == origin)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }
}

/// `origin` when it is a serialised origin (scheme, host, port other than the scheme's default,
/// nothing else), else why not.
fn exact_origin(origin: &str) -> Result<String, String> {
    match origin {
        "*" => return Err("`*` is not accepted: name each origin".to_owned()),
        "null" => return Err("`null` is not accepted: it is every sandboxed page".to_owned()),
        _ => {}
    }
    let url = url::Url::parse(origin).map_err(|e| format!("`{origin}` is not an origin: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("`{origin}` must start with https:// or http://"));
    }
    let serialised = url.origin().ascii_serialization();
    if serialised != origin {
        return Err(format!(
            "`{origin}` is not written as a browser sends it: `{serialised}` \
             (scheme and host only, no path or trailing slash, no default port, host in lower case)"
        ));
    }
    Ok(serialised)
}

impl<'de> Deserialize<'de> for AllowedOrigins {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            One(String),
            Many(Vec<String>),
        }
        let parsed = match Given::deserialize(deserializer)? {
            Given::One(text) => {
                AllowedOrigins::parse(text.split(|c: char| c == ',' || c.is_whitespace()))
            }
            Given::Many(list) => AllowedOrigins::parse(list.iter().map(String::as_str)),
        };
        parsed.map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::AllowedOrigins;

    #[test]
    fn origins_are_taken_as_browsers_send_them() {
        let origins =
            AllowedOrigins::parse(["https://sw.example.cn", " http://127.0.0.1:8080 "]).unwrap();
        assert!(origins.allows(b"https://sw.example.cn"));
        assert!(origins.allows(b"http://127.0.0.1:8080"));
        assert!(!origins.allows(b"https://sw.example.cn.evil.example"));
        assert!(!origins.allows(b"http://sw.example.cn"));
    }

    #[test]
    fn anything_but_an_exact_origin_is_refused_by_name() {
        for (given, says) in [
            ("*", "name each origin"),
            ("null", "sandboxed"),
            ("https://sw.example.cn/", "no path or trailing slash"),
            ("https://sw.example.cn/panel", "no path"),
            ("https://sw.example.cn:443", "no default port"),
            ("https://SW.example.cn", "lower case"),
            ("ftp://sw.example.cn", "https://"),
            ("sw.example.cn", "not an origin"),
        ] {
            let problem = AllowedOrigins::parse([given]).unwrap_err();
            assert!(problem.contains(given), "{given}: {problem}");
            assert!(problem.contains(says), "{given}: {problem}");
        }
    }
}
