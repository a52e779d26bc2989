use sea_orm::entity::prelude::*;

use crate::outreach::Response;

/// One term of an acknowledgement's comment, with the acknowledgement's policy, firm, response and
/// time, so what firms say they need is counted by the database.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "need_term")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub acknowledgement_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub term: String,
    pub policy_id: Uuid,
    pub firm_uscc: String,
    pub response: Response,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
