use async_graphql::{ComplexObject, Context, Object, SimpleObject};

use super::service::{self, FirmInput};
use super::{CustomsCredit, FirmSize, Uscc};
use crate::auth::Role;
use crate::entity::firm;
use crate::error::AppError;
use crate::graphql::pagination::{CountedConnection, Page};
use crate::graphql::{Date, state, viewer};
use crate::outreach::Acknowledgement;
use crate::outreach::acknowledge;
use crate::region::Region;

/// A foreign-trade enterprise (brokers are firms too).
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Firm {
    pub uscc: String,
    pub customs_code: Option<String>,
    pub name: String,
    #[graphql(skip)]
    pub region_code: String,
    pub size: Option<FirmSize>,
    pub industry: Option<String>,
    pub customs_credit: Option<CustomsCredit>,
    pub export_value_prev_year_usd: Option<f64>,
    pub import_value_prev_year_usd: Option<f64>,
    pub foreign_invested: Option<bool>,
    pub registered_on: Option<Date>,
}

impl From<firm::Model> for Firm {
    fn from(m: firm::Model) -> Firm {
        Firm {
            uscc: m.uscc,
            customs_code: m.customs_code,
            name: m.name,
            region_code: m.region_code,
            size: m.size,
            industry: m.industry,
            customs_credit: m.customs_credit,
            export_value_prev_year_usd: m.export_value_prev_year_usd,
            import_value_prev_year_usd: m.import_value_prev_year_usd,
            foreign_invested: m.foreign_invested,
            registered_on: m.registered_on.map(Date),
        }
    }
}

#[ComplexObject]
impl Firm {
    /// Where the firm is registered.
    async fn region(&self, ctx: &Context<'_>) -> async_graphql::Result<Region> {
        let regions = &state(ctx).regions;
        let code = regions
            .parse(&self.region_code)
            .map_err(AppError::internal_msg)?;
        Ok(Region::new(regions, code))
    }

    /// The firm's responses to policies, newest first (the firm, brokers it entrusted, SYSTEM,
    /// ADMIN).
    async fn acknowledgements(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CountedConnection<Acknowledgement>> {
        let page = Page::parse(first, after)?;
        let db = &state(ctx).db;
        let uscc = Uscc::parse(&self.uscc).map_err(AppError::internal_msg)?;
        // Reachable through other firms' broker lists: check again here.
        service::authorize_read(db, viewer(ctx), &uscc).await?;
        let (rows, total) = acknowledge::of_firm(db, &self.uscc, page.offset, page.limit).await?;
        Ok(page.connection(rows.into_iter().map(Acknowledgement::from).collect(), total))
    }

    /// The customs brokers the firm has entrusted.
    async fn brokers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Firm>> {
        let brokers = service::brokers_of(&state(ctx).db, &self.uscc).await?;
        Ok(brokers.into_iter().map(Firm::from).collect())
    }
}

/// Firm reads.
#[derive(Default)]
pub struct FirmQuery;

#[Object]
impl FirmQuery {
    /// A firm's profile: the firm itself, a broker it entrusted, SYSTEM and ADMIN.
    async fn firm(&self, ctx: &Context<'_>, uscc: String) -> async_graphql::Result<Option<Firm>> {
        let uscc = Uscc::parse(&uscc).map_err(|e| AppError::field("uscc", e))?;
        let db = &state(ctx).db;
        service::authorize_read(db, viewer(ctx), &uscc).await?;
        Ok(service::find(db, &uscc).await?.map(Firm::from))
    }
}

/// How many firms a sync created and updated.
#[derive(SimpleObject)]
pub struct UpsertFirmsResult {
    created: i32,
    updated: i32,
}

/// Firm sync.
#[derive(Default)]
pub struct FirmMutation;

#[Object]
impl FirmMutation {
    /// Creates or updates up to 1000 firms, all or nothing (SYSTEM, ADMIN).
    async fn upsert_firms(
        &self,
        ctx: &Context<'_>,
        firms: Vec<FirmInput>,
    ) -> async_graphql::Result<UpsertFirmsResult> {
        viewer(ctx).require(&[Role::System, Role::Admin])?;
        let app = state(ctx);
        let counts = service::upsert(&app.db, &app.regions, firms).await?;
        Ok(UpsertFirmsResult {
            created: counts.created as i32,
            updated: counts.updated as i32,
        })
    }
}
