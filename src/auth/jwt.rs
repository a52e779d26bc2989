use std::collections::HashSet;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};

use super::{Role, Viewer};
use crate::config::{JwtAlgorithm, JwtSettings};
use crate::department::DepartmentCode;
use crate::error::AppError;
use crate::firm::Uscc;

/// Tokens longer than this are refused before any parsing.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// The claims this service reads; `exp`, `nbf`, `iss` and `aud` are checked by the validation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
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

/// Verifies bearer tokens with the configured key and algorithm only.
#[derive(Clone)]
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl TokenVerifier {
    pub fn new(settings: &JwtSettings) -> TokenVerifier {
        let mut validation = Validation::new(algorithm(settings.algorithm));
        validation.leeway = settings.leeway_seconds;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[settings.issuer.as_str()]);
        validation.set_audience(&[settings.audience.as_str()]);
        validation.required_spec_claims =
            HashSet::from(["exp", "iss", "aud", "sub"].map(str::to_owned));
        TokenVerifier {
            key: DecodingKey::from_secret(settings.secret.expose_secret().as_bytes()),
            validation,
        }
    }

    /// The viewer a token proves, or `UNAUTHENTICATED` saying what is wrong with it.
    pub fn verify(&self, token: &str) -> Result<Viewer, AppError> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(refused("token is longer than 8 KiB"));
        }
        let claims = decode::<Claims>(token, &self.key, &self.validation)
            .map_err(|err| refused(describe(err.kind())))?
            .claims;
        viewer_from(claims)
    }
}

/// Mints a token with the configured secret (for development and tests).
pub fn mint(
    settings: &JwtSettings,
    claims: &Claims,
    ttl: std::time::Duration,
) -> anyhow::Result<String> {
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
        &Header::new(algorithm(settings.algorithm)),
        &body,
        &EncodingKey::from_secret(settings.secret.expose_secret().as_bytes()),
    )?)
}

fn algorithm(configured: JwtAlgorithm) -> Algorithm {
    match configured {
        JwtAlgorithm::HS256 => Algorithm::HS256,
    }
}

fn viewer_from(claims: Claims) -> Result<Viewer, AppError> {
    let subject = claims.sub;
    if subject.is_empty() || subject.len() > 128 {
        return Err(refused("`sub` must be 1 to 128 characters"));
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

fn describe(kind: &jsonwebtoken::errors::ErrorKind) -> &'static str {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::ExpiredSignature => "it has expired",
        K::ImmatureSignature => "it is not valid yet (nbf)",
        K::InvalidIssuer => "wrong issuer (iss)",
        K::InvalidAudience => "wrong audience (aud)",
        K::InvalidSignature => "bad signature",
        K::InvalidAlgorithm | K::InvalidAlgorithmName => "algorithm not accepted",
        K::MissingRequiredClaim(_) => "a required claim (exp, iss, aud, sub) is missing",
        _ => "malformed token",
    }
}
