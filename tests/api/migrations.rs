use policy_outreach::db;
use sea_orm::{ConnectionTrait, EntityTrait, Statement};

use crate::helpers::{TestDatabase, settings};

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0)
        .or_else(|_| row.try_get_by_index::<i32>(0).map(i64::from))
        .unwrap()
}

/// Rolls back every migration from the newest down to the one whose name ends with `name`,
/// that one included, however many came after it.
async fn migrate_down_through(db: &sea_orm::DatabaseConnection, name: &str) {
    let status = db::migration_status(db).await.unwrap();
    let at = status
        .iter()
        .position(|(n, _)| n.ends_with(name))
        .unwrap_or_else(|| panic!("no migration {name} in {status:?}"));
    let steps = u32::try_from(status.len() - at).unwrap();
    db::migrate_down(db, Some(steps)).await.unwrap();
}

#[tokio::test]
async fn every_migration_rolls_back_to_zero_and_applies_again() {
    let database = TestDatabase::create().await;
    let db = db::connect(&settings(&database.url)).await.unwrap();
    db::migrate_up(&db).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM region").await, 3348);

    db::migrate_down(&db, None).await.unwrap();
    let status = db::migration_status(&db).await.unwrap();
    assert!(status.iter().all(|(_, applied)| !applied), "{status:?}");
    assert!(
        db.query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) FROM firm"
        ))
        .await
        .is_err()
    );

    db::migrate_up(&db).await.unwrap();
    assert!(db::is_ready(&db).await);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM region").await, 3348);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM region WHERE parent_code IS NULL").await,
        31
    );
}

#[tokio::test]
async fn the_regions_hold_the_whole_hierarchy_with_chinese_names() {
    let database = TestDatabase::create().await;
    let db = db::connect(&settings(&database.url)).await.unwrap();
    db::migrate_up(&db).await.unwrap();
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT r.name, p.name, g.name FROM region r JOIN region p ON p.code = r.parent_code \
             JOIN region g ON g.code = p.parent_code WHERE r.code = '440305'",
        ))
        .await
        .unwrap()
        .unwrap();
    let names: (String, String, String) = row.try_get_many_by_index().unwrap();
    assert_eq!(names, ("南山区".into(), "深圳市".into(), "广东省".into()));
}

/// A delivery as both shapes keep it, without its id: what must survive the ledger migration
/// both ways.
type Carried = (
    uuid::Uuid,
    i32,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    i32,
    chrono::DateTime<chrono::Utc>,
    Option<serde_json::Value>,
);

/// Migration 6 folds the delivery table into the filing ledger and spreads it back: the
/// deliveries of the demo (external channels, no decision) and of filings with their decision
/// records come back the same after `down`, and again after `up`.
#[tokio::test]
async fn the_ledger_migration_carries_deliveries_over_and_back() {
    use policy_outreach::auth::Role;
    use policy_outreach::outreach::Channel;
    use policy_outreach::outreach::deliveries::{NewFiling, Shown, save};
    use policy_outreach::outreach::ledger;
    let database = TestDatabase::create().await;
    let db = db::connect(&settings(&database.url)).await.unwrap();
    db::migrate_up(&db).await.unwrap();
    let zone = chrono_tz::Tz::Asia__Shanghai;
    let seeded = policy_outreach_demo::seed(&db, zone).await.unwrap();
    // A real filing of the demo's Shenzhen exporter: its facts, and the policies they qualify for.
    let regions = policy_outreach::region::load(&db).await.unwrap();
    let rules = policy_outreach::outreach::audience::KeptRules::new(regions.clone());
    let model = policy_outreach::entity::firm::Entity::find_by_id(seeded.firm.clone())
        .one(&db)
        .await
        .unwrap()
        .unwrap();
    let firm = policy_outreach::eligibility::stored_firm_facts(&model, &regions).unwrap();
    let declaration = policy_outreach::eligibility::DeclarationFacts {
        id: Some("DEC-MIG".to_owned()),
        direction: policy_outreach::eligibility::Direction::Export.into(),
        trade_mode: None,
        country: Some(policy_outreach::eligibility::CountryCode::parse("US").unwrap()),
        port: None,
        hs_codes: Vec::new(),
        value_usd: Some(120_000.0),
    };
    let live = policy_outreach::policy::live::LiveCatalog::load(&db, &regions)
        .await
        .unwrap();
    let snapshot = live.snapshot();
    let evaluated = policy_outreach::eligibility::Facts {
        firm: &firm,
        declaration: Some(&declaration),
    };
    let today = chrono::Utc::now().date_naive();
    let presented: Vec<Shown> = snapshot
        .matching(evaluated, today)
        .take(3)
        .map(|p| Shown {
            policy_id: p.view.policy.id,
            version: p.view.version.version,
            matched: Some(p.rule.matched_conditions(evaluated) as i32),
        })
        .collect();
    assert!(
        !presented.is_empty(),
        "the demo exporter qualifies for some"
    );
    let policies = presented.len();
    let facts = serde_json::json!({"firm": firm, "declaration": declaration});
    let filing = NewFiling {
        firm_uscc: seeded.firm.clone(),
        channel: Channel::Broker,
        declaration_id: "DEC-MIG".to_owned(),
        actor_role: Role::Broker,
        actor_subject: Some("broker:mig".to_owned()),
        broker_uscc: Some(seeded.broker.clone()),
        note: None,
        decided: Some((today, facts)),
        presented,
    };
    let at = chrono::Utc::now();
    save(&db, std::slice::from_ref(&filing), at, zone, &rules)
        .await
        .unwrap();
    save(
        &db,
        &[filing],
        at + chrono::Duration::seconds(1),
        zone,
        &rules,
    )
    .await
    .unwrap();
    let carried = |d: &ledger::StoredDelivery| -> Carried {
        (
            d.policy_id,
            d.policy_version,
            d.firm_uscc.clone(),
            d.channel.as_str().to_owned(),
            d.declaration_id.clone(),
            d.broker_uscc.clone(),
            d.note.clone(),
            d.impressions,
            d.delivered_at,
            d.decision.clone(),
        )
    };
    let mut before: Vec<Carried> = crate::helpers::stored_deliveries(&db)
        .await
        .iter()
        .map(carried)
        .collect();
    before.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert!(before.len() > 300);
    assert_eq!(before.iter().filter(|d| d.9.is_some()).count(), policies);
    assert!(
        before
            .iter()
            .filter_map(|d| d.9.as_ref())
            .all(|decision| decision["outcome"] == "TRUE"),
        "each presentation's version evaluates TRUE on the filed facts"
    );
    assert!(
        before.iter().any(|d| d.7 == 2),
        "the repeat counted an impression"
    );

    // Back before migration 6 (those on top of it first).
    migrate_down_through(&db, "000006_filing_ledger").await;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT policy_id, policy_version, firm_uscc, channel, declaration_id, broker_uscc, \
             note, impressions, delivered_at, decision FROM delivery",
        ))
        .await
        .unwrap();
    let mut spread: Vec<Carried> = rows
        .iter()
        .map(|r| {
            (
                r.try_get("", "policy_id").unwrap(),
                r.try_get("", "policy_version").unwrap(),
                r.try_get("", "firm_uscc").unwrap(),
                r.try_get("", "channel").unwrap(),
                r.try_get("", "declaration_id").unwrap(),
                r.try_get("", "broker_uscc").unwrap(),
                r.try_get("", "note").unwrap(),
                r.try_get("", "impressions").unwrap(),
                r.try_get("", "delivered_at").unwrap(),
                r.try_get("", "decision").unwrap(),
            )
        })
        .collect();
    spread.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(
        spread, before,
        "down spreads every delivery back, decisions included"
    );
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM policy_firm_funnel f WHERE deliveries <> \
             (SELECT COUNT(*) FROM delivery d WHERE d.policy_id = f.policy_id \
              AND d.firm_uscc = f.firm_uscc)"
        )
        .await,
        0,
        "each funnel row counts its deliveries again"
    );

    db::migrate_up(&db).await.unwrap();
    let mut after: Vec<Carried> = crate::helpers::stored_deliveries(&db)
        .await
        .iter()
        .map(carried)
        .collect();
    after.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(after, before, "up folds them into the ledger again");
    assert!(
        count(&db, "SELECT COUNT(*) FROM filing").await < before.len() as i64,
        "the filing's presentations share one ledger row"
    );
}

/// The funnel's indexes, by name, with their definitions (PostgreSQL).
async fn funnel_indexes(db: &sea_orm::DatabaseConnection) -> Vec<(String, String)> {
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'policy_firm_funnel' \
             ORDER BY indexname",
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get("", "indexname").unwrap(),
                r.try_get("", "indexdef").unwrap(),
            )
        })
        .collect()
}

/// Whether the database holds an index of that name.
async fn has_index(db: &sea_orm::DatabaseConnection, name: &str) -> bool {
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => {
            format!("SELECT COUNT(*) FROM pg_indexes WHERE indexname = '{name}'")
        }
        _ => format!("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = '{name}'"),
    };
    count(db, &sql).await == 1
}

/// The firm table's storage options (PostgreSQL), as text.
/// A table's storage options (PostgreSQL).
async fn table_options(db: &sea_orm::DatabaseConnection, table: &str) -> Option<String> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT reloptions::text AS options FROM pg_class WHERE relname = '{table}'"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "options").unwrap()
}

/// Migration 7 drops the index on a firm's filing time, and on PostgreSQL folds the funnel's
/// covering index into its primary key, leaves room on firm pages for in-place updates and drops
/// the derived reach tables' foreign keys; its `down` brings back both indexes, the default fill
/// and the keys. The reach figures read the same on both shapes (the reach tests run on the new one).
#[tokio::test]
async fn the_funnel_key_covers_the_reach_columns_and_back() {
    let database = TestDatabase::create().await;
    let db = db::connect(&settings(&database.url)).await.unwrap();
    db::migrate_up(&db).await.unwrap();
    assert!(!has_index(&db, "ix_firm_last_filed_at").await);
    if db.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
        migrate_down_through(&db, "000007_lean_reach_storage").await;
        assert!(has_index(&db, "ix_firm_last_filed_at").await);
        db::migrate_up(&db).await.unwrap();
        assert!(!has_index(&db, "ix_firm_last_filed_at").await);
        return;
    }
    let indexes = funnel_indexes(&db).await;
    let names: Vec<&str> = indexes.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["ix_policy_firm_funnel_firm_uscc", "policy_firm_funnel_pkey"]
    );
    let key = &indexes[1].1;
    assert!(
        key.contains("(policy_id, firm_uscc) INCLUDE (prefecture_code, first_delivered_at"),
        "{key}"
    );

    assert_eq!(
        table_options(&db, "firm").await.as_deref(),
        Some("{fillfactor=90}")
    );
    let derived_keys = "SELECT COUNT(*) FROM pg_constraint WHERE contype = 'f' \
         AND conrelid IN ('policy_firm_funnel'::regclass, 'policy_daily_reach'::regclass)";
    assert_eq!(count(&db, derived_keys).await, 0);

    migrate_down_through(&db, "000007_lean_reach_storage").await;
    assert_eq!(table_options(&db, "firm").await, None);
    assert!(has_index(&db, "ix_firm_last_filed_at").await);
    assert_eq!(count(&db, derived_keys).await, 3);
    let indexes = funnel_indexes(&db).await;
    let names: Vec<&str> = indexes.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "ix_policy_firm_funnel_firm_uscc",
            "ix_policy_firm_funnel_policy_id",
            "policy_firm_funnel_pkey"
        ]
    );
    assert!(!indexes[2].1.contains("INCLUDE"), "{}", indexes[2].1);
    db::migrate_up(&db).await.unwrap();
    assert_eq!(funnel_indexes(&db).await.len(), 2);
}

/// Migration 8 adds the comment terms and the extraction mark; `down` takes both away, and the
/// acknowledgements stay.
#[tokio::test]
async fn the_need_terms_come_and_go_with_their_migration() {
    let database = TestDatabase::create().await;
    let db = db::connect(&settings(&database.url)).await.unwrap();
    db::migrate_up(&db).await.unwrap();
    assert_eq!(count(&db, "SELECT COUNT(*) FROM need_term").await, 0);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM acknowledgement WHERE terms_version IS NOT NULL"
        )
        .await,
        0
    );
    migrate_down_through(&db, "000008_need_terms").await;
    for gone in [
        "SELECT COUNT(*) FROM need_term",
        "SELECT COUNT(terms_version) FROM acknowledgement",
    ] {
        let read = db
            .query_one_raw(Statement::from_string(db.get_database_backend(), gone))
            .await;
        assert!(read.is_err(), "{gone} still reads");
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM acknowledgement").await, 0);
    db::migrate_up(&db).await.unwrap();
    assert!(db::is_ready(&db).await);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM need_term").await, 0);
}

#[tokio::test]
async fn the_kept_audiences_come_and_go_with_their_migration() {
    let database = TestDatabase::create().await;
    let db = db::connect(&settings(&database.url)).await.unwrap();
    db::migrate_up(&db).await.unwrap();
    let kept = "SELECT COUNT(*) FROM policy_audience";
    assert_eq!(count(&db, kept).await, 0);
    migrate_down_through(&db, "000009_policy_audience").await;
    let read = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), kept))
        .await;
    assert!(read.is_err(), "policy_audience still reads");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM need_term").await, 0);
    db::migrate_up(&db).await.unwrap();
    assert!(db::is_ready(&db).await);
    assert_eq!(count(&db, kept).await, 0);
}

/// Migration 13 gives each writer its own day rows: `up` carries each day over as one row,
/// `down` adds each day's rows up into one, and the series' totals hold throughout.
#[tokio::test]
async fn the_day_rows_per_writer_carry_over_and_fold_back() {
    use sea_orm::ConnectionTrait;
    let database = TestDatabase::create().await;
    let db = db::connect(&settings(&database.url)).await.unwrap();
    db::migrate_up(&db).await.unwrap();
    policy_outreach_demo::seed(&db, chrono_tz::Tz::Asia__Shanghai)
        .await
        .unwrap();
    let rows = "SELECT COUNT(*) FROM policy_daily_reach";
    let days = "SELECT COUNT(*) FROM (SELECT DISTINCT policy_id, day FROM policy_daily_reach) d";
    let total = "SELECT SUM(deliveries) + SUM(newly_reached) + SUM(acknowledgements) \
                 FROM policy_daily_reach";
    let first = "SELECT deliveries FROM policy_daily_reach ORDER BY policy_id, day LIMIT 1";
    let (day_count, sum) = (count(&db, days).await, count(&db, total).await);
    assert!(day_count > 0, "the demo has a daily series");
    assert_eq!(count(&db, rows).await, day_count, "one writer so far");
    let delivered = count(&db, first).await;
    // Another writer's row for the first day.
    db.execute_unprepared(
        "INSERT INTO policy_daily_reach \
         (policy_id, day, shard, deliveries, newly_reached, acknowledgements) \
         SELECT policy_id, day, 9, 5, 0, 2 FROM policy_daily_reach ORDER BY policy_id, day LIMIT 1",
    )
    .await
    .unwrap();
    assert_eq!(count(&db, rows).await, day_count + 1);

    migrate_down_through(&db, "000013_daily_rows_per_writer").await;
    assert_eq!(count(&db, rows).await, day_count, "a row per day again");
    assert_eq!(count(&db, total).await, sum + 7);
    assert_eq!(count(&db, first).await, delivered + 5);
    assert!(
        db.execute_unprepared("SELECT shard FROM policy_daily_reach")
            .await
            .is_err(),
        "the shard column still reads"
    );

    db::migrate_up(&db).await.unwrap();
    assert_eq!(count(&db, rows).await, day_count);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM policy_daily_reach WHERE shard = 0"
        )
        .await,
        day_count,
        "carried over as one writer's rows"
    );
    assert_eq!(count(&db, total).await, sum + 7);
    assert!(db::is_ready(&db).await);
}

/// Migration 14 has autovacuum pass over the funnel table after a hundredth of its rows changed
/// (PostgreSQL); its `down` restores the defaults. SQLite has no such settings: both ways apply.
#[tokio::test]
async fn the_funnel_table_is_vacuumed_sooner_and_back() {
    let database = TestDatabase::create().await;
    let db = db::connect(&settings(&database.url)).await.unwrap();
    db::migrate_up(&db).await.unwrap();
    let postgres = db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    if postgres {
        assert_eq!(
            table_options(&db, "policy_firm_funnel").await.as_deref(),
            Some(
                "{autovacuum_vacuum_scale_factor=0.01,autovacuum_vacuum_insert_scale_factor=0.01}"
            )
        );
    }
    migrate_down_through(&db, "000014_funnel_vacuumed_sooner").await;
    if postgres {
        assert_eq!(table_options(&db, "policy_firm_funnel").await, None);
    }
    db::migrate_up(&db).await.unwrap();
    assert!(db::is_ready(&db).await);
}

/// Whether the PostgreSQL server was built with LZ4.
pub async fn server_has_lz4(db: &sea_orm::DatabaseConnection) -> bool {
    count(
        db,
        "SELECT COUNT(*) FROM pg_settings WHERE name = 'default_toast_compression' \
         AND 'lz4' = ANY(enumvals)",
    )
    .await
        == 1
}

/// How the ledger's JSON columns are compressed: `l` (LZ4), `p` (pglz) or `` (the default).
async fn ledger_compression(db: &sea_orm::DatabaseConnection) -> Vec<(String, String)> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT attname::text AS name, attcompression::text AS method FROM pg_attribute \
         WHERE attrelid = 'filing'::regclass AND attname IN ('facts', 'presented') ORDER BY attname",
    ))
    .await
    .unwrap()
    .iter()
    .map(|row| {
        (
            row.try_get("", "name").unwrap(),
            row.try_get("", "method").unwrap(),
        )
    })
    .collect()
}

/// Migration 15 compresses the ledger's JSON with LZ4 on PostgreSQL (where the server has it);
/// `down` returns both columns to the server's default.
#[tokio::test]
async fn the_ledger_is_compressed_with_lz4_and_back() {
    let database = TestDatabase::create().await;
    let db = db::connect(&settings(&database.url)).await.unwrap();
    db::migrate_up(&db).await.unwrap();
    let postgres = db.get_database_backend() == sea_orm::DatabaseBackend::Postgres;
    let method = |m: &str| {
        vec![
            ("facts".to_owned(), m.to_owned()),
            ("presented".to_owned(), m.to_owned()),
        ]
    };
    if postgres {
        let up = if server_has_lz4(&db).await { "l" } else { "" };
        assert_eq!(ledger_compression(&db).await, method(up));
    }
    migrate_down_through(&db, "000015_ledger_lz4").await;
    if postgres {
        assert_eq!(ledger_compression(&db).await, method(""));
    }
    db::migrate_up(&db).await.unwrap();
    assert!(db::is_ready(&db).await);
}
