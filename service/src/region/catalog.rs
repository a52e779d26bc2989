//! The region catalog, read from the database.

use std::sync::Arc;

use rules::RegionCatalog;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

use crate::entity::region;

/// Loads the `region` table.
pub async fn load(db: &DatabaseConnection) -> Result<Arc<RegionCatalog>, DbErr> {
    let rows = region::Entity::find().all(db).await?;
    Ok(Arc::new(RegionCatalog::from_rows(
        rows.into_iter()
            .map(|r| (r.code, r.name, r.level, r.parent_code)),
    )))
}
