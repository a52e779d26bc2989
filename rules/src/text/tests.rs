use serde_json::json;

use super::*;
use crate::parse::parse_rule;
use crate::region::tests::shipped;

fn text(rule: serde_json::Value, lang: Lang) -> String {
    let regions = shipped();
    let rule = parse_rule(&rule, "eligibility", &regions).unwrap_or_else(|e| panic!("{e:?}"));
    describe(&rule, &regions, lang)
}

#[test]
fn money_is_grouped_in_thousands() {
    assert_eq!(money(8_000_000.0, Lang::En), "US$8,000,000");
    assert_eq!(money(3_200_000.0, Lang::Zh), "3,200,000美元");
    assert_eq!(money(999.5, Lang::En), "US$999.50");
    assert_eq!(money(0.0, Lang::En), "US$0");
}

#[test]
fn the_shenzhen_rule_reads_as_a_sentence() {
    let rule = json!({"all": [
        {"fact": "firm.region", "op": "within", "value": "440300"},
        {"fact": "firm.exportValuePrevYearUsd", "op": "lt", "value": 8000000}
    ]});
    assert_eq!(
        text(rule.clone(), Lang::En),
        "registered in 深圳市 and previous-year exports below US$8,000,000"
    );
    assert_eq!(
        text(rule, Lang::Zh),
        "注册地在深圳市且上年出口额低于8,000,000美元"
    );
}

#[test]
fn nested_groups_are_bracketed_and_lists_read_as_alternatives() {
    let rule = json!({"all": [
        {"any": [
            {"fact": "firm.size", "op": "in", "value": ["MICRO", "SMALL"]},
            {"fact": "firm.foreignInvested", "op": "eq", "value": true}
        ]},
        {"not": {"fact": "declaration.hsCode", "op": "in", "value": ["8517", "8471"]}}
    ]});
    assert_eq!(
        text(rule, Lang::En),
        "(firm size is micro or small or foreign-invested) and not goods under 8517 or 8471"
    );
}

#[test]
fn the_empty_rule_is_every_firm() {
    assert_eq!(text(json!({"all": []}), Lang::En), "every firm");
    assert_eq!(text(json!({"all": []}), Lang::Zh), "所有企业");
}
