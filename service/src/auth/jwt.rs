use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Validation, decode, encode};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::keys::JwksFile;
use super::{Role, Viewer};
use crate::config::{ConfigError, JwtSettings};
use crate::department::DepartmentCode;
use crate::error::AppError;
use crate::firm::Uscc;

/// Tokens longer than this are refused before any parsing.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The claims this service reads; `exp`, `nbf`, `iss` and `aud` are checked by the validation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default)]
    pub role: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uscc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
}

#[derive(Serialize)]
struct MintedClaims<'a> {
    #[serde(flatten)]
    claims: &'a Claims,
    iss: &'a str,
    aud: &'a str,
    iat: i64,
    nbf: i64,
    exp: i64,
}

/// Verifies bearer tokens: HS256 with the configured secret, and RS256, ES256 or EdDSA with the
/// JWKS key the token names by `kid`. The key fixes the algorithm; the token's `alg` header only
/// has to agree with it.
#[derive(Clone)]
pub struct TokenVerifier {
    hs256: Option<DecodingKey>,
    jwks: Option<Arc<JwksFile>>,
    validations: Arc<HashMap<Algorithm, Validation>>,
}

impl TokenVerifier {
    /// The verifier the settings describe; a JWKS file that cannot be read or has no usable key
    /// stops start-up naming `jwt_jwks_file`.
    pub fn new(settings: &JwtSettings) -> Result<TokenVerifier, ConfigError> {
        let jwks = match &settings.jwks_file {
            Some(path) => {
                Some(Arc::new(JwksFile::open(path).map_err(|err| {
                    ConfigError::setting("jwt_jwks_file", &err)
                })?))
            }
            None => None,
        };
        let validations = ACCEPTED
            .iter()
            .map(|&algorithm| (algorithm, validation(settings, algorithm)))
            .collect();
        Ok(TokenVerifier {
            hs256: settings
                .secret
                .as_ref()
                .map(|secret| DecodingKey::from_secret(secret.expose_secret().as_bytes())),
            jwks,
            validations: Arc::new(validations),
        })
    }

    /// Re-reads the JWKS file (when there is one) every `interval`, so keys rotate in place.
    pub fn watch_keys(&self, interval: std::time::Duration) {
        if let Some(jwks) = &self.jwks {
            jwks.clone().watch(interval);
        }
    }

    /// The viewer a token proves, or `UNAUTHENTICATED` saying what is wrong with it. Nothing the
    /// token says is echoed back.
    pub fn verify(&self, token: &str) -> Result<Viewer, AppError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(refused("token is longer than 8 KiB"));
        }
        if token.split('.').count() != 3 {
            return Err(refused(
                "a token is three base64url parts joined by dots (JWS compact form)",
            ));
        }
        let header = Header::read(token)?;
        let keys = self.jwks.as_ref().map(|jwks| jwks.keys());
        let by_kid = header
            .kid
            .as_deref()
            .and_then(|kid| keys.as_ref().and_then(|keys| keys.get(kid)));
        let (key, algorithm) = match (by_kid, &self.hs256) {
            (Some(public), _) => (&public.key, public.algorithm),
            (None, Some(secret)) if header.alg == Algorithm::HS256 => (secret, Algorithm::HS256),
            (None, _) if header.kid.is_some() => return Err(refused("unknown key id (kid)")),
            (None, _) => return Err(refused("no key for this token: it names no key id (kid)")),
        };
        if header.alg != algorithm {
            return Err(refused("the algorithm does not match the key"));
        }
        let validation = self
            .validations
            .get(&algorithm)
            .ok_or_else(|| refused("algorithm not accepted"))?;
        let claims = decode::<Claims>(token, key, validation)
            .map_err(|err| refused(&describe(err.kind())))?
            .claims;
        viewer_from(claims)
    }
}

/// Every algorithm a token may be signed with.
const ACCEPTED: [Algorithm; 4] = [
    Algorithm::HS256,
    Algorithm::RS256,
    Algorithm::ES256,
    Algorithm::EdDSA,
];

fn validation(settings: &JwtSettings, algorithm: Algorithm) -> Validation {
    let mut validation = Validation::new(algorithm);
    validation.leeway = settings.leeway_seconds;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.set_issuer(&[settings.issuer.as_str()]);
    validation.set_audience(&[settings.audience.as_str()]);
    validation.required_spec_claims =
        HashSet::from(["exp", "iss", "aud", "sub"].map(str::to_owned));
    validation
}

/// The parts of a token's header that choose its key, read before any signature check.
struct Header {
    alg: Algorithm,
    kid: Option<String>,
}

impl Header {
    fn read(token: &str) -> Result<Header, AppError> {
        #[derive(Deserialize)]
        struct Raw {
            alg: String,
            #[serde(default)]
            kid: Option<String>,
            #[serde(flatten)]
            rest: serde_json::Map<String, serde_json::Value>,
        }
        let encoded = token.split('.').next().unwrap_or_default();
        let raw: Raw = URL_SAFE_NO_PAD
            .decode(encoded)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .ok_or_else(|| refused("the header is not base64url JSON with an `alg`"))?;
        if ["jwk", "jku", "x5u", "x5c"]
            .iter()
            .any(|name| raw.rest.contains_key(*name))
        {
            return Err(refused(
                "the header carries its own key (jwk, jku, x5u or x5c); keys come only from this service's configuration",
            ));
        }
        if raw.rest.contains_key("crit") {
            return Err(refused(
                "critical header extensions (crit) are not supported",
            ));
        }
        let alg = ACCEPTED
            .into_iter()
            .find(|accepted| format!("{accepted:?}") == raw.alg)
            .ok_or_else(|| refused("algorithm not accepted (HS256, RS256, ES256 or EdDSA)"))?;
        Ok(Header { alg, kid: raw.kid })
    }
}

/// Mints an HS256 token with the configured secret (for development and tests).
pub fn mint(
    settings: &JwtSettings,
    claims: &Claims,
    ttl: std::time::Duration,
) -> anyhow::Result<String> {
    let secret = settings
        .secret
        .as_ref()
        .ok_or_else(|| ConfigError::setting("jwt_hs256_secret", "is required to mint tokens"))?;
    let now = chrono::Utc::now().timestamp();
    let ttl = i64::try_from(ttl.as_secs())?;
    let body = MintedClaims {
        claims,
        iss: &settings.issuer,
        aud: &settings.audience,
        iat: now,
        nbf: now,
        exp: now + ttl,
    };
    Ok(encode(
        &jsonwebtoken::Header::new(Algorithm::HS256),
        &body,
        &EncodingKey::from_secret(secret.expose_secret().as_bytes()),
    )?)
}

fn viewer_from(claims: Claims) -> Result<Viewer, AppError> {
    let subject = claims.sub;
    if subject.is_empty() || subject.len() > 128 {
        return Err(refused("`sub` must be 1 to 128 characters"));
    }
    if claims.role.is_empty() {
        return Err(refused("the `role` claim is missing"));
    }
    let bad_role = || refused("`role` must be firm, broker, department, system or admin");
    let role = Role::parse(&claims.role.to_ascii_uppercase()).ok_or_else(bad_role)?;
    let uscc = || {
        let text = claims
            .uscc
            .as_deref()
            .ok_or_else(|| refused("a firm or broker token needs a `uscc` claim"))?;
        Uscc::parse(text).map_err(|e| refused(&format!("`uscc` claim: {e}")))
    };
    Ok(match role {
        Role::Firm => Viewer::Firm {
            subject,
            uscc: uscc()?,
        },
        Role::Broker => Viewer::Broker {
            subject,
            uscc: uscc()?,
        },
        Role::Department => {
            let text = claims
                .department
                .as_deref()
                .ok_or_else(|| refused("a department token needs a `department` claim"))?;
            let department = DepartmentCode::parse(text)
                .map_err(|e| refused(&format!("`department` claim: {e}")))?;
            Viewer::Department {
                subject,
                department,
            }
        }
        Role::System => Viewer::System { subject },
        Role::Admin => Viewer::Admin { subject },
        Role::Anonymous => return Err(bad_role()),
    })
}

fn refused(why: &str) -> AppError {
    AppError::Unauthenticated(format!("invalid bearer token: {why}"))
}

fn describe(kind: &jsonwebtoken::errors::ErrorKind) -> String {
    use jsonwebtoken::errors::ErrorKind as K;
    let claim = |name: &str| {
        ["exp", "nbf", "iss", "aud", "sub"]
            .into_iter()
            .find(|known| *known == name)
            .unwrap_or("a claim")
    };
    match kind {
        K::ExpiredSignature => "it has expired".to_owned(),
        K::ImmatureSignature => "it is not valid yet (nbf)".to_owned(),
        K::InvalidIssuer => "wrong issuer (iss)".to_owned(),
        K::InvalidAudience => "wrong audience (aud)".to_owned(),
        K::InvalidSignature => "bad signature".to_owned(),
        K::InvalidAlgorithm | K::InvalidAlgorithmName => "algorithm not accepted".to_owned(),
        K::MissingRequiredClaim(name) => format!("the `{}` claim is missing", claim(name)),
        K::InvalidClaimFormat(name) => format!("the `{}` claim has the wrong type", claim(name)),
        _ => "malformed token".to_owned(),
    }
}

#[cfg(test)]
mod tests;
