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

#[test]
fn allowed_origins_come_from_one_variable_and_a_bad_one_is_named() {
    let origins = with_env(
        &[(
            "POLICY_OUTREACH_CORS_ALLOWED_ORIGINS",
            "https://sw.example.cn, http://127.0.0.1:8081",
        )],
        || Settings::load(None).map(|s| s.cors_allowed_origins),
    )
    .unwrap();
    assert_eq!(
        origins.iter().collect::<Vec<_>>(),
        ["https://sw.example.cn", "http://127.0.0.1:8081"]
    );
    assert!(Settings::defaults().cors_allowed_origins.is_empty());

    let err = with_env(
        &[(
            "POLICY_OUTREACH_CORS_ALLOWED_ORIGINS",
            "https://sw.example.cn/",
        )],
        || Settings::load(None).err().map(|e| e.to_string()),
    )
    .unwrap();
    assert!(err.contains("CORS_ALLOWED_ORIGINS"), "{err}");
    assert!(err.contains("https://sw.example.cn/"), "{err}");
}
