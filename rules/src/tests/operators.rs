//! Each operator of each fact, decided TRUE, FALSE or UNKNOWN, and its edges.

use super::*;

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
