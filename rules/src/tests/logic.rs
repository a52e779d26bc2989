//! Regions, scopes, groups and missing facts: how conditions combine.

use super::*;

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
