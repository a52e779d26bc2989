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
