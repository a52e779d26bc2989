use serde_json::json;

use super::*;
use crate::region::tests::shipped;

fn problems(rule: Value) -> Vec<(String, String)> {
    match parse_rule(&rule, "eligibility", &shipped()) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.0.into_iter().map(|e| (e.field, e.message)).collect(),
    }
}

fn fields(rule: Value) -> Vec<String> {
    problems(rule).into_iter().map(|(f, _)| f).collect()
}

#[test]
fn the_shenzhen_insurance_rule_parses() {
    let rule = json!({"all": [
        {"fact": "firm.region", "op": "within", "value": "440300"},
        {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000},
        {"fact": "declaration.direction", "op": "eq", "value": "EXPORT"}
    ]});
    let parsed = parse_rule(&rule, "eligibility", &shipped());
    assert_eq!(parsed.map(|r| r.conditions().len()).ok(), Some(3));
}

#[test]
fn the_empty_rule_matches_everyone() {
    assert_eq!(
        parse_rule(&json!({"all": []}), "e", &shipped()).ok(),
        Some(Rule::everyone())
    );
}

#[test]
fn every_problem_is_reported_with_its_path() {
    let got = fields(json!({"all": [
        {"fact": "firm.size", "op": "eq", "value": "SMALL"},
        {"fact": "firm.colour", "op": "eq", "value": "red"},
        {"fact": "firm.size", "op": "lt", "value": "SMALL"},
        {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": "lots"},
        {"any": [{"fact": "firm.region", "op": "within", "value": "449999"}]},
        {"fact": "declaration.hsCode", "op": "prefix", "value": "8"},
        {"fact": "declaration.country", "op": "in", "value": ["US", "XX"]},
        {"fact": "firm.exportValuePrevYearUsd", "op": "between", "value": [9, 1]},
        {"fact": "firm.size", "op": "in", "value": []},
        {"not": {"fact": "firm.foreignInvested", "op": "eq", "value": "yes"}}
    ]}));
    assert_eq!(
        got,
        [
            "eligibility.all[1].fact",
            "eligibility.all[2].op",
            "eligibility.all[3].value",
            "eligibility.all[4].any[0].value",
            "eligibility.all[5].value",
            "eligibility.all[6].value[1]",
            "eligibility.all[7].value",
            "eligibility.all[8].value",
            "eligibility.all[9].not.value",
        ]
    );
}

#[test]
fn messages_say_what_to_write_instead() {
    let got = problems(json!({"fact": "firm.size", "op": "lt", "value": "SMALL"}));
    assert!(got[0].1.contains("use eq, in"), "{got:?}");
    let got =
        problems(json!({"fact": "firm.exportValuePrevYearUsd", "op": "between", "value": [9, 1]}));
    assert!(got[0].1.contains("reversed"), "{got:?}");
}

#[test]
fn deep_and_huge_rules_are_refused() {
    let mut deep = json!({"all": []});
    for _ in 0..=MAX_DEPTH {
        deep = json!({"not": deep});
    }
    assert!(problems(deep).iter().any(|(_, m)| m.contains("deep")));
    let many: Vec<Value> = (0..=MAX_NODES)
        .map(|_| json!({"fact": "firm.foreignInvested", "op": "eq", "value": true}))
        .collect();
    assert!(
        problems(json!({"any": many}))
            .iter()
            .any(|(_, m)| m.contains("at most"))
    );
}

#[test]
fn unknown_keys_and_mixed_groups_are_refused() {
    assert_eq!(fields(json!({"all": [], "any": []})), ["eligibility"]);
    assert_eq!(
        fields(json!({"fact": "firm.size", "op": "eq", "value": "SMALL", "note": 1})),
        ["eligibility.note"]
    );
    assert_eq!(fields(json!([1])), ["eligibility"]);
}
