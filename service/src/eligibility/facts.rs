//! A stored firm's facts, as rules look at them.

use rules::FirmFacts;

use crate::entity::firm;
use crate::error::{AppError, AppResult};
use crate::region::RegionCatalog;

/// [`stored_firm_facts`] of a firm that must have them: a firm is synced only with a region the
/// catalog holds, so one without is an internal error.
pub fn synced_firm_facts(model: &firm::Model, regions: &RegionCatalog) -> AppResult<FirmFacts> {
    stored_firm_facts(model, regions)
        .ok_or_else(|| AppError::internal_msg(format!("firm {} has an unknown region", model.uscc)))
}

/// The facts of a stored firm; `None` if its region is not in the catalog.
pub fn stored_firm_facts(model: &firm::Model, regions: &RegionCatalog) -> Option<FirmFacts> {
    let region = regions.parse(&model.region_code).ok()?;
    Some(FirmFacts {
        size: model.size.map(Into::into),
        industry: model.industry.clone(),
        customs_credit: model.customs_credit.map(Into::into),
        export_value_prev_year_usd: model.export_value_prev_year_usd,
        import_value_prev_year_usd: model.import_value_prev_year_usd,
        foreign_invested: model.foreign_invested,
        registered_on: model.registered_on,
        ..FirmFacts::in_region(region, regions)
    })
}

#[cfg(test)]
mod tests {
    use rules::sql::{FIRM_TABLE, FirmColumn};
    use sea_orm::{EntityName, IdenStatic, Iterable};

    use crate::entity::firm;

    #[test]
    fn the_columns_rules_compile_to_are_columns_of_the_firm_table() {
        assert_eq!(firm::Entity.table_name(), FIRM_TABLE);
        let columns: Vec<&str> = firm::Column::iter().map(|c| c.as_str()).collect();
        for column in FirmColumn::ALL {
            assert!(
                columns.contains(&column.name()),
                "{column:?}: no column {} in {columns:?}",
                column.name()
            );
        }
    }
}
