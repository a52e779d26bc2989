use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};

use crate::helpers::{AUDIENCE, ISSUER, SECRET, TestApp, error_code, firm, uscc};

const ME: &str = "{ me { role subject } }";

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims(overrides: Value) -> Value {
    let mut base = json!({
        "sub": "official-1",
        "role": "system",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now(),
        "exp": now() + 600,
    });
    for (k, v) in overrides.as_object().unwrap() {
        if v.is_null() {
            base.as_object_mut().unwrap().remove(k);
        } else {
            base[k] = v.clone();
        }
    }
    base
}

fn sign(alg: Algorithm, secret: &[u8], claims: &Value) -> String {
    encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/jwt")
        .join(name)
}

/// A JWKS document holding the public halves of the fixture keys `kids`.
fn jwks(kids: &[&str]) -> String {
    let keys: Vec<Value> = kids
        .iter()
        .map(|kid| {
            serde_json::from_slice(&std::fs::read(fixture(&format!("{kid}.jwk.json"))).unwrap())
                .unwrap()
        })
        .collect();
    json!({ "keys": keys }).to_string()
}

/// The algorithm and private key of fixture key `kid`.
fn private_key(kid: &str) -> (Algorithm, EncodingKey) {
    let pem = std::fs::read(fixture(&format!("{kid}.pem"))).unwrap();
    match kid.split('-').next() {
        Some("rsa") => (Algorithm::RS256, EncodingKey::from_rsa_pem(&pem).unwrap()),
        Some("ec") => (Algorithm::ES256, EncodingKey::from_ec_pem(&pem).unwrap()),
        _ => (Algorithm::EdDSA, EncodingKey::from_ed_pem(&pem).unwrap()),
    }
}

/// A token signed by fixture key `kid`, naming it in the header.
fn sign_with_key(kid: &str, claims: &Value) -> String {
    let (alg, key) = private_key(kid);
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    encode(&header, claims, &key).unwrap()
}

/// A token assembled by hand: any header, any payload, a signature from `sign` over both.
fn forge(header: &Value, payload: &Value, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> String {
    let head = URL_SAFE_NO_PAD.encode(header.to_string());
    let body = URL_SAFE_NO_PAD.encode(payload.to_string());
    let signature = sign(format!("{head}.{body}").as_bytes());
    format!("{head}.{body}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    // The attack signs with whatever bytes the attacker holds; jsonwebtoken's own HS256 does it.
    let token_key = EncodingKey::from_secret(key);
    let signed = jsonwebtoken::crypto::sign(message, &token_key, Algorithm::HS256).unwrap();
    URL_SAFE_NO_PAD.decode(signed).unwrap()
}

/// The token with one bit of its signature flipped.
fn flip_signature_bit(token: &str) -> String {
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).unwrap();
    bytes[0] ^= 0x01;
    format!("{signed}.{}", URL_SAFE_NO_PAD.encode(bytes))
}

/// The token with its payload replaced and its signature kept.
fn swap_payload(token: &str, payload: &Value) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(payload.to_string());
    parts.join(".")
}

/// An instance that verifies HS256 with the shared secret and the fixture keys from a JWKS file.
async fn spawn_with_jwks(dir: &Path, kids: &[&str]) -> TestApp {
    let file = dir.join("jwks.json");
    std::fs::write(&file, jwks(kids)).unwrap();
    TestApp::spawn_with(|settings| {
        settings.jwt_jwks_file = Some(file);
        settings.jwt_jwks_poll_ms = 50;
    })
    .await
}

async fn me_with(app: &TestApp, token: &str) -> Value {
    app.gql(Some(token), ME, json!({})).await
}

/// Whether the token was refused as the contract says: 401, `UNAUTHENTICATED`, nothing run.
async fn refused(app: &TestApp, token: &str, why: &str) -> bool {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", format!("Bearer {token}"))
        .json(&json!({"query": ME}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_default();
    let ok = status == 401
        && error_code(&body) == "UNAUTHENTICATED"
        && body.get("data").is_none_or(Value::is_null);
    if !ok {
        eprintln!("PASSED (should have been refused): {why}: {status} {body}");
    }
    ok
}

async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    assert!(refused(app, token, why).await, "{why}");
}

#[tokio::test]
async fn a_valid_token_becomes_the_viewer_and_no_token_is_anonymous() {
    let app = TestApp::spawn().await;
    let token = sign(Algorithm::HS256, SECRET.as_bytes(), &claims(json!({})));
    let data = me_with(&app, &token).await;
    assert_eq!(
        data["data"]["me"],
        json!({"role": "SYSTEM", "subject": "official-1"})
    );

    let data = app.ok(None, ME, json!({})).await;
    assert_eq!(data["me"], json!({"role": "ANONYMOUS", "subject": null}));
}

#[tokio::test]
async fn tokens_from_every_jwks_key_type_are_accepted_beside_hs256() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_with_jwks(dir.path(), &["rsa-1", "ec-1", "ed-1"]).await;
    for kid in ["rsa-1", "ec-1", "ed-1"] {
        let token = sign_with_key(kid, &claims(json!({"sub": kid})));
        let data = me_with(&app, &token).await;
        assert_eq!(
            data["data"]["me"],
            json!({"role": "SYSTEM", "subject": kid}),
            "{kid}: {data}"
        );
    }
    let hs256 = sign(Algorithm::HS256, SECRET.as_bytes(), &claims(json!({})));
    assert_eq!(me_with(&app, &hs256).await["data"]["me"]["role"], "SYSTEM");
}

#[tokio::test]
async fn no_forged_malformed_or_misaddressed_token_passes() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_with_jwks(dir.path(), &["rsa-1", "ec-1", "ed-1"]).await;
    let good = claims(json!({}));
    let rsa_public_pem = std::fs::read(fixture("rsa-1.pub.pem")).unwrap();
    let rsa_token = sign_with_key("rsa-1", &good);
    let hs_token = sign(Algorithm::HS256, SECRET.as_bytes(), &good);
    let attacker_jwk: Value =
        serde_json::from_slice(&std::fs::read(fixture("rsa-2.jwk.json")).unwrap()).unwrap();
    let rs256_by = |signer: &str, header: Value| {
        let key = private_key(signer).1;
        forge(&header, &good, |m| {
            let signature = jsonwebtoken::crypto::sign(m, &key, Algorithm::RS256).unwrap();
            URL_SAFE_NO_PAD.decode(signature).unwrap()
        })
    };
    let signed_by_attacker = |header: Value| rs256_by("rsa-2", header);
    let unsigned = |alg: &str| forge(&json!({"alg": alg, "typ": "JWT"}), &good, |_| Vec::new());

    let mut bad: Vec<(String, String)> = Vec::new();
    let mut add = |why: &str, token: String| bad.push((why.to_owned(), token));
    for alg in ["none", "None", "NONE", "nOnE"] {
        add(&format!("alg {alg}, no signature"), unsigned(alg));
    }
    add(
        "alg none naming a real kid",
        forge(&json!({"alg": "none", "kid": "rsa-1"}), &good, |_| {
            Vec::new()
        }),
    );
    add(
        "HS256 signed with the RSA public key, naming its kid",
        forge(&json!({"alg": "HS256", "kid": "rsa-1"}), &good, |m| {
            hmac_sha256(&rsa_public_pem, m)
        }),
    );
    add(
        "HS256 signed with the RSA public key, no kid",
        forge(&json!({"alg": "HS256"}), &good, |m| {
            hmac_sha256(&rsa_public_pem, m)
        }),
    );
    add(
        "RS256 with a flipped signature bit",
        flip_signature_bit(&rsa_token),
    );
    add(
        "HS256 with a flipped signature bit",
        flip_signature_bit(&hs_token),
    );
    let escalated = claims(json!({"role": "admin", "sub": "intruder"}));
    add(
        "RS256 with a tampered payload",
        swap_payload(&rsa_token, &escalated),
    );
    add(
        "HS256 with a tampered payload",
        swap_payload(&hs_token, &escalated),
    );
    add(
        "expired beyond the leeway",
        sign_with_key("ed-1", &claims(json!({"exp": now() - 120}))),
    );
    add(
        "nbf in the future",
        sign_with_key("ec-1", &claims(json!({"nbf": now() + 600}))),
    );
    let far = (now() + 600).to_string();
    add(
        "exp as a string",
        sign_with_key("rsa-1", &claims(json!({"exp": far}))),
    );
    add(
        "nbf as a string",
        sign_with_key("rsa-1", &claims(json!({"nbf": now().to_string()}))),
    );
    for claim in ["iss", "aud", "exp", "sub", "role"] {
        add(
            &format!("missing {claim}"),
            sign_with_key("rsa-1", &claims(json!({claim: null}))),
        );
    }
    add(
        "wrong iss",
        sign_with_key("rsa-1", &claims(json!({"iss": "https://evil.test"}))),
    );
    add(
        "wrong aud",
        sign_with_key("ec-1", &claims(json!({"aud": "another-service"}))),
    );
    for kid in [
        "unknown-key",
        "../../../../etc/passwd",
        "/dev/null",
        "' OR '1'='1",
        "rsa-1'; DROP TABLE firm; --",
    ] {
        let (alg, key) = private_key("rsa-2");
        let mut header = Header::new(alg);
        header.kid = Some(kid.to_owned());
        add(
            &format!("kid {kid:?}"),
            encode(&header, &good, &key).unwrap(),
        );
    }
    add(
        "embedded jwk of the attacker's key",
        signed_by_attacker(json!({"alg": "RS256", "kid": "rsa-1", "jwk": attacker_jwk})),
    );
    add(
        "jku pointing at the attacker's keys",
        signed_by_attacker(
            json!({"alg": "RS256", "kid": "rsa-1", "jku": "https://evil.test/jwks.json"}),
        ),
    );
    add(
        "x5u pointing at the attacker's certificate",
        signed_by_attacker(
            json!({"alg": "RS256", "kid": "rsa-1", "x5u": "https://evil.test/cert.pem"}),
        ),
    );
    add(
        "RS256 token naming the ES256 key",
        rs256_by("rsa-1", json!({"alg": "RS256", "kid": "ec-1"})),
    );
    add(
        "HS384 with the shared secret",
        sign(Algorithm::HS384, SECRET.as_bytes(), &good),
    );
    let parts: Vec<&str> = rsa_token.split('.').collect();
    add("two parts", format!("{}.{}", parts[0], parts[1]));
    add("four parts", format!("{rsa_token}.{}", parts[2]));
    add("one part", parts[1].to_owned());
    add(
        "five parts, as an encrypted token",
        format!("{rsa_token}.{}.{}", parts[1], parts[2]),
    );
    add(
        "a critical header extension, signed by the trusted key",
        rs256_by(
            "rsa-1",
            json!({"alg": "RS256", "kid": "rsa-1", "crit": ["exp"]}),
        ),
    );
    add("not base64", "@@@.###.$$$".to_owned());
    add(
        "an oversized token, validly signed",
        sign_with_key("rsa-1", &claims(json!({"padding": "x".repeat(9 * 1024)}))),
    );
    add(
        "a firm token without uscc",
        sign_with_key("rsa-1", &claims(json!({"role": "firm"}))),
    );

    let tried = bad.len();
    let mut passed = 0;
    for (why, token) in &bad {
        if !refused(&app, token, why).await {
            passed += 1;
        }
    }
    eprintln!("bad tokens tried: {tried}; passed: {passed}");
    assert!(tried >= 40, "the catalogue shrank to {tried}");
    assert_eq!(passed, 0, "{passed} of {tried} bad tokens passed");
    // The same keys still admit a good token: the refusals were not a broken verifier.
    assert_eq!(
        me_with(&app, &rsa_token).await["data"]["me"]["role"],
        "SYSTEM"
    );
}

#[tokio::test]
async fn keys_rotate_when_the_jwks_file_changes_and_a_broken_file_keeps_the_old_ones() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_with_jwks(dir.path(), &["rsa-1"]).await;
    let file = dir.path().join("jwks.json");
    let old = sign_with_key("rsa-1", &claims(json!({})));
    let new = sign_with_key("rsa-2", &claims(json!({})));
    assert_refused(&app, &new, "rsa-2 before it is published").await;

    // Publish the new key beside the old one (written whole, then renamed into place).
    let replace = |content: String| {
        let staged = dir.path().join("jwks.json.new");
        std::fs::write(&staged, content).unwrap();
        std::fs::rename(&staged, &file).unwrap();
    };
    replace(jwks(&["rsa-1", "rsa-2"]));
    eventually(&app, &new, "SYSTEM").await;
    assert_eq!(me_with(&app, &old).await["data"]["me"]["role"], "SYSTEM");

    // Retire the old key.
    replace(jwks(&["rsa-2"]));
    eventually_refused(&app, &old).await;

    // A broken file is reported and ignored: the keys in use stay.
    replace("{ this is not json".to_owned());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(me_with(&app, &new).await["data"]["me"]["role"], "SYSTEM");
    assert_refused(&app, &old, "rsa-1 stays retired").await;
}

/// Waits (up to 10 s) until the token is accepted for `role`.
async fn eventually(app: &TestApp, token: &str, role: &str) {
    for _ in 0..200 {
        if me_with(app, token).await["data"]["me"]["role"] == role {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the token was never accepted");
}

/// Waits (up to 10 s) until the token is refused.
async fn eventually_refused(app: &TestApp, token: &str) {
    for _ in 0..200 {
        if error_code(&me_with(app, token).await) == "UNAUTHENTICATED" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the token was never refused");
}

#[tokio::test]
async fn a_jwks_only_instance_refuses_hs256_and_an_unusable_file_stops_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, jwks(&["ed-1"])).unwrap();
    let app = TestApp::spawn_with(|settings| {
        settings.jwt_jwks_file = Some(file.clone());
        settings.jwt_hs256_secret = None;
    })
    .await;
    let ed = sign_with_key("ed-1", &claims(json!({})));
    assert_eq!(me_with(&app, &ed).await["data"]["me"]["role"], "SYSTEM");
    let hs = sign(Algorithm::HS256, SECRET.as_bytes(), &claims(json!({})));
    assert_refused(&app, &hs, "HS256 without a configured secret").await;

    for (content, expected) in [
        (None, "cannot read"),
        (Some("[]".to_owned()), "not a JWKS document"),
        (Some(json!({"keys": []}).to_string()), "no usable"),
    ] {
        let broken = dir.path().join("broken.json");
        let _ = std::fs::remove_file(&broken);
        if let Some(content) = content {
            std::fs::write(&broken, content).unwrap();
        }
        let mut settings = app.settings.clone();
        settings.jwt_jwks_file = Some(broken);
        let err = policy_outreach::Application::build(settings)
            .await
            .err()
            .map(|e| format!("{e:#}"))
            .unwrap_or_default();
        assert!(err.contains("POLICY_OUTREACH_JWT_JWKS_FILE"), "{err}");
        assert!(err.contains(expected), "{expected}: {err}");
    }
}

#[tokio::test]
async fn a_firm_token_needs_a_valid_uscc_claim_and_a_role_we_know() {
    let app = TestApp::spawn().await;
    for (overrides, why) in [
        (json!({"role": "firm"}), "firm without uscc"),
        (
            json!({"role": "firm", "uscc": "91440300708461136X"}),
            "uscc with a bad check character",
        ),
        (
            json!({"role": "department"}),
            "department without department",
        ),
        (json!({"role": "superuser"}), "unknown role"),
        (
            json!({"role": "anonymous"}),
            "anonymous is not a token role",
        ),
    ] {
        let token = sign(Algorithm::HS256, SECRET.as_bytes(), &claims(overrides));
        assert_refused(&app, &token, why).await;
    }
}

#[tokio::test]
async fn refusals_say_what_is_wrong_without_echoing_the_token() {
    let app = TestApp::spawn().await;
    let marker = "<script>alert(1)</script>";
    for (token, expected) in [
        (
            sign(
                Algorithm::HS256,
                SECRET.as_bytes(),
                &claims(json!({"exp": now() - 120, "sub": marker})),
            ),
            "expired",
        ),
        (
            sign(
                Algorithm::HS256,
                SECRET.as_bytes(),
                &claims(json!({"aud": marker})),
            ),
            "audience",
        ),
        (
            forge(&json!({"alg": marker}), &claims(json!({})), |_| Vec::new()),
            "algorithm not accepted",
        ),
    ] {
        let body = me_with(&app, &token).await;
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(expected), "{expected}: {message}");
        assert!(!body.to_string().contains("script"), "{body}");
    }
}

#[tokio::test]
async fn a_malformed_authorization_header_is_refused_not_ignored() {
    let app = TestApp::spawn().await;
    for value in ["Basic dXNlcjpwYXNz", "Bearer ", "Bearer"] {
        let response = app
            .client
            .post(app.url("/graphql"))
            .header("authorization", value)
            .json(&json!({"query": ME}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{value:?}");
    }
}

#[tokio::test]
async fn the_minted_firm_token_speaks_for_its_firm() {
    let app = TestApp::spawn().await;
    let code = uscc("440305", 1);
    let token = firm(&code);
    let data = app
        .ok(Some(&token), "{ me { role firm { uscc } } }", json!({}))
        .await;
    // Not synced yet: the role is known, the profile is not.
    assert_eq!(data["me"], json!({"role": "FIRM", "firm": null}));
}
