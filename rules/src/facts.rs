//! What rules are evaluated on: a firm's facts and, during a filing, the declaration's.

use chrono::NaiveDate;
use serde::Deserialize;

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

/// Firm facts as a decision record stores them: what `FirmFacts` serializes to.
#[derive(serde::Deserialize)]
struct StoredFirm {
    region: String,
    size: Option<FirmSize>,
    industry: Option<String>,
    customs_credit: Option<CustomsCredit>,
    export_value_prev_year_usd: Option<f64>,
    import_value_prev_year_usd: Option<f64>,
    foreign_invested: Option<bool>,
    registered_on: Option<NaiveDate>,
}

/// Declaration facts as a decision record stores them.
#[derive(serde::Deserialize)]
struct StoredDeclaration {
    id: Option<String>,
    direction: Direction,
    trade_mode: Option<String>,
    country: Option<String>,
    port: Option<String>,
    #[serde(default)]
    hs_codes: Vec<String>,
    value_usd: Option<f64>,
}

impl FirmFacts {
    /// The facts a decision record stored (the serialized form), read back against `regions`:
    /// the region's lineage is the catalog's, as when they were evaluated.
    pub fn from_record(
        record: &serde_json::Value,
        regions: &RegionCatalog,
    ) -> Result<FirmFacts, String> {
        let stored = StoredFirm::deserialize(record).map_err(|e| format!("firm facts: {e}"))?;
        let region = regions.parse(&stored.region)?;
        Ok(FirmFacts {
            size: stored.size,
            industry: stored.industry,
            customs_credit: stored.customs_credit,
            export_value_prev_year_usd: stored.export_value_prev_year_usd,
            import_value_prev_year_usd: stored.import_value_prev_year_usd,
            foreign_invested: stored.foreign_invested,
            registered_on: stored.registered_on,
            ..FirmFacts::in_region(region, regions)
        })
    }
}

impl DeclarationFacts {
    /// The facts a decision record stored, read back.
    pub fn from_record(record: &serde_json::Value) -> Result<DeclarationFacts, String> {
        let stored = StoredDeclaration::deserialize(record)
            .map_err(|e| format!("declaration facts: {e}"))?;
        Ok(DeclarationFacts {
            id: stored.id,
            direction: stored.direction,
            trade_mode: stored
                .trade_mode
                .as_deref()
                .map(CustomsCode4::parse)
                .transpose()?,
            country: stored
                .country
                .as_deref()
                .map(CountryCode::parse)
                .transpose()?,
            port: stored
                .port
                .as_deref()
                .map(CustomsCode4::parse)
                .transpose()?,
            hs_codes: stored
                .hs_codes
                .iter()
                .map(|c| HsCode::parse(c))
                .collect::<Result<_, _>>()?,
            value_usd: stored.value_usd,
        })
    }
}
