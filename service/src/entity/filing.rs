use sea_orm::entity::prelude::*;

use crate::auth::Role;
use crate::outreach::Channel;

/// The filing ledger: one row per filing, or per external presentation to one firm, holding
/// the presentations it made for the first time.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "filing")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub firm_uscc: String,
    pub channel: Channel,
    /// Empty when there was no declaration.
    pub declaration_id: String,
    pub actor_role: Role,
    pub actor_subject: Option<String>,
    pub broker_uscc: Option<String>,
    pub note: Option<String>,
    /// The day the rules were evaluated; none for external channels.
    pub evaluated_on: Option<Date>,
    /// `{"firm": …, "declaration": …}`: the facts every presented rule was TRUE on.
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub facts: Option<Json>,
    /// `[[policy id, version, conditions matched or null], …]`
    /// ([`crate::outreach::deliveries::Shown`]).
    #[sea_orm(column_type = "JsonBinary")]
    pub presented: Json,
    /// How many times the filing's presentations were shown (repeats of its declaration).
    pub impressions: i32,
    pub filed_at: DateTimeUtc,
    pub last_shown_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
