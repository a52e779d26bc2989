use std::path::PathBuf;

use jsonwebtoken::{EncodingKey, Header, encode};

use super::*;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/jwt")
        .join(name)
}

fn settings(jwks_file: PathBuf) -> JwtSettings {
    JwtSettings {
        secret: Some("a-unit-test-secret-of-32-bytes-or-more".to_owned().into()),
        jwks_file: Some(jwks_file),
        jwks_poll: std::time::Duration::from_secs(1),
        issuer: "issuer".to_owned(),
        audience: "audience".to_owned(),
        leeway_seconds: 0,
    }
}

/// Signs and verifies one token per accepted algorithm. jsonwebtoken 10 needs exactly one
/// crypto backend feature: without it every one of these fails, with two the build does.
#[test]
fn the_crypto_backend_signs_and_verifies_every_accepted_algorithm() {
    let dir = std::env::temp_dir().join(format!("po-jwks-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_default();
    let keys: Vec<serde_json::Value> = ["rsa-1", "ec-1", "ed-1"]
        .iter()
        .map(|kid| {
            let bytes = std::fs::read(fixture(&format!("{kid}.jwk.json"))).unwrap_or_default();
            serde_json::from_slice(&bytes).unwrap_or_default()
        })
        .collect();
    let file = dir.join("jwks.json");
    std::fs::write(&file, serde_json::json!({ "keys": keys }).to_string()).unwrap_or_default();
    let settings = settings(file);
    let verifier = TokenVerifier::new(&settings).unwrap_or_else(|e| panic!("{e}"));

    let claims = serde_json::json!({
        "sub": "backend-check", "role": "system", "iss": "issuer", "aud": "audience",
        "exp": chrono::Utc::now().timestamp() + 60,
    });
    let pem = |name: &str| std::fs::read(fixture(name)).unwrap_or_default();
    let signers: [(Option<&str>, Algorithm, EncodingKey); 4] = [
        (
            None,
            Algorithm::HS256,
            EncodingKey::from_secret(b"a-unit-test-secret-of-32-bytes-or-more"),
        ),
        (
            Some("rsa-1"),
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(&pem("rsa-1.pem")).unwrap_or_else(|e| panic!("{e}")),
        ),
        (
            Some("ec-1"),
            Algorithm::ES256,
            EncodingKey::from_ec_pem(&pem("ec-1.pem")).unwrap_or_else(|e| panic!("{e}")),
        ),
        (
            Some("ed-1"),
            Algorithm::EdDSA,
            EncodingKey::from_ed_pem(&pem("ed-1.pem")).unwrap_or_else(|e| panic!("{e}")),
        ),
    ];
    for (kid, algorithm, key) in signers {
        let mut header = Header::new(algorithm);
        header.kid = kid.map(str::to_owned);
        let token = encode(&header, &claims, &key).unwrap_or_else(|e| panic!("{e}"));
        let viewer = verifier.verify(&token);
        assert_eq!(
            viewer.ok(),
            Some(Viewer::System {
                subject: "backend-check".to_owned()
            }),
            "{algorithm:?}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap_or_default();
}
