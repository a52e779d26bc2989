//! A firm as GraphQL shows it, and its answers to policies: the two name each other.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, OpaqueCursor};
use async_graphql::{ComplexObject, Context, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use tokio::sync::OnceCell;
use uuid::Uuid;

use super::access::{Purpose, authorize};
use super::service;
use super::{CustomsCredit, FirmSize, Uscc};
use crate::auth::Role;
use crate::eligibility::{OutcomeValue, ReasonView, reason_views};
use crate::entity::{acknowledgement, firm};
use crate::error::AppError;
use crate::graphql::pagination::{CountedConnection, Page, TotalCount, page_size, resume_after};
use crate::graphql::{Date, base, lang, viewer};
use crate::outreach::deliveries::Recorded;
use crate::outreach::ledger::{self, Decided, Decision, DeliveryCursor, DeliveryFilter};
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

    /// The policies presented to the firm, newest first, each with why (the firm itself, SYSTEM,
    /// ADMIN); with `policyId`, that policy's only.
    #[graphql(complexity = "crate::graphql::pagination::cost(first, child_complexity)")]
    async fn deliveries(
        &self,
        ctx: &Context<'_>,
        policy_id: Option<ID>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<OpaqueCursor<DeliveryCursor>, Delivery, TotalCount>> {
        let viewer = viewer(ctx);
        let own = viewer.uscc().is_some_and(|u| u.as_str() == self.model.uscc)
            && viewer.role() == Role::Firm;
        if !own && !matches!(viewer.role(), Role::System | Role::Admin) {
            return Err(AppError::Forbidden.into());
        }
        let policy = policy_id
            .map(|id| crate::validate::policy_id("policyId", &id))
            .transpose()?;
        let filter = DeliveryFilter {
            policy,
            firm: Some(self.model.uscc.clone()),
            ..DeliveryFilter::default()
        };
        delivery_page(ctx, &filter, first, after, FirmAccess::Full).await
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

/// A policy presented to a firm on a channel. Read from a filing's answer, it loads what the
/// answer did not carry (who made it, impressions, the decision) from the ledger when asked.
pub struct Delivery {
    id: Uuid,
    filing: Uuid,
    policy_id: Uuid,
    policy_version: i32,
    firm_uscc: String,
    channel: Channel,
    declaration_id: String,
    delivered_at: DateTime<Utc>,
    /// How much of the firm (and its broker) the viewer sees here.
    access: FirmAccess,
    stored: OnceCell<Decided>,
}

impl Delivery {
    /// A delivery a filing just recorded, seen by whoever filed.
    pub fn recorded(r: &Recorded) -> Delivery {
        Delivery {
            id: r.id,
            filing: r.filing,
            policy_id: r.policy_id,
            policy_version: r.policy_version,
            firm_uscc: r.firm_uscc.clone(),
            channel: r.channel,
            declaration_id: r.declaration_id.clone(),
            delivered_at: r.delivered_at,
            access: FirmAccess::Full,
            stored: OnceCell::new(),
        }
    }

    /// A delivery read from the ledger with its decision.
    pub fn stored(decided: Decided, access: FirmAccess) -> Delivery {
        let d = &decided.delivery;
        Delivery {
            id: d.id,
            filing: d.filing,
            policy_id: d.policy_id,
            policy_version: d.policy_version,
            firm_uscc: d.firm_uscc.clone(),
            channel: d.channel,
            declaration_id: d.declaration_id.clone(),
            delivered_at: d.delivered_at,
            access,
            stored: OnceCell::new_with(Some(decided)),
        }
    }

    async fn load(&self, ctx: &Context<'_>) -> async_graphql::Result<&Decided> {
        let app = base(ctx);
        Ok(self
            .stored
            .get_or_try_init(|| async {
                ledger::one(
                    &app.db,
                    &app.regions,
                    self.filing,
                    self.policy_id,
                    self.policy_version,
                )
                .await?
                .ok_or_else(|| {
                    AppError::internal_msg(format!("delivery {} is not in the ledger", self.id))
                })
            })
            .await?)
    }
}

#[Object]
impl Delivery {
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    async fn channel(&self) -> Channel {
        self.channel
    }

    async fn policy_version(&self) -> i32 {
        self.policy_version
    }

    async fn declaration_id(&self) -> Option<&str> {
        Some(self.declaration_id.as_str()).filter(|d| !d.is_empty())
    }

    async fn delivered_at(&self) -> DateTime<Utc> {
        self.delivered_at
    }

    /// Who made the presentation: the firm filing, its broker, SYSTEM, or a department (or
    /// ADMIN) recording an external channel.
    async fn actor_role(&self, ctx: &Context<'_>) -> async_graphql::Result<Role> {
        Ok(self.load(ctx).await?.delivery.actor_role)
    }

    /// The broker that filed the declaration, when one did.
    async fn broker(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Firm>> {
        let Some(uscc) = self.load(ctx).await?.delivery.broker_uscc.clone() else {
            return Ok(None);
        };
        let uscc = Uscc::parse(&uscc).map_err(AppError::internal_msg)?;
        let access = if viewer(ctx).uscc() == Some(&uscc) {
            FirmAccess::Full
        } else {
            FirmAccess::Summary.for_viewer(viewer(ctx))
        };
        Ok(service::find(&base(ctx).db, &uscc)
            .await?
            .map(|b| Firm::new(b, access)))
    }

    /// How many times it was shown: a declaration filed again shows it again.
    async fn impressions(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        Ok(self.load(ctx).await?.delivery.impressions)
    }

    /// When it was last shown.
    async fn last_shown_at(&self, ctx: &Context<'_>) -> async_graphql::Result<DateTime<Utc>> {
        Ok(self.load(ctx).await?.delivery.last_shown_at)
    }

    /// The note recorded with a presentation on an external channel.
    async fn note(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        Ok(self.load(ctx).await?.delivery.note.clone())
    }

    /// The policy presented, at the version shown by default.
    async fn policy(&self, ctx: &Context<'_>) -> async_graphql::Result<Policy> {
        let app = base(ctx);
        let view = catalog::get(&app.db, &app.regions, viewer(ctx), self.policy_id, None)
            .await?
            .ok_or_else(|| {
                AppError::internal_msg(format!("delivered policy {} is gone", self.policy_id))
            })?;
        Ok(Policy(Arc::new(view)))
    }

    /// The firm it was presented to.
    async fn firm(&self, ctx: &Context<'_>) -> async_graphql::Result<Firm> {
        let uscc = Uscc::parse(&self.firm_uscc).map_err(AppError::internal_msg)?;
        let firm = service::find(&base(ctx).db, &uscc)
            .await?
            .ok_or_else(|| AppError::internal_msg(format!("firm {uscc} is gone")))?;
        Ok(Firm::new(firm, self.access))
    }

    /// Why it was made: the facts the service evaluated and the outcome of the version presented,
    /// evaluated again on them. None on external channels, where nothing was evaluated.
    async fn decision(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<DecisionView>> {
        Ok(self.load(ctx).await?.decision.clone().map(DecisionView))
    }
}

/// Why a policy was presented to a firm: what the service saw then.
pub struct DecisionView(Arc<Decision>);

#[Object(name = "Decision")]
impl DecisionView {
    /// The version presented.
    async fn policy_version(&self) -> i32 {
        self.0.policy_version
    }

    /// The version's rule on the recorded facts (TRUE: every presentation is of a match).
    async fn outcome(&self) -> OutcomeValue {
        self.0.outcome.into()
    }

    /// The day the rule was evaluated, in the configured zone.
    async fn evaluated_on(&self) -> Date {
        Date(self.0.evaluated_on)
    }

    /// How many of the rule's conditions the facts met then.
    async fn matched_conditions(&self) -> Option<i32> {
        self.0.matched_conditions
    }

    /// The firm's and the declaration's facts as evaluated, named as the rule language names them:
    /// `{"firm": {"exportValuePrevYearUsd": …}, "declaration": {"direction": …}}`.
    async fn facts(&self) -> serde_json::Value {
        self.0.facts_as_named()
    }

    /// One per condition of the version's rule, worded again in the caller's language from the
    /// stored rule and facts.
    async fn reasons(&self, ctx: &Context<'_>) -> Vec<ReasonView> {
        reason_views(self.0.reasons(&base(ctx).regions, lang(ctx)))
    }
}

/// A page of deliveries `filter` keeps, newest first, each showing the firm with `access`.
pub async fn delivery_page(
    ctx: &Context<'_>,
    filter: &DeliveryFilter,
    first: Option<i32>,
    after: Option<String>,
    access: FirmAccess,
) -> async_graphql::Result<Connection<OpaqueCursor<DeliveryCursor>, Delivery, TotalCount>> {
    let first = page_size(first)?;
    let after = resume_after::<DeliveryCursor>(after)?;
    let app = base(ctx);
    let limit = first as usize;
    let total = ledger::count(&app.db, filter).await?;
    let mut found = ledger::page(&app.db, &app.regions, filter, after, limit + 1).await?;
    let has_next = found.len() > limit;
    found.truncate(limit);
    let mut connection = Connection::with_additional_fields(
        after.is_some(),
        has_next,
        TotalCount {
            total_count: total as i64,
        },
    );
    connection
        .edges
        .extend(found.into_iter().map(|(cursor, decided)| {
            Edge::new(OpaqueCursor(cursor), Delivery::stored(decided, access))
        }));
    Ok(connection)
}
