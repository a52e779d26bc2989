//! The evaluator, fact by fact and operator by operator, and its explanations.

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::*;
use crate::region::RegionCatalog;
use crate::region::tests::shipped;
use crate::values::Lang;
use crate::values::{CustomsCredit, FirmSize};
use Outcome::{False as F, True as T, Unknown as U};

mod logic;
mod operators;
mod reasons;

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

#[test]
fn stored_facts_read_back_as_they_were_evaluated() {
    let regions = shipped();
    for firm in [firm(&regions, "440305"), bare(&regions, "440300")] {
        let stored = serde_json::to_value(&firm).unwrap();
        assert_eq!(FirmFacts::from_record(&stored, &regions).unwrap(), firm);
    }
    let declaration = export_declaration();
    let stored = serde_json::to_value(&declaration).unwrap();
    assert_eq!(DeclarationFacts::from_record(&stored).unwrap(), declaration);

    let unknown_region = json!({"region": "999999"});
    let error = FirmFacts::from_record(&unknown_region, &regions).unwrap_err();
    assert!(error.contains("999999"), "{error}");
    let bad_code = json!({"id": null, "direction": "EXPORT", "trade_mode": "01X0",
        "country": null, "port": null, "hs_codes": [], "value_usd": null});
    assert!(DeclarationFacts::from_record(&bad_code).is_err());
}
