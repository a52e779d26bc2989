use sea_orm::entity::prelude::*;

use crate::auth::Role;
use crate::outreach::{Channel, Response};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "acknowledgement")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub policy_id: Uuid,
    pub policy_version: i32,
    pub firm_uscc: String,
    pub response: Response,
    pub channel: Channel,
    pub actor_role: Role,
    pub actor_subject: String,
    pub actor_uscc: Option<String>,
    pub comment: Option<String>,
    pub declaration_id: Option<String>,
    pub idempotency_key: String,
    pub request_fingerprint: String,
    pub created_at: DateTimeUtc,
    /// Which extraction wrote the comment's terms ([`crate::needs::TERMS_VERSION`]); none before
    /// its terms were extracted.
    pub terms_version: Option<i16>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
