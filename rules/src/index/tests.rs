//! The index never loses a TRUE rule, and rules out most of the others.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use super::RuleIndex;
use crate::codes::{CountryCode, CustomsCode4, HsCode};
use crate::compiled::CompiledRule;
use crate::facts::{DeclarationFacts, Facts, FirmFacts};
use crate::outcome::Outcome;
use crate::region::RegionCatalog;
use crate::region::tests::shipped;
use crate::values::{CustomsCredit, Direction, FirmSize};

const REGIONS: &[&str] = &["440000", "440300", "440305", "440100", "330000", "110000"];

fn pick<'a, R: Rng>(rng: &mut R, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

fn some<'a, R: Rng>(rng: &mut R, from: &[&'a str]) -> Vec<&'a str> {
    let mut chosen: Vec<&str> = from
        .iter()
        .copied()
        .filter(|_| rng.random_bool(0.4))
        .collect();
    if chosen.is_empty() {
        chosen.push(pick(rng, from));
    }
    chosen
}

/// A condition on any fact, indexed or not.
fn condition<R: Rng>(rng: &mut R) -> Value {
    match rng.random_range(0..13) {
        0 => json!({"fact": "firm.region", "op": "within", "value": pick(rng, REGIONS)}),
        1 => {
            json!({"fact": "firm.size", "op": "in", "value": some(rng, &["MICRO", "SMALL", "MEDIUM", "LARGE"])})
        }
        2 => {
            json!({"fact": "firm.customsCredit", "op": "in", "value": some(rng, &["ADVANCED_CERTIFIED", "GENERAL_CERTIFIED", "GENERAL", "DISHONEST"])})
        }
        3 => {
            json!({"fact": "firm.industry", "op": "prefix", "value": pick(rng, &["C", "C39", "C3971", "F51"])})
        }
        4 => json!({"fact": "firm.industry", "op": "in", "value": some(rng, &["C3971", "F5112"])}),
        5 => json!({"fact": "firm.foreignInvested", "op": "eq", "value": rng.random_bool(0.5)}),
        6 => {
            json!({"fact": "declaration.direction", "op": "eq", "value": pick(rng, &["EXPORT", "IMPORT"])})
        }
        7 => {
            json!({"fact": "declaration.tradeMode", "op": "in", "value": some(rng, &["0110", "9610", "1210"])})
        }
        8 => json!({"fact": "declaration.port", "op": "eq", "value": pick(rng, &["5301", "5304"])}),
        9 => {
            json!({"fact": "declaration.country", "op": "in", "value": some(rng, &["US", "DE", "VN"])})
        }
        10 => {
            json!({"fact": "declaration.hsCode", "op": "in", "value": some(rng, &["85", "8471", "9403"])})
        }
        11 => {
            json!({"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": rng.random_range(1..10) * 1_000_000})
        }
        _ => {
            json!({"fact": "declaration.valueUsd", "op": "gte", "value": rng.random_range(1..20) * 10_000})
        }
    }
}

/// Top-level conditions, now and then an alternative, an exclusion, a rule that is one
/// condition alone or one `any`.
fn rule<R: Rng>(rng: &mut R) -> Value {
    match rng.random_range(0..10) {
        0 => condition(rng),
        1 => json!({"any": [condition(rng), condition(rng)]}),
        _ => {
            let mut all: Vec<Value> = (0..rng.random_range(0..5))
                .map(|_| condition(rng))
                .collect();
            if rng.random_bool(0.3) {
                all.push(json!({"any": [condition(rng), condition(rng)]}));
            }
            if rng.random_bool(0.3) {
                all.push(json!({"not": condition(rng)}));
            }
            json!({"all": all})
        }
    }
}

fn rules(regions: &RegionCatalog, rng: &mut StdRng) -> Vec<CompiledRule> {
    (0..400)
        .map(|_| {
            let scope = if rng.random_bool(0.4) {
                vec![regions.parse(pick(rng, REGIONS)).unwrap()]
            } else {
                Vec::new()
            };
            CompiledRule::compile(scope, &rule(rng), "eligibility", regions).unwrap()
        })
        .collect()
}

fn maybe<T, R: Rng>(rng: &mut R, value: T) -> Option<T> {
    rng.random_bool(0.8).then_some(value)
}

fn firm(regions: &RegionCatalog, rng: &mut StdRng) -> FirmFacts {
    let region = regions
        .parse(pick(rng, &["440305", "440106", "330106", "110105"]))
        .unwrap();
    let size = [
        FirmSize::Micro,
        FirmSize::Small,
        FirmSize::Medium,
        FirmSize::Large,
    ][rng.random_range(0..4)];
    let credit = [
        CustomsCredit::AdvancedCertified,
        CustomsCredit::General,
        CustomsCredit::Dishonest,
    ][rng.random_range(0..3)];
    let industry = pick(rng, &["C3971", "C1811", "F5112"]).to_owned();
    let foreign = rng.random_bool(0.5);
    let export = rng.random_range(0..12) as f64 * 1_000_000.0;
    FirmFacts {
        size: maybe(rng, size),
        customs_credit: maybe(rng, credit),
        industry: maybe(rng, industry),
        foreign_invested: maybe(rng, foreign),
        export_value_prev_year_usd: maybe(rng, export),
        ..FirmFacts::in_region(region, regions)
    }
}

fn declaration(rng: &mut StdRng) -> DeclarationFacts {
    let direction = if rng.random_bool(0.5) {
        Direction::Export
    } else {
        Direction::Import
    };
    let mode = CustomsCode4::parse(pick(rng, &["0110", "9610", "1210"])).unwrap();
    let port = CustomsCode4::parse(pick(rng, &["5301", "5304"])).unwrap();
    let country = CountryCode::parse(pick(rng, &["US", "DE", "VN", "JP"])).unwrap();
    let hs_codes = (0..rng.random_range(0..3))
        .map(|_| {
            HsCode::parse(pick(
                rng,
                &["8517130000", "8471300000", "9403200000", "6204"],
            ))
            .unwrap()
        })
        .collect();
    let value = rng.random_range(0..30) as f64 * 10_000.0;
    DeclarationFacts {
        id: None,
        direction,
        trade_mode: maybe(rng, mode),
        port: maybe(rng, port),
        country: maybe(rng, country),
        hs_codes,
        value_usd: maybe(rng, value),
    }
}

#[test]
fn the_index_finds_exactly_the_true_rules_and_rules_out_most_others() {
    let regions = shipped();
    let mut rng = StdRng::seed_from_u64(16);
    let rules = rules(&regions, &mut rng);
    let index = RuleIndex::new(&rules);
    let (mut true_rules, mut candidates, mut evaluated) = (0, 0, 0);
    for case in 0..300 {
        let firm = firm(&regions, &mut rng);
        let declaration = declaration(&mut rng);
        let facts = Facts {
            firm: &firm,
            declaration: (case % 10 != 0).then_some(&declaration),
        };
        let found = index.candidates(facts);
        let mut evaluated_true = Vec::new();
        for (position, rule) in rules.iter().enumerate() {
            if rule.evaluate(facts) == Outcome::True {
                true_rules += 1;
                evaluated_true.push(position);
                assert!(
                    found.contains(position),
                    "rule {position} is TRUE on case {case} but not a candidate: {rule:?}"
                );
            }
        }
        let matched: Vec<usize> = index.matches(facts).collect();
        assert_eq!(
            matched, evaluated_true,
            "case {case}: the residues decide as the rules do"
        );
        candidates += found.count_ones(..);
        evaluated += rules.len();
    }
    assert!(true_rules > 0, "the cases must make some rules TRUE");
    assert!(
        candidates * 2 < evaluated,
        "{candidates} candidates of {evaluated}: the index must rule out most rules"
    );
}

#[test]
fn a_missing_fact_or_another_value_rules_a_rule_out() {
    let regions = shipped();
    let compile = |scope: &[&str], rule: Value| {
        let scope = scope.iter().map(|r| regions.parse(r).unwrap()).collect();
        CompiledRule::compile(scope, &rule, "eligibility", &regions).unwrap()
    };
    let rules = [
        compile(&["440300"], json!({"all": []})),
        compile(
            &[],
            json!({"fact": "declaration.direction", "op": "eq", "value": "EXPORT"}),
        ),
        compile(
            &[],
            json!({"all": [{"fact": "firm.size", "op": "in", "value": ["SMALL"]}]}),
        ),
        // Under `any`, size may be missing and the rule still TRUE: the index must keep it.
        compile(
            &[],
            json!({"any": [{"fact": "firm.size", "op": "eq", "value": "LARGE"}, {"fact": "firm.foreignInvested", "op": "eq", "value": false}]}),
        ),
        compile(
            &[],
            json!({"all": [{"fact": "firm.industry", "op": "prefix", "value": "C39"}]}),
        ),
    ];
    let index = RuleIndex::new(&rules);
    let shenzhen = regions.parse("440305").unwrap();
    let mut firm = FirmFacts::in_region(shenzhen, &regions);
    firm.foreign_invested = Some(false);
    firm.industry = Some("C3971".into());
    let import = DeclarationFacts {
        id: None,
        direction: Direction::Import,
        trade_mode: None,
        country: None,
        port: None,
        hs_codes: Vec::new(),
        value_usd: None,
    };
    let facts = Facts {
        firm: &firm,
        declaration: Some(&import),
    };
    let found: Vec<usize> = index.candidates(facts).ones().collect();
    assert_eq!(found, [0, 3, 4], "an import, a firm of unknown size");

    let beijing = regions.parse("110105").unwrap();
    let mut elsewhere = FirmFacts::in_region(beijing, &regions);
    elsewhere.size = Some(FirmSize::Small);
    let export = DeclarationFacts {
        direction: Direction::Export,
        ..import
    };
    let facts = Facts {
        firm: &elsewhere,
        declaration: Some(&export),
    };
    let found: Vec<usize> = index.candidates(facts).ones().collect();
    assert_eq!(
        found,
        [1, 2, 3],
        "out of the Shenzhen scope, no industry known"
    );
}
