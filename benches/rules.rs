//! One declaration against 5,000 published policies of realistic shape: the filing-time rule
//! engine alone (DESIGN §9: under 1 ms).

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark fails loudly on a bad fixture"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use policy_outreach::eligibility::{
    CompiledRule, CountryCode, CustomsCode4, DeclarationFacts, Direction, Facts, FirmFacts, HsCode,
    Outcome,
};
use policy_outreach::firm::{CustomsCredit, FirmSize};
use policy_outreach::region::RegionCatalog;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const POLICIES: usize = 5_000;
const SCOPES: &[&str] = &[
    "440000", "440300", "440100", "330000", "330200", "310000", "110000", "320500", "350200",
    "370200",
];

/// Rules like the ones departments write: a region scope on most, two to four conditions, mostly
/// on firm facts, now and then an alternative or an exclusion.
fn realistic_rule(rng: &mut StdRng) -> Value {
    let mut conditions: Vec<Value> = (0..rng.random_range(1..=4))
        .map(|_| condition(rng))
        .collect();
    if rng.random_bool(0.2) {
        conditions.push(json!({"any": [condition(rng), condition(rng)]}));
    }
    if rng.random_bool(0.15) {
        conditions
            .push(json!({"not": {"fact": "firm.customsCredit", "op": "eq", "value": "DISHONEST"}}));
    }
    json!({"all": conditions})
}

fn condition(rng: &mut StdRng) -> Value {
    match rng.random_range(0..10) {
        0 => {
            json!({"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": rng.random_range(1..50) * 1_000_000})
        }
        1 => json!({"fact": "firm.size", "op": "in", "value": ["MICRO", "SMALL", "MEDIUM"]}),
        2 => {
            let prefix = ["C39", "C18", "C21", "F51"][rng.random_range(0..4)];
            json!({"fact": "firm.industry", "op": "prefix", "value": prefix})
        }
        3 => {
            json!({"fact": "firm.customsCredit", "op": "in", "value": ["ADVANCED_CERTIFIED", "GENERAL_CERTIFIED"]})
        }
        4 => {
            json!({"fact": "firm.registeredOn", "op": "gte", "value": format!("{}-01-01", rng.random_range(2000..2025))})
        }
        5 => json!({"fact": "declaration.direction", "op": "eq", "value": "EXPORT"}),
        6 => {
            json!({"fact": "declaration.tradeMode", "op": "in", "value": ["0110", "9610", "9710", "9810"]})
        }
        7 => json!({"fact": "declaration.country", "op": "in", "value": ["US", "DE", "JP", "VN"]}),
        8 => {
            json!({"fact": "declaration.hsCode", "op": "in", "value": ["85", "8471", "9403", "6204"]})
        }
        _ => {
            json!({"fact": "declaration.valueUsd", "op": "gte", "value": rng.random_range(1..100) * 10_000})
        }
    }
}

fn policies(regions: &RegionCatalog) -> Vec<CompiledRule> {
    let mut rng = StdRng::seed_from_u64(5_000);
    (0..POLICIES)
        .map(|_| {
            let scope = match rng.random_range(0..3) {
                0 => Vec::new(),
                _ => vec![
                    regions
                        .parse(SCOPES[rng.random_range(0..SCOPES.len())])
                        .unwrap(),
                ],
            };
            CompiledRule::compile(scope, &realistic_rule(&mut rng), "eligibility", regions).unwrap()
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let regions = RegionCatalog::shipped();
    let rules = policies(&regions);
    let region = regions.parse("440305").unwrap();
    let firm = FirmFacts {
        region,
        lineage: regions.self_and_ancestors(region).collect(),
        size: Some(FirmSize::Small),
        industry: Some("C3971".to_owned()),
        customs_credit: Some(CustomsCredit::General),
        export_value_prev_year_usd: Some(3_200_000.0),
        import_value_prev_year_usd: Some(400_000.0),
        foreign_invested: Some(false),
        registered_on: chrono::NaiveDate::from_ymd_opt(2016, 3, 1),
    };
    let declaration = DeclarationFacts {
        id: Some("DEC-1".to_owned()),
        direction: Direction::Export,
        trade_mode: CustomsCode4::parse("0110").ok(),
        country: CountryCode::parse("US").ok(),
        port: CustomsCode4::parse("5301").ok(),
        hs_codes: ["8517130000", "8471300000", "8504401400"]
            .iter()
            .filter_map(|c| HsCode::parse(c).ok())
            .collect(),
        value_usd: Some(180_000.0),
    };
    let facts = Facts {
        firm: &firm,
        declaration: Some(&declaration),
    };
    let matches = rules
        .iter()
        .filter(|r| r.evaluate(facts) == Outcome::True)
        .count();
    eprintln!("{matches} of {POLICIES} policies match the sample declaration");
    c.bench_function("one declaration against 5,000 policies", |b| {
        b.iter(|| {
            black_box(&rules)
                .iter()
                .filter(|rule| rule.evaluate(black_box(facts)) == Outcome::True)
                .count()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
