use sea_orm::entity::prelude::*;

use crate::auth::Role;
use crate::outreach::Channel;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "delivery")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub policy_id: Uuid,
    pub policy_version: i32,
    pub firm_uscc: String,
    pub channel: Channel,
    /// Empty when the presentation had no declaration.
    pub declaration_id: String,
    pub actor_role: Role,
    pub actor_subject: Option<String>,
    pub broker_uscc: Option<String>,
    pub impressions: i32,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub decision: Option<Json>,
    pub note: Option<String>,
    pub delivered_at: DateTimeUtc,
    pub last_shown_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
