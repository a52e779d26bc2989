use sea_orm::entity::prelude::*;

use crate::auth::Role;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_audit")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub policy_id: Uuid,
    pub version: i32,
    pub action: String,
    pub actor_role: Role,
    pub actor_subject: String,
    pub actor_department: Option<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub changes: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
