//! Reading and writing departments.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};

use super::DepartmentCode;
use crate::auth::{Role, Viewer};
use crate::db::begin_write;
use crate::entity::department;
use crate::error::{AppError, AppResult, InputErrors};
use crate::policy::live::bump_catalog;
use crate::region::{RegionCatalog, RegionCode};
use crate::text::Name;

/// A department's name, in either language.
pub type DepartmentName = Name<200>;

/// A validated department.
#[derive(Clone, Debug)]
pub struct DepartmentRecord {
    pub code: DepartmentCode,
    pub name_zh: DepartmentName,
    pub name_en: Option<DepartmentName>,
    pub region: Option<RegionCode>,
}

/// Validates the fields of a `DepartmentInput`, naming them `input.code` and so on.
pub fn validate(
    regions: &RegionCatalog,
    code: &str,
    name_zh: &str,
    name_en: Option<&str>,
    region: Option<&str>,
) -> Result<DepartmentRecord, InputErrors> {
    let mut errors = InputErrors::default();
    let code = errors.check("input.code", DepartmentCode::parse(code));
    let name_zh = errors.check("input.nameZh", DepartmentName::parse(name_zh));
    let name_en = errors.check_optional("input.nameEn", DepartmentName::parse_optional(name_en));
    let region = region.and_then(|r| errors.check("input.region", regions.parse(r)));
    match (code, name_zh) {
        (Some(code), Some(name_zh)) if errors.is_empty() => Ok(DepartmentRecord {
            code,
            name_zh,
            name_en,
            region,
        }),
        _ => Err(errors),
    }
}

/// Creates the department or replaces its names and region, and tells every instance's live
/// catalog.
pub async fn upsert(
    db: &DatabaseConnection,
    record: &DepartmentRecord,
    now: DateTime<Utc>,
) -> AppResult<department::Model> {
    let txn = begin_write(db).await?;
    department::Entity::insert(department::ActiveModel {
        code: Set(record.code.to_string()),
        name_zh: Set(record.name_zh.as_str().to_owned()),
        name_en: Set(record.name_en.clone().map(String::from)),
        region_code: Set(record.region.map(|r| r.to_string())),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(department::Column::Code)
            .update_columns([
                department::Column::NameZh,
                department::Column::NameEn,
                department::Column::RegionCode,
                department::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let saved = department::Entity::find_by_id(record.code.as_str())
        .one(&txn)
        .await?
        .ok_or_else(|| AppError::internal_msg("department vanished after upsert"))?;
    // Policies show their issuers' names: the live catalog reloads them.
    bump_catalog(&txn).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Departments by code, in the order asked.
pub async fn by_codes(
    db: &DatabaseConnection,
    codes: &[String],
) -> AppResult<Vec<department::Model>> {
    let found = department::Entity::find()
        .filter(department::Column::Code.is_in(codes.iter().map(String::as_str)))
        .all(db)
        .await?;
    Ok(codes
        .iter()
        .filter_map(|c| found.iter().find(|d| &d.code == c).cloned())
        .collect())
}

/// Every department, by code.
pub async fn all(db: &DatabaseConnection) -> AppResult<Vec<department::Model>> {
    Ok(department::Entity::find()
        .order_by_asc(department::Column::Code)
        .all(db)
        .await?)
}

/// Whether a department with this code exists.
pub async fn exists(db: &DatabaseConnection, code: &DepartmentCode) -> AppResult<bool> {
    Ok(department::Entity::find_by_id(code.as_str())
        .one(db)
        .await?
        .is_some())
}

/// The department a department-wide read is about: a DEPARTMENT reads its own (naming another is
/// `FORBIDDEN`), ADMIN and SYSTEM name one that exists; nobody else reads any.
pub async fn for_reader(
    db: &DatabaseConnection,
    viewer: &Viewer,
    named: Option<&str>,
) -> AppResult<DepartmentCode> {
    viewer.require(&[Role::Department, Role::System, Role::Admin])?;
    let named = named
        .map(|code| DepartmentCode::parse(code).map_err(|e| AppError::field("department", e)))
        .transpose()?;
    match (viewer, named) {
        (Viewer::Department { department, .. }, None) => Ok(department.clone()),
        (Viewer::Department { department, .. }, Some(named)) if &named == department => Ok(named),
        (Viewer::Department { .. }, Some(_)) => Err(AppError::Forbidden),
        (_, None) => Err(AppError::field(
            "department",
            "required: SYSTEM and ADMIN name the department",
        )),
        (_, Some(named)) => {
            if exists(db, &named).await? {
                Ok(named)
            } else {
                Err(AppError::NotFound(format!(
                    "no department {}",
                    named.as_str()
                )))
            }
        }
    }
}
