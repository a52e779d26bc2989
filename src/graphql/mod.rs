//! GraphQL schema assembly: the per-domain query and mutation objects merged into one schema,
//! the shared scalars, and access to the request's state from resolvers.

mod lang;
mod lexical;
mod limits;
mod measure;
pub mod pagination;
mod scalars;
mod telemetry;

use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, MergedObject, Schema};
use sea_orm::DatabaseConnection;

pub use lang::Lang;
pub use limits::Limits;
pub use scalars::Date;
pub use telemetry::INVALID as INVALID_OPERATION;

use crate::auth::{AuthQuery, Viewer};
use crate::clock::Clock;
use crate::config::Settings;
use crate::department::{DepartmentMutation, DepartmentQuery};
use crate::eligibility::EligibilityQuery;
use crate::firm::{FirmMutation, FirmQuery};
use crate::outreach::acknowledge::Answers;
use crate::outreach::{Activity, OutreachMutation, OutreachQuery, Recorder, ReportQuery};
use crate::policy::live::LiveCatalog;
use crate::policy::{PolicyMutation, PolicyQuery};
use crate::region::RegionCatalog;

/// Every query, by domain.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    PolicyQuery,
    OutreachQuery,
    ReportQuery,
    EligibilityQuery,
    FirmQuery,
    DepartmentQuery,
    AuthQuery,
);

/// Every mutation, by domain.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    PolicyMutation,
    OutreachMutation,
    FirmMutation,
    DepartmentMutation,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// What every resolver may use, shared by all requests.
pub struct AppState {
    pub db: DatabaseConnection,
    pub regions: Arc<RegionCatalog>,
    pub settings: Arc<Settings>,
    pub clock: Arc<dyn Clock>,
    /// The published policies of this instance, in memory.
    pub live: Arc<LiveCatalog>,
    /// Records firms' filing times in the background.
    pub activity: Activity,
    /// Writes the presentations of filings, in batches.
    pub recorder: Recorder,
    /// Writes acknowledgements, in batches.
    pub answers: Answers,
}

/// What one request carries: who is asking, in which language.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub viewer: Viewer,
    pub lang: Lang,
}

/// Builds the schema with the limits from the settings.
pub fn build_schema(state: Option<Arc<AppState>>, settings: &Settings) -> AppSchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    // Admission (`Limits::admit`) refuses deeper documents first; this is async-graphql's own
    // guard, kept as a second line.
    .limit_recursive_depth(settings.graphql_max_nesting)
    .extension(telemetry::OperationName)
    .extension(Limits::new(settings));
    if !settings.graphql_introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    if let Some(state) = state {
        builder = builder.data(state);
    }
    builder.finish()
}

/// The SDL of the schema, as `schema.graphql` holds it.
pub fn sdl() -> String {
    build_schema(None, &Settings::defaults()).sdl()
}

/// The shared state. Present in every schema that serves requests.
pub fn state<'a>(ctx: &Context<'a>) -> &'a AppState {
    ctx.data_unchecked::<Arc<AppState>>()
}

/// The caller; anonymous when the request carried no context.
pub fn viewer<'a>(ctx: &Context<'a>) -> &'a Viewer {
    static ANONYMOUS: Viewer = Viewer::Anonymous;
    ctx.data_opt::<RequestContext>()
        .map_or(&ANONYMOUS, |r| &r.viewer)
}

/// The caller's language (from `Accept-Language`).
pub fn lang(ctx: &Context<'_>) -> Lang {
    ctx.data_opt::<RequestContext>()
        .map_or(Lang::Zh, |r| r.lang)
}
