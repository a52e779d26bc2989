//! Rules of realistic shape from a seeded generator, for benchmarks and synthetic data sets
//! (feature `sample`).

use rand::Rng;
use serde_json::{Value, json};

/// Rules like the ones departments write: two to four conditions (the scope is apart), mostly
/// on firm facts, now and then an alternative or an exclusion.
pub fn realistic_rule<R: Rng + ?Sized>(rng: &mut R) -> Value {
    let mut conditions: Vec<Value> = (0..rng.random_range(2..=4))
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

fn condition<R: Rng + ?Sized>(rng: &mut R) -> Value {
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
