//! `FirmInput` and its validation into rows that can only be valid.

use std::collections::{HashMap, HashSet};

use async_graphql::InputObject;
use chrono::NaiveDate;

use super::{CustomsCredit, FirmSize, Uscc};
use crate::error::InputErrors;
use crate::graphql::Date;
use crate::region::{RegionCatalog, RegionCode};
use crate::text::Name;
use crate::validate;
use rules::validate_industry;

/// A firm's registered name.
pub type FirmName = Name<200>;

/// Most firms one `upsertFirms` call may carry.
pub const MAX_FIRMS_PER_CALL: usize = 1000;
/// Most brokers one firm may list.
pub const MAX_BROKERS_PER_FIRM: usize = 50;

/// A firm as the single-window backend knows it.
#[derive(InputObject, Clone, Debug)]
pub struct FirmInput {
    /// Unified social credit code (18 characters, GB 32100-2015).
    pub uscc: String,
    /// Customs registration code (10 characters).
    pub customs_code: Option<String>,
    pub name: String,
    /// GB/T 2260 code of the county, prefecture or province the firm is registered in.
    pub region: String,
    pub size: Option<FirmSize>,
    /// GB/T 4754 industry code: a section letter and up to four digits (C3911).
    pub industry: Option<String>,
    pub customs_credit: Option<CustomsCredit>,
    pub export_value_prev_year_usd: Option<f64>,
    pub import_value_prev_year_usd: Option<f64>,
    pub foreign_invested: Option<bool>,
    pub registered_on: Option<Date>,
    /// USCCs of the customs brokers the firm has entrusted; replaces the list. Absent: unchanged.
    pub brokers: Option<Vec<String>>,
}

/// A validated firm, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct FirmRecord {
    /// Where the caller put it in `firms`, for errors found after the records are reordered.
    pub row: usize,
    pub uscc: Uscc,
    pub customs_code: Option<String>,
    pub name: FirmName,
    pub region: RegionCode,
    pub province: RegionCode,
    pub prefecture: Option<RegionCode>,
    pub size: Option<FirmSize>,
    pub industry: Option<String>,
    pub customs_credit: Option<CustomsCredit>,
    pub export_value_prev_year_usd: Option<f64>,
    pub import_value_prev_year_usd: Option<f64>,
    pub foreign_invested: Option<bool>,
    pub registered_on: Option<NaiveDate>,
    pub brokers: Option<Vec<Uscc>>,
}

/// Validates a whole call, naming every bad row and field (`firms[3].region`).
pub fn validate_all(
    inputs: Vec<FirmInput>,
    regions: &RegionCatalog,
) -> Result<Vec<FirmRecord>, InputErrors> {
    let mut errors = InputErrors::default();
    if inputs.is_empty() {
        errors.push("firms", "give at least one firm");
    }
    if inputs.len() > MAX_FIRMS_PER_CALL {
        errors.push(
            "firms",
            format!(
                "at most {MAX_FIRMS_PER_CALL} firms a call, got {}; split the list",
                inputs.len()
            ),
        );
        return Err(errors);
    }
    let mut first_row: HashMap<String, usize> = HashMap::new();
    let mut records = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.into_iter().enumerate() {
        if let Some(first) = first_row.insert(input.uscc.clone(), i) {
            errors.push(
                format!("firms[{i}].uscc"),
                format!("the same firm is already at firms[{first}]; send each firm once"),
            );
        }
        if let Some(record) = validate(input, i, regions, &mut errors) {
            records.push(record);
        }
    }
    errors.into_result(records)
}

fn validate(
    input: FirmInput,
    row: usize,
    regions: &RegionCatalog,
    errors: &mut InputErrors,
) -> Option<FirmRecord> {
    let path = format!("firms[{row}]");
    let at = |field: &str| format!("{path}.{field}");
    let uscc = errors.check(at("uscc"), Uscc::parse(&input.uscc));
    let customs_code = input
        .customs_code
        .and_then(|c| errors.check(at("customsCode"), customs_code(&c)));
    let name = errors.check(at("name"), FirmName::parse(&input.name));
    let region = errors.check(at("region"), regions.parse(&input.region));
    let industry = input
        .industry
        .and_then(|c| errors.check(at("industry"), validate_industry(&c)));
    let export = check_value(
        errors,
        at("exportValuePrevYearUsd"),
        input.export_value_prev_year_usd,
    );
    let import = check_value(
        errors,
        at("importValuePrevYearUsd"),
        input.import_value_prev_year_usd,
    );
    let brokers = input.brokers.map(|list| {
        if list.len() > MAX_BROKERS_PER_FIRM {
            errors.push(
                at("brokers"),
                format!("at most {MAX_BROKERS_PER_FIRM} brokers per firm"),
            );
        }
        let mut seen = HashSet::new();
        list.iter()
            .enumerate()
            .filter_map(|(j, text)| {
                let field = format!("{path}.brokers[{j}]");
                let broker = errors.check(field.clone(), Uscc::parse(text))?;
                if Some(&broker) == uscc.as_ref() {
                    errors.push(field, "a firm cannot be its own broker");
                    return None;
                }
                if !seen.insert(broker.clone()) {
                    errors.push(field, "listed twice");
                    return None;
                }
                Some(broker)
            })
            .collect()
    });
    let region = region?;
    Some(FirmRecord {
        row,
        uscc: uscc?,
        customs_code,
        name: name?,
        province: regions.province_of(region),
        prefecture: regions.prefecture_of(region),
        region,
        size: input.size,
        industry,
        customs_credit: input.customs_credit,
        export_value_prev_year_usd: export?,
        import_value_prev_year_usd: import?,
        foreign_invested: input.foreign_invested,
        registered_on: input.registered_on.map(|d| d.0),
        brokers,
    })
}

fn check_value(errors: &mut InputErrors, field: String, value: Option<f64>) -> Option<Option<f64>> {
    match value {
        None => Some(None),
        Some(v) => errors.check(field, validate::usd(v)).map(Some),
    }
}

fn customs_code(text: &str) -> Result<String, String> {
    let ok = text.len() == 10
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a customs registration code: 10 digits or capital letters"
        ))
    }
}
