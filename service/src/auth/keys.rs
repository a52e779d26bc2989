//! The identity provider's public keys, read from a JWKS file and chosen by `kid`. The file is
//! re-read when its content changes, so keys rotate without a restart; a file that cannot be read
//! or parsed keeps the keys already loaded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use sha2::{Digest, Sha256};

/// A public key and the one algorithm it verifies.
pub struct PublicKey {
    pub algorithm: Algorithm,
    pub key: DecodingKey,
}

/// The usable keys of one JWKS document, by `kid`.
#[derive(Default)]
pub struct KeySet {
    keys: HashMap<String, PublicKey>,
}

impl KeySet {
    /// Parses a JWKS document. Keys this service cannot use (encryption keys, other algorithms,
    /// symmetric keys, no `kid`) are left out and described in the second value; a document that
    /// is not a JWKS, repeats a `kid` or has no usable key is refused.
    pub fn parse(bytes: &[u8]) -> Result<(KeySet, Vec<String>), String> {
        #[derive(serde::Deserialize)]
        struct Document {
            keys: Vec<serde_json::Value>,
        }
        let document: Document = serde_json::from_slice(bytes)
            .map_err(|err| format!("not a JWKS document (an object with a `keys` array): {err}"))?;
        let mut keys = HashMap::new();
        let mut skipped = Vec::new();
        for (index, entry) in document.keys.into_iter().enumerate() {
            let (kid, key) = match usable(entry) {
                Ok(found) => found,
                Err(why) => {
                    skipped.push(format!("key {index}: {why}"));
                    continue;
                }
            };
            if keys.contains_key(&kid) {
                return Err(format!("kid `{kid}` appears more than once"));
            }
            keys.insert(kid, key);
        }
        if keys.is_empty() {
            return Err(format!(
                "no usable RS256, ES256 or EdDSA public key ({})",
                if skipped.is_empty() {
                    "the `keys` array is empty".to_owned()
                } else {
                    skipped.join("; ")
                }
            ));
        }
        Ok((KeySet { keys }, skipped))
    }

    pub fn get(&self, kid: &str) -> Option<&PublicKey> {
        self.keys.get(kid)
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }
}

/// The `kid` and key of one JWKS entry, or why it cannot verify tokens here.
fn usable(entry: serde_json::Value) -> Result<(String, PublicKey), String> {
    let jwk: Jwk = serde_json::from_value(entry).map_err(|err| format!("not a JWK: {err}"))?;
    let kid = jwk
        .common
        .key_id
        .clone()
        .filter(|kid| !kid.is_empty())
        .ok_or("it has no `kid`")?;
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return Err(format!("`{kid}` is not a signature key (`use`)"));
    }
    let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
        (AlgorithmParameters::RSA(_), None | Some(KeyAlgorithm::RS256)) => Algorithm::RS256,
        (AlgorithmParameters::EllipticCurve(ec), None | Some(KeyAlgorithm::ES256))
            if ec.curve == EllipticCurve::P256 =>
        {
            Algorithm::ES256
        }
        (AlgorithmParameters::OctetKeyPair(okp), None | Some(KeyAlgorithm::EdDSA))
            if okp.curve == EllipticCurve::Ed25519 =>
        {
            Algorithm::EdDSA
        }
        (AlgorithmParameters::OctetKey(_), _) => {
            return Err(format!(
                "`{kid}` is a symmetric key; HS256 uses jwt_hs256_secret, never the JWKS file"
            ));
        }
        _ => {
            return Err(format!(
                "`{kid}` is not an RS256, ES256 (P-256) or EdDSA (Ed25519) key"
            ));
        }
    };
    let key = DecodingKey::from_jwk(&jwk).map_err(|err| format!("`{kid}`: {err}"))?;
    Ok((kid, PublicKey { algorithm, key }))
}

/// A JWKS file and the keys last read from it.
pub struct JwksFile {
    path: PathBuf,
    current: ArcSwap<KeySet>,
    digest: std::sync::Mutex<[u8; 32]>,
}

impl JwksFile {
    /// Reads and parses the file; start-up stops when it cannot.
    pub fn open(path: &Path) -> Result<JwksFile, String> {
        let bytes =
            std::fs::read(path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
        let (keys, skipped) =
            KeySet::parse(&bytes).map_err(|err| format!("{}: {err}", path.display()))?;
        report_skipped(path, &skipped);
        tracing::info!(file = %path.display(), keys = keys.len(), "JWKS loaded");
        Ok(JwksFile {
            path: path.to_owned(),
            current: ArcSwap::from_pointee(keys),
            digest: std::sync::Mutex::new(Sha256::digest(&bytes).into()),
        })
    }

    /// The keys as last loaded.
    pub fn keys(&self) -> arc_swap::Guard<Arc<KeySet>> {
        self.current.load()
    }

    /// Re-reads the file and swaps the keys in when its content changed and parses; `true` when
    /// the keys changed.
    pub async fn reload(&self) -> bool {
        let bytes = match tokio::fs::read(&self.path).await {
            Ok(bytes) => bytes,
            Err(err) => {
                tracing::warn!(file = %self.path.display(), error = %err, "cannot re-read the JWKS file; keeping the keys loaded");
                return false;
            }
        };
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        if *self.digest.lock().unwrap_or_else(|e| e.into_inner()) == digest {
            return false;
        }
        match KeySet::parse(&bytes) {
            Ok((keys, skipped)) => {
                report_skipped(&self.path, &skipped);
                tracing::info!(file = %self.path.display(), keys = keys.len(), "JWKS reloaded");
                self.current.store(Arc::new(keys));
                *self.digest.lock().unwrap_or_else(|e| e.into_inner()) = digest;
                true
            }
            Err(err) => {
                tracing::error!(file = %self.path.display(), error = %err, "the changed JWKS file is unusable; keeping the keys loaded");
                false
            }
        }
    }

    /// Checks the file every `interval` for as long as the process runs.
    pub fn watch(self: Arc<Self>, interval: Duration) {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                self.reload().await;
            }
        });
    }
}

fn report_skipped(path: &Path, skipped: &[String]) {
    for why in skipped {
        tracing::warn!(file = %path.display(), "JWKS key left out: {why}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> serde_json::Value {
        let path = format!(
            "{}/../tests/fixtures/jwt/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_slice(&std::fs::read(path).unwrap_or_default()).unwrap_or_default()
    }

    fn document(keys: Vec<serde_json::Value>) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({ "keys": keys })).unwrap_or_default()
    }

    #[test]
    fn each_key_type_gets_the_algorithm_it_fixes() {
        let bytes = document(vec![
            fixture("rsa-1.jwk.json"),
            fixture("ec-1.jwk.json"),
            fixture("ed-1.jwk.json"),
        ]);
        let (keys, skipped) = KeySet::parse(&bytes).unwrap_or_default();
        assert!(skipped.is_empty(), "{skipped:?}");
        let algorithm = |kid| keys.get(kid).map(|k| k.algorithm);
        assert_eq!(algorithm("rsa-1"), Some(Algorithm::RS256));
        assert_eq!(algorithm("ec-1"), Some(Algorithm::ES256));
        assert_eq!(algorithm("ed-1"), Some(Algorithm::EdDSA));
    }

    #[test]
    fn unusable_keys_are_left_out_with_a_reason() {
        let mut no_kid = fixture("rsa-1.jwk.json");
        no_kid["kid"] = serde_json::Value::Null;
        let mut encryption = fixture("rsa-2.jwk.json");
        encryption["use"] = "enc".into();
        let mut rs384 = fixture("rsa-2.jwk.json");
        rs384["kid"] = "rs384".into();
        rs384["alg"] = "RS384".into();
        let symmetric = serde_json::json!({"kty": "oct", "kid": "hmac", "k": "c2VjcmV0"});
        let bytes = document(vec![
            no_kid,
            encryption,
            rs384,
            symmetric,
            fixture("ed-1.jwk.json"),
        ]);
        let (keys, skipped) = KeySet::parse(&bytes).unwrap_or_default();
        assert_eq!(keys.len(), 1);
        assert_eq!(skipped.len(), 4, "{skipped:?}");
        assert!(skipped[0].contains("no `kid`"));
        assert!(skipped[1].contains("not a signature key"));
        assert!(skipped[2].contains("`rs384`"));
        assert!(skipped[3].contains("symmetric"));
    }

    #[test]
    fn a_document_without_usable_keys_or_with_a_repeated_kid_is_refused() {
        assert!(KeySet::parse(b"{}").is_err());
        assert!(KeySet::parse(b"not json").is_err());
        let empty = KeySet::parse(&document(vec![])).err().unwrap_or_default();
        assert!(empty.contains("empty"), "{empty}");
        let twice = document(vec![fixture("ed-1.jwk.json"), fixture("ed-1.jwk.json")]);
        let err = KeySet::parse(&twice).err().unwrap_or_default();
        assert!(err.contains("`ed-1` appears more than once"), "{err}");
    }
}
