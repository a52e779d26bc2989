//! The synthetic data set writes its deliveries, acknowledgements, funnel rows and daily series in
//! bulk, computing the last two itself. The benchmark's figures stand on those rows, so they must
//! be exactly what the service writes when the same deliveries and acknowledgements go through
//! its own writers, one by one, in the order they happened.

use chrono_tz::Tz;
use policy_outreach::db;
use policy_outreach::entity::{
    acknowledgement, filing, policy_daily_reach as daily, policy_firm_funnel as funnel,
};
use policy_outreach::outreach::deliveries::{self, NewFiling, Shown};
use policy_outreach::outreach::{answered_by_firm, answers};
use policy_outreach_demo::seed_departments;
use policy_outreach_demo::synthetic::{self, Size, Written};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, QueryOrder};

use crate::helpers::{TestDatabase, settings};

const ZONE: Tz = Tz::Asia__Shanghai;

async fn seeded(size: Size) -> (TestDatabase, DatabaseConnection, Written) {
    let database = TestDatabase::create().await;
    let conn = db::connect(&settings(&database.url)).await.unwrap();
    db::migrate_up(&conn).await.unwrap();
    let regions = policy_outreach::region::load(&conn).await.unwrap();
    let departments = seed_departments(&conn, &regions).await.unwrap();
    let written = synthetic::seed(&conn, &regions, &departments, size)
        .await
        .unwrap();
    (database, conn, written)
}

async fn funnel_rows(db: &DatabaseConnection) -> Vec<funnel::Model> {
    funnel::Entity::find()
        .order_by_asc(funnel::Column::PolicyId)
        .order_by_asc(funnel::Column::FirmUscc)
        .all(db)
        .await
        .unwrap()
}

async fn daily_rows(db: &DatabaseConnection) -> Vec<daily::Model> {
    daily::Entity::find()
        .order_by_asc(daily::Column::PolicyId)
        .order_by_asc(daily::Column::Day)
        .all(db)
        .await
        .unwrap()
}

enum Event {
    Delivered(filing::Model),
    Answered(acknowledgement::Model),
}

/// Replays the deliveries and acknowledgements of `from` into `into` through the service's own
/// writers, in the order they happened, each at its own time.
async fn replay(from: &DatabaseConnection, into: &DatabaseConnection) {
    let regions = policy_outreach::region::load(into).await.unwrap();
    let rules = policy_outreach::outreach::audience::KeptRules::new(regions);
    let delivered = filing::Entity::find()
        .order_by_asc(filing::Column::FiledAt)
        .order_by_asc(filing::Column::Id)
        .all(from)
        .await
        .unwrap();
    let answered = acknowledgement::Entity::find()
        .order_by_asc(acknowledgement::Column::CreatedAt)
        .order_by_asc(acknowledgement::Column::Id)
        .all(from)
        .await
        .unwrap();
    let mut events: Vec<(chrono::DateTime<chrono::Utc>, Event)> = delivered
        .into_iter()
        .map(|d| (d.filed_at, Event::Delivered(d)))
        .chain(
            answered
                .into_iter()
                .map(|a| (a.created_at, Event::Answered(a))),
        )
        .collect();
    // Stable: at the same instant a delivery goes before an answer, as it happened.
    events.sort_by_key(|(at, event)| (*at, matches!(event, Event::Answered(_))));
    for (at, event) in events {
        match event {
            Event::Delivered(d) => {
                let presented: Vec<Shown> = serde_json::from_value(d.presented).unwrap();
                let row = NewFiling {
                    firm_uscc: d.firm_uscc,
                    channel: d.channel,
                    declaration_id: d.declaration_id,
                    actor_role: d.actor_role,
                    actor_subject: d.actor_subject,
                    broker_uscc: d.broker_uscc,
                    note: d.note,
                    decided: d.evaluated_on.zip(d.facts),
                    presented,
                };
                let recorded = deliveries::save(into, &[row], at, ZONE, &rules)
                    .await
                    .unwrap();
                assert!(
                    recorded.len() == 1 && recorded[0].len() == 1 && recorded[0][0].is_new,
                    "every synthetic delivery is a presentation of its own"
                );
            }
            Event::Answered(a) => {
                let by_firm = answered_by_firm(a.actor_role, a.channel);
                let txn = db::begin_write(into).await.unwrap();
                assert!(
                    answers::record(&txn, &a, by_firm, ZONE, &rules)
                        .await
                        .unwrap()
                );
                txn.commit().await.unwrap();
            }
        }
    }
}

#[tokio::test]
async fn synthetic_funnel_and_daily_rows_are_what_the_service_writes_for_the_same_events() {
    let size = Size {
        firms: 400,
        policies: 6,
        deliveries: 1_200,
        comments: 60,
        seed: 23,
        zone: ZONE,
    };
    let (_seeded_database, seeded_db, written) = seeded(size).await;
    // The same firms and policies (the same seed), none of the reach.
    let (_replayed_database, replayed_db, _) = seeded(size).await;
    for table in [
        "need_term",
        "policy_daily_reach",
        "policy_firm_funnel",
        "acknowledgement",
        "filing",
    ] {
        replayed_db
            .execute_unprepared(&format!("DELETE FROM {table}"))
            .await
            .unwrap();
    }
    replay(&seeded_db, &replayed_db).await;

    let (seeded_funnel, replayed_funnel) = (
        funnel_rows(&seeded_db).await,
        funnel_rows(&replayed_db).await,
    );
    // A set that exercises the rows: firms reached more than once, on several channels, answered
    // (some twice) and not.
    assert!(written.deliveries > 1_000 && written.acknowledgements > 100);
    let ledger = crate::helpers::stored_deliveries(&seeded_db).await;
    let mut per_pair = std::collections::HashMap::new();
    for d in &ledger {
        *per_pair
            .entry((d.policy_id, d.firm_uscc.clone()))
            .or_insert(0) += 1;
    }
    assert!(
        per_pair.values().any(|n| *n > 1),
        "firms reached more than once"
    );
    assert!(
        seeded_funnel
            .iter()
            .any(|f| f.delivered_channels.count_ones() > 1)
    );
    assert!(
        seeded_funnel
            .iter()
            .any(|f| f.first_acknowledged_at.is_some())
    );
    assert!(
        seeded_funnel
            .iter()
            .any(|f| f.first_acknowledged_at.is_none())
    );
    assert_eq!(seeded_funnel.len(), replayed_funnel.len());
    for (seeded, replayed) in seeded_funnel.iter().zip(&replayed_funnel) {
        assert_eq!(seeded, replayed);
    }
    let (seeded_daily, replayed_daily) =
        (daily_rows(&seeded_db).await, daily_rows(&replayed_db).await);
    assert!(seeded_daily.iter().any(|d| d.newly_reached > 0));
    assert_eq!(seeded_daily.len(), replayed_daily.len());
    for (seeded, replayed) in seeded_daily.iter().zip(&replayed_daily) {
        assert_eq!(seeded, replayed);
    }
    // The comments' terms, as the service extracts them when it stores an acknowledgement.
    let (seeded_terms, replayed_terms) =
        (term_rows(&seeded_db).await, term_rows(&replayed_db).await);
    assert!(
        written.flagship_comments >= 30,
        "{}",
        written.flagship_comments
    );
    assert!(seeded_terms.len() > written.flagship_comments);
    assert_eq!(seeded_terms, replayed_terms);
}

async fn term_rows(db: &DatabaseConnection) -> Vec<policy_outreach::entity::need_term::Model> {
    policy_outreach::entity::need_term::Entity::find()
        .order_by_asc(policy_outreach::entity::need_term::Column::AcknowledgementId)
        .order_by_asc(policy_outreach::entity::need_term::Column::Term)
        .all(db)
        .await
        .unwrap()
}
