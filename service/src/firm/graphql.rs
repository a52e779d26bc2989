//! A firm as GraphQL shows it, and its answers to policies: the two name each other.

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::access::{Purpose, authorize};
use super::service;
use super::{CustomsCredit, FirmSize, Uscc};
use crate::auth::Role;
use crate::entity::{acknowledgement, firm};
use crate::error::AppError;
use crate::graphql::pagination::{CountedConnection, Page};
use crate::graphql::{Date, base, viewer};
use crate::outreach::{Channel, Response, acknowledge};
use crate::policy::{Policy, catalog};
use crate::region::Region;

/// How much of a firm the viewer may see where the object was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FirmAccess {
    /// Who it is: code, name, region (a broker in another firm's list).
    Summary,
    /// Also its size and brokers (a department's list of firms it has not reached).
    Listing,
    /// Everything: the firm itself, a broker it entrusted, SYSTEM, ADMIN.
    Full,
}

impl FirmAccess {
    /// `self`, unless the viewer may read every firm in full (SYSTEM, ADMIN) wherever it meets one.
    pub fn for_viewer(self, viewer: &crate::auth::Viewer) -> FirmAccess {
        if matches!(viewer.role(), Role::System | Role::Admin) {
            FirmAccess::Full
        } else {
            self
        }
    }
}

/// A foreign-trade enterprise (brokers are firms too).
pub struct Firm {
    model: Arc<firm::Model>,
    access: FirmAccess,
    /// Brokers loaded with a list of firms, so each firm does not query its own.
    brokers: Option<Vec<firm::Model>>,
}

impl Firm {
    pub fn new(model: firm::Model, access: FirmAccess) -> Firm {
        Firm {
            model: Arc::new(model),
            access,
            brokers: None,
        }
    }

    /// A firm whose brokers were loaded with its list.
    pub fn with_brokers(model: firm::Model, access: FirmAccess, brokers: Vec<firm::Model>) -> Firm {
        Firm {
            brokers: Some(brokers),
            ..Firm::new(model, access)
        }
    }

    /// The value, if the viewer may see this part of the firm.
    fn shown<T>(&self, needed: FirmAccess, value: T) -> async_graphql::Result<T> {
        if self.access >= needed {
            Ok(value)
        } else {
            Err(AppError::Forbidden.into())
        }
    }
}

#[Object]
impl Firm {
    /// Unified social credit code.
    async fn uscc(&self) -> &str {
        &self.model.uscc
    }

    /// Customs registration code.
    async fn customs_code(&self) -> Option<&str> {
        self.model.customs_code.as_deref()
    }

    async fn name(&self) -> &str {
        &self.model.name
    }

    /// Where the firm is registered.
    async fn region(&self, ctx: &Context<'_>) -> async_graphql::Result<Region> {
        let regions = &base(ctx).regions;
        let code = regions
            .parse(&self.model.region_code)
            .map_err(AppError::internal_msg)?;
        Ok(Region::new(regions, code))
    }

    async fn size(&self) -> async_graphql::Result<Option<FirmSize>> {
        self.shown(FirmAccess::Listing, self.model.size)
    }

    /// GB/T 4754 industry code.
    async fn industry(&self) -> async_graphql::Result<Option<&str>> {
        self.shown(FirmAccess::Full, self.model.industry.as_deref())
    }

    async fn customs_credit(&self) -> async_graphql::Result<Option<CustomsCredit>> {
        self.shown(FirmAccess::Full, self.model.customs_credit)
    }

    async fn export_value_prev_year_usd(&self) -> async_graphql::Result<Option<f64>> {
        self.shown(FirmAccess::Full, self.model.export_value_prev_year_usd)
    }

    async fn import_value_prev_year_usd(&self) -> async_graphql::Result<Option<f64>> {
        self.shown(FirmAccess::Full, self.model.import_value_prev_year_usd)
    }

    async fn foreign_invested(&self) -> async_graphql::Result<Option<bool>> {
        self.shown(FirmAccess::Full, self.model.foreign_invested)
    }

    async fn registered_on(&self) -> async_graphql::Result<Option<Date>> {
        self.shown(FirmAccess::Full, self.model.registered_on.map(Date))
    }

    /// The customs brokers the firm has entrusted (who they are; their profiles need their own
    /// permission).
    async fn brokers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Firm>> {
        self.shown(FirmAccess::Listing, ())?;
        let brokers = match &self.brokers {
            Some(loaded) => loaded.clone(),
            None => service::brokers_of(&base(ctx).db, &self.model.uscc).await?,
        };
        let viewer = viewer(ctx);
        Ok(brokers
            .into_iter()
            .map(|b| {
                let own = viewer.uscc().is_some_and(|u| u.as_str() == b.uscc);
                let access = if own {
                    FirmAccess::Full
                } else {
                    FirmAccess::Summary.for_viewer(viewer)
                };
                Firm::new(b, access)
            })
            .collect())
    }

    /// The firm's responses to policies, newest first (the firm, brokers it entrusted, SYSTEM,
    /// ADMIN).
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn acknowledgements(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CountedConnection<Acknowledgement>> {
        self.shown(FirmAccess::Full, ())?;
        let page = Page::parse(first, after)?;
        let db = &base(ctx).db;
        let uscc = Uscc::parse(&self.model.uscc).map_err(AppError::internal_msg)?;
        authorize(db, viewer(ctx), &uscc, Purpose::ReadProfile).await?;
        let (rows, total) =
            acknowledge::of_firm(db, &self.model.uscc, page.offset, page.limit).await?;
        Ok(page.connection(rows.into_iter().map(Acknowledgement::from).collect(), total))
    }
}

/// A firm's or broker's response to a policy version.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Acknowledgement {
    id: ID,
    policy_version: i32,
    response: Response,
    channel: Channel,
    actor_role: Role,
    comment: Option<String>,
    declaration_id: Option<String>,
    created_at: DateTime<Utc>,
    #[graphql(skip)]
    row: Arc<acknowledgement::Model>,
}

impl From<acknowledgement::Model> for Acknowledgement {
    fn from(m: acknowledgement::Model) -> Acknowledgement {
        Acknowledgement {
            id: ID(m.id.to_string()),
            policy_version: m.policy_version,
            response: m.response,
            channel: m.channel,
            actor_role: m.actor_role,
            comment: m.comment.clone(),
            declaration_id: m.declaration_id.clone(),
            created_at: m.created_at,
            row: Arc::new(m),
        }
    }
}

#[ComplexObject]
impl Acknowledgement {
    /// The policy, at the version shown by default.
    async fn policy(&self, ctx: &Context<'_>) -> async_graphql::Result<Policy> {
        let app = base(ctx);
        let view = catalog::get(&app.db, &app.regions, viewer(ctx), self.row.policy_id, None)
            .await?
            .ok_or_else(|| {
                AppError::internal_msg(format!(
                    "acknowledged policy {} is gone",
                    self.row.policy_id
                ))
            })?;
        Ok(Policy(Arc::new(view)))
    }

    async fn firm(&self, ctx: &Context<'_>) -> async_graphql::Result<Firm> {
        let uscc = Uscc::parse(&self.row.firm_uscc).map_err(AppError::internal_msg)?;
        let firm = service::find(&base(ctx).db, &uscc)
            .await?
            .ok_or_else(|| AppError::internal_msg(format!("acknowledging firm {uscc} is gone")))?;
        Ok(Firm::new(firm, FirmAccess::Full))
    }
}
