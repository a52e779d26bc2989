use sea_orm::entity::prelude::*;

/// A firm that a department's policies reached or heard from, kept over the policies listed for
/// the department in `department_reach_policy` (see `outreach::department_reach`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "department_reach")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub department_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub firm_uscc: String,
    /// One of the policies was delivered to the firm.
    pub reached: bool,
    /// The firm answered one of the policies.
    pub acknowledged: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
