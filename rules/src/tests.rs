//! The evaluator, fact by fact and operator by operator, and its explanations.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::*;
use crate::region::RegionCatalog;
use crate::region::tests::shipped;
use crate::values::Lang;
use crate::values::{CustomsCredit, FirmSize};
use Outcome::{False as F, True as T, Unknown as U};

fn firm(regions: &RegionCatalog, region: &str) -> FirmFacts {
    let region = regions.parse(region).unwrap();
    FirmFacts {
        region,
        lineage: regions.self_and_ancestors(region).collect(),
        size: Some(FirmSize::Small),
        industry: Some("C3971".into()),
        customs_credit: Some(CustomsCredit::General),
        export_value_prev_year_usd: Some(3_200_000.0),
        import_value_prev_year_usd: Some(500_000.0),
        foreign_invested: Some(false),
        registered_on: NaiveDate::from_ymd_opt(2019, 5, 20),
    }
}

fn bare(regions: &RegionCatalog, region: &str) -> FirmFacts {
    FirmFacts {
        size: None,
        industry: None,
        customs_credit: None,
        export_value_prev_year_usd: None,
        import_value_prev_year_usd: None,
        foreign_invested: None,
        registered_on: None,
        ..firm(regions, region)
    }
}

fn export_declaration() -> DeclarationFacts {
    DeclarationFacts {
        id: Some("D-1".into()),
        direction: Direction::Export,
        trade_mode: Some(CustomsCode4::parse("0110").unwrap()),
        country: Some(CountryCode::parse("US").unwrap()),
        port: Some(CustomsCode4::parse("5301").unwrap()),
        hs_codes: vec![
            HsCode::parse("8517130000").unwrap(),
            HsCode::parse("8471300000").unwrap(),
        ],
        value_usd: Some(120_000.0),
    }
}

fn rule(regions: &RegionCatalog, json: Value) -> Rule {
    parse_rule(&json, "eligibility", regions).unwrap_or_else(|e| panic!("{json}: {e:?}"))
}

fn outcome(
    regions: &RegionCatalog,
    json: Value,
    firm: &FirmFacts,
    declaration: Option<&DeclarationFacts>,
) -> Outcome {
    evaluate(&rule(regions, json), Facts { firm, declaration })
}

fn cond(fact: &str, op: &str, value: Value) -> Value {
    json!({"fact": fact, "op": op, "value": value})
}

/// (fact, op, value, outcome on the full firm and declaration)
fn every_operator() -> Vec<(&'static str, &'static str, Value, Outcome)> {
    vec![
        ("firm.region", "within", json!("440300"), T),
        ("firm.region", "within", json!("440100"), F),
        ("firm.region", "in", json!(["440100", "440000"]), T),
        ("firm.region", "in", json!(["440100", "110000"]), F),
        ("firm.size", "eq", json!("SMALL"), T),
        ("firm.size", "eq", json!("MICRO"), F),
        ("firm.size", "in", json!(["MICRO", "SMALL"]), T),
        ("firm.size", "in", json!(["LARGE"]), F),
        ("firm.industry", "eq", json!("C3971"), T),
        ("firm.industry", "eq", json!("C3972"), F),
        ("firm.industry", "in", json!(["C3971", "F5179"]), T),
        ("firm.industry", "in", json!(["F5179"]), F),
        ("firm.industry", "prefix", json!("C39"), T),
        ("firm.industry", "prefix", json!("C38"), F),
        ("firm.industry", "prefix", json!(["F51", "C39"]), T),
        ("firm.industry", "prefix", json!(["F51", "C38"]), F),
        ("firm.customsCredit", "eq", json!("GENERAL"), T),
        ("firm.customsCredit", "eq", json!("DISHONEST"), F),
        (
            "firm.customsCredit",
            "in",
            json!(["GENERAL", "GENERAL_CERTIFIED"]),
            T,
        ),
        ("firm.customsCredit", "in", json!(["ADVANCED_CERTIFIED"]), F),
        ("firm.exportValuePrevYearUsd", "eq", json!(3200000), T),
        ("firm.exportValuePrevYearUsd", "eq", json!(3200001), F),
        ("firm.exportValuePrevYearUsd", "lt", json!(8000000), T),
        ("firm.exportValuePrevYearUsd", "lt", json!(3200000), F),
        ("firm.exportValuePrevYearUsd", "lte", json!(3200000), T),
        ("firm.exportValuePrevYearUsd", "lte", json!(3199999.99), F),
        ("firm.exportValuePrevYearUsd", "gt", json!(3199999.99), T),
        ("firm.exportValuePrevYearUsd", "gt", json!(3200000), F),
        ("firm.exportValuePrevYearUsd", "gte", json!(3200000), T),
        ("firm.exportValuePrevYearUsd", "gte", json!(3200000.01), F),
        (
            "firm.exportValuePrevYearUsd",
            "between",
            json!([3200000, 8000000]),
            T,
        ),
        (
            "firm.exportValuePrevYearUsd",
            "between",
            json!([0, 3199999]),
            F,
        ),
        ("firm.importValuePrevYearUsd", "lt", json!(1000000), T),
        ("firm.importValuePrevYearUsd", "gte", json!(1000000), F),
        (
            "firm.importValuePrevYearUsd",
            "between",
            json!([500000, 500000]),
            T,
        ),
        ("firm.importValuePrevYearUsd", "eq", json!(0), F),
        ("firm.importValuePrevYearUsd", "lte", json!(500000), T),
        ("firm.importValuePrevYearUsd", "gt", json!(500000), F),
        ("firm.foreignInvested", "eq", json!(false), T),
        ("firm.foreignInvested", "eq", json!(true), F),
        ("firm.registeredOn", "lt", json!("2019-05-21"), T),
        ("firm.registeredOn", "lt", json!("2019-05-20"), F),
        ("firm.registeredOn", "lte", json!("2019-05-20"), T),
        ("firm.registeredOn", "gt", json!("2019-05-20"), F),
        ("firm.registeredOn", "gte", json!("2019-05-20"), T),
        (
            "firm.registeredOn",
            "between",
            json!(["2019-01-01", "2019-12-31"]),
            T,
        ),
        (
            "firm.registeredOn",
            "between",
            json!(["2020-01-01", "2020-12-31"]),
            F,
        ),
        ("declaration.direction", "eq", json!("EXPORT"), T),
        ("declaration.direction", "eq", json!("IMPORT"), F),
        ("declaration.tradeMode", "eq", json!("0110"), T),
        ("declaration.tradeMode", "in", json!(["9610", "9710"]), F),
        ("declaration.port", "eq", json!("5301"), T),
        ("declaration.port", "in", json!(["5304", "5316"]), F),
        ("declaration.country", "eq", json!("US"), T),
        ("declaration.country", "in", json!(["DE", "JP"]), F),
        ("declaration.hsCode", "prefix", json!("8471"), T),
        ("declaration.hsCode", "prefix", json!("03"), F),
        ("declaration.hsCode", "prefix", json!(["8541", "8471"]), T),
        ("declaration.hsCode", "prefix", json!(["8541", "8542"]), F),
        ("declaration.hsCode", "in", json!(["03", "85"]), T),
        ("declaration.hsCode", "in", json!(["8528", "9403"]), F),
        ("declaration.valueUsd", "gte", json!(100000), T),
        ("declaration.valueUsd", "lt", json!(120000), F),
        (
            "declaration.valueUsd",
            "between",
            json!([100000, 120000]),
            T,
        ),
        ("declaration.valueUsd", "eq", json!(120000), T),
        ("declaration.valueUsd", "lte", json!(119999), F),
        ("declaration.valueUsd", "gt", json!(120000), F),
    ]
}

#[test]
fn every_operator_of_every_fact_decides_true_false_or_unknown() {
    let regions = shipped();
    let full = firm(&regions, "440305");
    let empty = bare(&regions, "440305");
    let declaration = export_declaration();
    for (fact, op, value, expected) in every_operator() {
        let json = cond(fact, op, value);
        assert_eq!(
            outcome(&regions, json.clone(), &full, Some(&declaration)),
            expected,
            "{json}"
        );
        let missing = if fact == "firm.region" { expected } else { U };
        let without = if fact.starts_with("declaration.") {
            outcome(&regions, json.clone(), &full, None)
        } else {
            outcome(&regions, json.clone(), &empty, Some(&declaration))
        };
        assert_eq!(without, missing, "{json} with the fact missing");
    }
    let allowed: usize = Fact::ALL.iter().map(|f| f.ops().len()).sum();
    let covered: std::collections::HashSet<(&str, &str)> = every_operator()
        .iter()
        .map(|(f, o, _, _)| (*f, *o))
        .collect();
    assert_eq!(covered.len(), allowed, "every (fact, op) pair has a case");
}

#[test]
fn eight_million_exactly_is_not_below_eight_million() {
    let regions = shipped();
    let mut facts = firm(&regions, "440305");
    facts.export_value_prev_year_usd = Some(8_000_000.0);
    let below = cond("firm.exportValuePrevYearUsd", "lt", json!(8000000));
    assert_eq!(outcome(&regions, below.clone(), &facts, None), F);
    facts.export_value_prev_year_usd = Some(7_999_999.99);
    assert_eq!(outcome(&regions, below, &facts, None), T);
}

#[test]
fn regions_follow_the_hierarchy_including_municipalities() {
    let regions = shipped();
    let within = |code: &str| cond("firm.region", "within", json!(code));
    let shenzhen_firm = firm(&regions, "440305");
    let guangzhou_firm = firm(&regions, "440106");
    let beijing_firm = firm(&regions, "110105");
    assert_eq!(
        outcome(&regions, within("440000"), &shenzhen_firm, None),
        T,
        "Guangdong covers Shenzhen"
    );
    assert_eq!(
        outcome(&regions, within("440300"), &guangzhou_firm, None),
        F,
        "Shenzhen does not cover Guangzhou"
    );
    assert_eq!(
        outcome(&regions, within("110000"), &beijing_firm, None),
        T,
        "Beijing covers Chaoyang"
    );
    assert_eq!(outcome(&regions, within("110105"), &beijing_firm, None), T);
    assert_eq!(
        outcome(&regions, within("120000"), &beijing_firm, None),
        F,
        "Tianjin does not"
    );
    let xiantao = firm(&regions, "429004");
    assert_eq!(
        outcome(&regions, within("420000"), &xiantao, None),
        T,
        "a county-level city under Hubei"
    );
    let province_level = firm(&regions, "440000");
    assert_eq!(
        outcome(&regions, within("440300"), &province_level, None),
        F
    );
}

#[test]
fn the_region_scope_joins_the_rule() {
    let regions = shipped();
    let shenzhen = regions.parse("440300").unwrap();
    let compiled =
        CompiledRule::compile(vec![shenzhen], &json!({"all": []}), "e", &regions).unwrap();
    let inside = firm(&regions, "440305");
    let outside = firm(&regions, "440106");
    assert_eq!(
        compiled.evaluate(Facts {
            firm: &inside,
            declaration: None
        }),
        T
    );
    assert_eq!(
        compiled.evaluate(Facts {
            firm: &outside,
            declaration: None
        }),
        F
    );
    let nationwide = CompiledRule::compile(Vec::new(), &json!({"all": []}), "e", &regions).unwrap();
    assert_eq!(
        nationwide.evaluate(Facts {
            firm: &outside,
            declaration: None
        }),
        T
    );
}

#[test]
fn groups_combine_with_kleene_logic() {
    let regions = shipped();
    let facts = bare(&regions, "440305");
    let yes = cond("firm.region", "within", json!("440000"));
    let no = cond("firm.region", "within", json!("110000"));
    let unknown = cond("firm.size", "eq", json!("SMALL"));
    let cases = [
        (json!({"all": [yes, unknown]}), U),
        (json!({"all": [no, unknown]}), F),
        (json!({"all": [yes, yes]}), T),
        (json!({"any": [yes, unknown]}), T),
        (json!({"any": [no, unknown]}), U),
        (json!({"any": [no, no]}), F),
        (json!({"not": unknown}), U),
        (json!({"not": yes}), F),
        (json!({"not": {"any": [no, unknown]}}), U),
        (json!({"all": []}), T),
        (json!({"any": []}), F),
    ];
    for (json, expected) in cases {
        assert_eq!(
            outcome(&regions, json.clone(), &facts, None),
            expected,
            "{json}"
        );
    }
}

#[test]
fn a_missing_declaration_leaves_firm_conditions_decided() {
    let regions = shipped();
    let facts = firm(&regions, "440305");
    let shenzhen_scheme = json!({"all": [
        cond("firm.exportValuePrevYearUsd", "lt", json!(8000000)),
        cond("declaration.direction", "eq", json!("EXPORT")),
    ]});
    assert_eq!(outcome(&regions, shenzhen_scheme.clone(), &facts, None), U);
    let mut large = facts.clone();
    large.export_value_prev_year_usd = Some(9e6);
    assert_eq!(
        outcome(&regions, shenzhen_scheme.clone(), &large, None),
        F,
        "the firm fact rules it out anyway"
    );
    assert_eq!(
        outcome(
            &regions,
            shenzhen_scheme,
            &facts,
            Some(&export_declaration())
        ),
        T
    );
}

#[test]
fn an_item_less_declaration_leaves_hs_conditions_unknown() {
    let regions = shipped();
    let facts = firm(&regions, "440305");
    let mut declaration = export_declaration();
    declaration.hs_codes.clear();
    let json = cond("declaration.hsCode", "prefix", json!("85"));
    assert_eq!(outcome(&regions, json, &facts, Some(&declaration)), U);
}

#[test]
fn reasons_state_the_actual_value_against_the_expected_one() {
    let regions = shipped();
    let shenzhen = regions.parse("440300").unwrap();
    let rule = json!({"all": [
        cond("firm.exportValuePrevYearUsd", "lt", json!(8000000)),
        cond("firm.size", "in", json!(["MICRO", "SMALL"])),
        cond("declaration.direction", "eq", json!("EXPORT")),
        cond("firm.foreignInvested", "eq", json!(true)),
    ]});
    let compiled = CompiledRule::compile(vec![shenzhen], &rule, "e", &regions).unwrap();
    let facts = firm(&regions, "440305");
    let reasons = compiled.explain(
        Facts {
            firm: &facts,
            declaration: None,
        },
        &regions,
        Lang::En,
    );
    let texts: Vec<(&str, Outcome)> = reasons
        .iter()
        .map(|r| (r.text.as_str(), r.outcome))
        .collect();
    assert_eq!(
        texts,
        [
            ("Registered in 南山区, within 深圳市", T),
            (
                "Export value last year US$3,200,000 is below US$8,000,000",
                T
            ),
            ("Firm size small is one of micro or small", T),
            (
                "Direction unknown: no declaration says; the policy asks for an export",
                U
            ),
            (
                "The firm is not foreign-invested; the policy is for foreign-invested firms",
                F
            ),
        ]
    );
    assert_eq!(reasons[1].actual, Some(json!(3200000.0)));
    assert_eq!(reasons[1].expected, json!(8000000));
    assert_eq!(reasons[3].actual, None);
    let zh = compiled.explain(
        Facts {
            firm: &facts,
            declaration: None,
        },
        &regions,
        Lang::Zh,
    );
    assert_eq!(zh[1].text, "上年出口额3,200,000美元，低于8,000,000美元");
    assert_eq!(zh[3].text, "进出口方向未知（申报中未提供），政策要求出口");
    let bare = bare(&regions, "440305");
    let missing = compiled.explain(
        Facts {
            firm: &bare,
            declaration: None,
        },
        &regions,
        Lang::En,
    );
    assert_eq!(
        missing[1].text,
        "Export value last year unknown: the firm's profile does not say; the policy asks for below US$8,000,000"
    );
    assert_eq!(
        missing[4].text,
        "Foreign investment unknown: the firm's profile does not say; the policy asks for foreign-invested firms"
    );
}

#[test]
fn prefix_takes_one_code_or_any_of_a_list_each_checked() {
    let regions = shipped();
    let problems = |value: Value| -> Vec<(String, String)> {
        let json = cond("declaration.hsCode", "prefix", value);
        parse_rule(&json, "eligibility", &regions)
            .err()
            .map(|e| e.0.into_iter().map(|p| (p.field, p.message)).collect())
            .unwrap_or_default()
    };
    assert!(problems(json!(["8541", "8542"])).is_empty());
    assert_eq!(
        problems(json!([])),
        [(
            "eligibility.value".to_owned(),
            "the \"prefix\" list must not be empty".to_owned()
        )]
    );
    assert_eq!(problems(json!(["8541", "x"]))[0].0, "eligibility.value[1]");
    assert_eq!(
        problems(json!(8541))[0].1,
        "expected a string or a list of strings"
    );
    let in_needs_a_list = cond("firm.size", "in", json!("SMALL"));
    assert!(parse_rule(&in_needs_a_list, "eligibility", &regions).is_err());

    let chapters = cond("declaration.hsCode", "prefix", json!(["8541", "8471"]));
    let compiled = CompiledRule::compile(vec![], &chapters, "e", &regions).unwrap();
    let facts = firm(&regions, "440305");
    let reasons = compiled.explain(
        Facts {
            firm: &facts,
            declaration: Some(&export_declaration()),
        },
        &regions,
        Lang::En,
    );
    let text = &reasons.last().unwrap().text;
    assert_eq!(reasons.last().unwrap().outcome, T);
    assert!(text.contains("8541 or 8471"), "{text}");
}
