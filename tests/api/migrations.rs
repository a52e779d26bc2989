use policy_outreach::db;
use sea_orm::{ConnectionTrait, Statement};

use crate::helpers::{TestDatabase, settings};

async fn count(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
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
