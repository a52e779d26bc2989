//! One truth: the in-memory evaluator and the SQL condition agree on every generated firm and rule.

use chrono::{NaiveDate, Utc};
use policy_outreach::db;
use policy_outreach::eligibility::{CompiledRule, Facts, FirmFacts, Outcome};
use policy_outreach::entity::firm;
use policy_outreach::firm::{CustomsCredit, FirmSize, Uscc};
use policy_outreach::region::RegionCatalog;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Set};
use serde_json::{Value, json};

use crate::helpers::{TestDatabase, settings};

/// Rules per database; each is checked on every firm of its case.
const RULES: u32 = 100;
const FIRMS_PER_CASE: usize = 100;

/// Regions at every level, with municipalities and a county-level city directly under a province.
const REGIONS: &[&str] = &[
    "440000", "440300", "440305", "440306", "440106", "441900", "110000", "110105", "110101",
    "120101", "310115", "429004", "330782", "350206",
];
const INDUSTRIES: &[&str] = &["C3971", "C3921", "C39", "F5179", "C", "L7299"];
const MONEY: &[f64] = &[
    0.0,
    999_999.99,
    1_000_000.0,
    7_999_999.99,
    8_000_000.0,
    8_000_000.01,
    5e7,
];

fn option<T: std::fmt::Debug + Clone + 'static>(
    inner: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    prop_oneof![1 => Just(None), 4 => inner.prop_map(Some)].boxed()
}

fn money() -> BoxedStrategy<f64> {
    prop_oneof![prop::sample::select(MONEY), 0.0..6e7f64].boxed()
}

fn date() -> BoxedStrategy<NaiveDate> {
    (2015i32..2026, 1u32..=365)
        .prop_map(|(y, d)| NaiveDate::from_yo_opt(y, d).unwrap_or_default())
        .boxed()
}

fn firm_facts(regions: &'static RegionCatalog) -> impl Strategy<Value = FirmFacts> {
    (
        prop::sample::select(REGIONS),
        option(prop::sample::select(FirmSize::ALL)),
        option(prop::sample::select(INDUSTRIES).prop_map(str::to_owned)),
        option(prop::sample::select(CustomsCredit::ALL)),
        option(money()),
        option(money()),
        option(any::<bool>()),
        option(date()),
    )
        .prop_map(
            move |(region, size, industry, credit, export, import, foreign, registered)| {
                let region = regions.parse(region).unwrap();
                FirmFacts {
                    region,
                    lineage: regions.self_and_ancestors(region).collect(),
                    size: size.map(Into::into),
                    industry,
                    customs_credit: credit.map(Into::into),
                    export_value_prev_year_usd: export,
                    import_value_prev_year_usd: import,
                    foreign_invested: foreign,
                    registered_on: registered,
                }
            },
        )
}

fn names<T: Copy + std::fmt::Display + std::fmt::Debug + 'static>(
    all: &'static [T],
) -> BoxedStrategy<Value> {
    prop::sample::subsequence(all.to_vec(), 1..=all.len())
        .prop_map(|v| json!(v.iter().map(ToString::to_string).collect::<Vec<_>>()))
        .boxed()
}

fn condition() -> BoxedStrategy<Value> {
    let c = |fact: &'static str, op: &'static str, value: BoxedStrategy<Value>| {
        value
            .prop_map(move |v| json!({"fact": fact, "op": op, "value": v}))
            .boxed()
    };
    let region = prop::sample::select(REGIONS).prop_map(|r| json!(r)).boxed();
    let regions_in = prop::sample::subsequence(REGIONS.to_vec(), 1..4)
        .prop_map(|v| json!(v))
        .boxed();
    let numeric_op = prop::sample::select(&["eq", "lt", "lte", "gt", "gte"][..]);
    let numeric = |fact: &'static str| {
        prop_oneof![
            (numeric_op.clone(), money())
                .prop_map(move |(op, v)| json!({"fact": fact, "op": op, "value": v})),
            (money(), money()).prop_map(
                move |(a, b)| json!({"fact": fact, "op": "between", "value": [a.min(b), a.max(b)]})
            ),
        ]
        .boxed()
    };
    let date_op = prop::sample::select(&["lt", "lte", "gt", "gte"][..]);
    prop_oneof![
        c("firm.region", "within", region),
        c("firm.region", "in", regions_in),
        c("firm.size", "in", names(FirmSize::ALL)),
        prop::sample::select(FirmSize::ALL)
            .prop_map(|s| json!({"fact": "firm.size", "op": "eq", "value": s.as_str()}))
            .boxed(),
        c("firm.customsCredit", "in", names(CustomsCredit::ALL)),
        c("firm.industry", "prefix", prop::sample::select(&["C", "C39", "C397", "F", "L7299"][..]).prop_map(|p| json!(p)).boxed()),
        c("firm.industry", "prefix", prop::sample::subsequence(vec!["C39", "C18", "F51", "L"], 1..4).prop_map(|v| json!(v)).boxed()),
        c("firm.industry", "in", prop::sample::subsequence(vec!["C3971", "C3921", "F5179"], 1..3).prop_map(|v| json!(v)).boxed()),
        numeric("firm.exportValuePrevYearUsd"),
        numeric("firm.importValuePrevYearUsd"),
        c("firm.foreignInvested", "eq", any::<bool>().prop_map(|b| json!(b)).boxed()),
        (date_op, date()).prop_map(|(op, d)| json!({"fact": "firm.registeredOn", "op": op, "value": d.to_string()})).boxed(),
        (date(), date()).prop_map(|(a, b)| json!({"fact": "firm.registeredOn", "op": "between", "value": [std::cmp::min(a, b).to_string(), std::cmp::max(a, b).to_string()]})).boxed(),
        c("declaration.direction", "eq", Just(json!("EXPORT")).boxed()),
        c("declaration.hsCode", "prefix", Just(json!("85")).boxed()),
        c("declaration.valueUsd", "gte", money().prop_map(|v| json!(v)).boxed()),
    ]
    .boxed()
}

fn rule() -> impl Strategy<Value = Value> {
    condition().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| json!({"all": v})),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| json!({"any": v})),
            inner.prop_map(|v| json!({"not": v})),
        ]
    })
}

fn scope() -> impl Strategy<Value = Vec<&'static str>> {
    prop_oneof![2 => Just(Vec::new()), 1 => prop::sample::subsequence(REGIONS.to_vec(), 1..3)]
}

async fn replace_firms(db: &DatabaseConnection, regions: &RegionCatalog, firms: &[FirmFacts]) {
    firm::Entity::delete_many().exec(db).await.unwrap();
    let now = Utc::now();
    let rows = firms.iter().enumerate().map(|(i, f)| firm::ActiveModel {
        uscc: Set(Uscc::with_check_character(&format!("91440300{i:08}A"))
            .unwrap()
            .to_string()),
        customs_code: Set(None),
        name: Set(format!("firm {i}")),
        region_code: Set(f.region.to_string()),
        province_code: Set(regions.province_of(f.region).to_string()),
        prefecture_code: Set(regions.prefecture_of(f.region).map(|c| c.to_string())),
        size: Set(f.size.map(Into::into)),
        industry: Set(f.industry.clone()),
        customs_credit: Set(f.customs_credit.map(Into::into)),
        export_value_prev_year_usd: Set(f.export_value_prev_year_usd),
        import_value_prev_year_usd: Set(f.import_value_prev_year_usd),
        foreign_invested: Set(f.foreign_invested),
        registered_on: Set(f.registered_on),
        last_filed_at: Set(None),
        broker_count: Set(0),
        created_at: Set(now),
        updated_at: Set(now),
    });
    firm::Entity::insert_many(rows)
        .exec_without_returning(db)
        .await
        .unwrap();
}

async fn sql_audience(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    rule: &CompiledRule,
) -> Vec<String> {
    let query = Query::select()
        .column(firm::Column::Uscc)
        .from(firm::Entity)
        .and_where(rule.audience_sql(regions))
        .to_owned();
    let mut usccs: Vec<String> = db
        .query_all(&query)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.try_get("", "uscc").unwrap())
        .collect();
    usccs.sort();
    usccs
}

async fn sql_outcomes(
    db: &DatabaseConnection,
    regions: &RegionCatalog,
    rule: &CompiledRule,
) -> Vec<(String, Outcome)> {
    let outcome = rule.firm_outcome_sql(regions);
    let query = Query::select()
        .column(firm::Column::Uscc)
        .expr_as(
            Expr::case(outcome.clone(), "TRUE")
                .case(outcome.not(), "FALSE")
                .finally("UNKNOWN"),
            Alias::new("outcome"),
        )
        .from(firm::Entity)
        .to_owned();
    db.query_all(&query)
        .await
        .unwrap()
        .into_iter()
        .map(|row| {
            let uscc: String = row.try_get("", "uscc").unwrap();
            let outcome: String = row.try_get("", "outcome").unwrap();
            let outcome = match outcome.as_str() {
                "TRUE" => Outcome::True,
                "FALSE" => Outcome::False,
                _ => Outcome::Unknown,
            };
            (uscc, outcome)
        })
        .collect()
}

#[test]
fn the_sql_condition_and_the_evaluator_agree_on_every_firm() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (database, db, regions) = runtime.block_on(async {
        let database = TestDatabase::create().await;
        let db = db::connect(&settings(&database.url)).await.unwrap();
        db::migrate_up(&db).await.unwrap();
        let regions = policy_outreach::region::load(&db).await.unwrap();
        (database, db, regions)
    });
    let regions: &'static RegionCatalog = Box::leak(Box::new(regions));
    let mut runner = TestRunner::new(Config {
        cases: RULES,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (
        prop::collection::vec(firm_facts(regions), FIRMS_PER_CASE),
        rule(),
        scope(),
    );
    let checked = std::sync::atomic::AtomicUsize::new(0);
    let seen = std::sync::Mutex::new(std::collections::HashMap::<Outcome, usize>::new());
    let result = runner.run(&strategy, |(firms, rule_json, scope)| {
        let scope = scope.iter().map(|r| regions.parse(r).unwrap()).collect();
        let compiled =
            CompiledRule::compile(scope, &rule_json, "eligibility", regions).map_err(|e| {
                TestCaseError::fail(format!("generated an invalid rule {rule_json}: {e:?}"))
            })?;
        let (from_sql, audience) = runtime.block_on(async {
            replace_firms(&db, regions, &firms).await;
            (
                sql_outcomes(&db, regions, &compiled).await,
                sql_audience(&db, regions, &compiled).await,
            )
        });
        let mut expected_audience: Vec<String> = firms
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                compiled.evaluate(Facts {
                    firm: f,
                    declaration: None,
                }) != Outcome::False
            })
            .map(|(i, _)| {
                Uscc::with_check_character(&format!("91440300{i:08}A"))
                    .unwrap()
                    .to_string()
            })
            .collect();
        expected_audience.sort();
        prop_assert_eq!(&audience, &expected_audience, "audience of {}", rule_json);
        prop_assert_eq!(from_sql.len(), firms.len());
        for (i, facts) in firms.iter().enumerate() {
            let uscc = Uscc::with_check_character(&format!("91440300{i:08}A"))
                .unwrap()
                .to_string();
            let in_memory = compiled.evaluate(Facts {
                firm: facts,
                declaration: None,
            });
            let in_sql = from_sql.iter().find(|(u, _)| *u == uscc).map(|(_, o)| *o);
            prop_assert_eq!(
                Some(in_memory),
                in_sql,
                "rule {} in scope {:?} on {:?}",
                rule_json,
                compiled.scope,
                facts
            );
            checked.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            *seen.lock().unwrap().entry(in_memory).or_default() += 1;
        }
        Ok(())
    });
    drop(database);
    if let Err(err) = result {
        panic!("{err}");
    }
    let checked = checked.into_inner();
    assert!(checked >= 10_000, "checked {checked} firm-rule pairs");
    let seen = seen.into_inner().unwrap();
    for outcome in [Outcome::True, Outcome::False, Outcome::Unknown] {
        let share = seen.get(&outcome).copied().unwrap_or(0) as f64 / checked as f64;
        assert!(
            share > 0.05,
            "the generator rarely yields {outcome:?}: {seen:?}"
        );
    }
}

#[tokio::test]
async fn dates_and_missing_values_compare_the_same_in_sql() {
    let database = TestDatabase::create().await;
    let db = db::connect(&settings(&database.url)).await.unwrap();
    db::migrate_up(&db).await.unwrap();
    let regions = policy_outreach::region::load(&db).await.unwrap();
    let region = regions.parse("350206").unwrap();
    let facts = FirmFacts {
        region,
        lineage: regions.self_and_ancestors(region).collect(),
        size: None,
        industry: Some("C39".into()),
        customs_credit: Some(rules::CustomsCredit::General),
        export_value_prev_year_usd: Some(0.0),
        import_value_prev_year_usd: None,
        foreign_invested: Some(true),
        registered_on: NaiveDate::from_ymd_opt(2024, 8, 6),
    };
    replace_firms(&db, &regions, std::slice::from_ref(&facts)).await;
    for rule_json in [
        json!({"not": {"fact": "firm.registeredOn", "op": "lte", "value": "2022-05-27"}}),
        json!({"any": [{"fact": "firm.size", "op": "eq", "value": "LARGE"}, {"not": {"fact": "firm.registeredOn", "op": "lte", "value": "2022-05-27"}}]}),
    ] {
        let compiled =
            CompiledRule::compile(Vec::new(), &rule_json, "eligibility", &regions).unwrap();
        let in_memory = compiled.evaluate(Facts {
            firm: &facts,
            declaration: None,
        });
        let in_sql = sql_outcomes(&db, &regions, &compiled).await;
        assert_eq!(in_sql[0].1, in_memory, "{rule_json}");
    }
}
