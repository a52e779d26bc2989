//! What rules are evaluated on: a firm's facts and, during a filing, the declaration's.

use chrono::NaiveDate;

use crate::codes::{CountryCode, CustomsCode4, HsCode};
use crate::region::{RegionCatalog, RegionCode};
use crate::values::{CustomsCredit, Direction, FirmSize};

/// The facts of a firm that rules look at. Missing values make conditions on them UNKNOWN.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct FirmFacts {
    pub region: RegionCode,
    /// The region, then each division it lies in, up to the province.
    #[serde(skip)]
    pub lineage: Vec<RegionCode>,
    pub size: Option<FirmSize>,
    pub industry: Option<String>,
    pub customs_credit: Option<CustomsCredit>,
    pub export_value_prev_year_usd: Option<f64>,
    pub import_value_prev_year_usd: Option<f64>,
    pub foreign_invested: Option<bool>,
    pub registered_on: Option<NaiveDate>,
}

impl FirmFacts {
    /// The facts of a firm registered in `region`, with nothing else known yet.
    pub fn in_region(region: RegionCode, regions: &RegionCatalog) -> FirmFacts {
        FirmFacts {
            region,
            lineage: regions.self_and_ancestors(region).collect(),
            size: None,
            industry: None,
            customs_credit: None,
            export_value_prev_year_usd: None,
            import_value_prev_year_usd: None,
            foreign_invested: None,
            registered_on: None,
        }
    }

    /// Whether the firm is registered in `region` or inside it.
    pub fn is_within(&self, region: RegionCode) -> bool {
        self.lineage.contains(&region)
    }
}

/// The facts of the declaration being filed.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct DeclarationFacts {
    pub id: Option<String>,
    pub direction: Direction,
    pub trade_mode: Option<CustomsCode4>,
    pub country: Option<CountryCode>,
    pub port: Option<CustomsCode4>,
    pub hs_codes: Vec<HsCode>,
    /// The declared value, or the sum of the item values when it was not given.
    pub value_usd: Option<f64>,
}

/// Everything one evaluation looks at.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    pub firm: &'a FirmFacts,
    pub declaration: Option<&'a DeclarationFacts>,
}
