//! What the explanations say.

use super::*;

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
