//! The rule engine alone: one declaration against 5,000 published policies of realistic shape
//! (DESIGN §9: under 1 ms; found through the rule index, as filings do, and with every rule
//! evaluated), explaining the matches, and parsing rules as authors submit them.
//! `cargo bench -p policy-outreach-rules --features sample`.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark fails loudly on a bad fixture"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rules::sample::realistic_rule;
use rules::{
    CompiledRule, CountryCode, CustomsCode4, CustomsCredit, DeclarationFacts, Direction, Facts,
    FirmFacts, FirmSize, HsCode, Lang, Outcome, RegionCatalog, RuleIndex,
};

const POLICIES: usize = 5_000;
const SCOPES: &[&str] = &[
    "440000", "440300", "440100", "330000", "330200", "310000", "110000", "320500", "350200",
    "370200",
];

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
    let regions = RegionCatalog::from_tsv(include_str!("../../migrations/data/regions.tsv"));
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
    let index = RuleIndex::new(&rules);
    let candidates = index.candidates(facts);
    eprintln!(
        "{matches} of {POLICIES} policies match the sample declaration; the index leaves {} to evaluate",
        candidates.count_ones(..)
    );
    // As a filing evaluates: the candidates the index finds, then what of each is not filed.
    assert_eq!(index.matches(facts).count(), matches);
    c.bench_function("one declaration against 5,000 policies", |b| {
        b.iter(|| black_box(&index).matches(black_box(facts)).count())
    });
    c.bench_function(
        "one declaration against 5,000 policies, every rule evaluated",
        |b| {
            b.iter(|| {
                black_box(&rules)
                    .iter()
                    .filter(|rule| rule.evaluate(black_box(facts)) == Outcome::True)
                    .count()
            })
        },
    );
    let matched: Vec<&CompiledRule> = rules
        .iter()
        .filter(|r| r.evaluate(facts) == Outcome::True)
        .collect();
    c.bench_function("explain every match in Chinese", |b| {
        b.iter(|| {
            black_box(&matched)
                .iter()
                .map(|rule| rule.explain(black_box(facts), &regions, Lang::Zh).len())
                .sum::<usize>()
        })
    });
    let mut rng = StdRng::seed_from_u64(7);
    let sources: Vec<serde_json::Value> = (0..100).map(|_| realistic_rule(&mut rng)).collect();
    c.bench_function("parse and validate 100 rules", |b| {
        b.iter(|| {
            black_box(&sources)
                .iter()
                .filter(|json| rules::parse_rule(json, "eligibility", &regions).is_ok())
                .count()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
