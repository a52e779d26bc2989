//! GraphQL schema assembly: the per-domain query and mutation objects merged into one schema, the
//! handles its resolvers read, and the limits every request is held to before it runs.

mod documents;
mod lexical;
mod limits;
mod measure;
mod note;
mod telemetry;

use std::sync::Arc;

use async_graphql::{EmptySubscription, MergedObject, Schema};

pub use documents::Documents;
pub use limits::Limits;
pub use note::RequestNote;
pub use telemetry::{INVALID as INVALID_OPERATION, Operation, operation};

use crate::auth::AuthQuery;
use crate::config::Settings;
use crate::department::{DepartmentMutation, DepartmentQuery};
use crate::eligibility::EligibilityQuery;
use crate::firm::{FirmMutation, FirmQuery};
use crate::needs::NeedsQuery;
use crate::outreach::{
    OutreachMutation, OutreachQuery, OutreachService, OverviewQuery, ReportQuery,
};
use crate::policy::live::LiveCatalog;
use crate::policy::{PolicyMutation, PolicyQuery};
use crate::state::Base;

/// Every query, by domain.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    PolicyQuery,
    OutreachQuery,
    ReportQuery,
    OverviewQuery,
    NeedsQuery,
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

/// The handles resolvers read ([`crate::graphql::dep`]), one per kind.
pub struct Handles {
    pub base: Base,
    pub live: Arc<LiveCatalog>,
    pub outreach: Arc<OutreachService>,
}

/// Builds the schema with the limits from the settings.
pub fn build_schema(handles: Option<Handles>, settings: &Settings) -> AppSchema {
    let mut builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    // Admission (`Limits::admit`) refuses deeper documents first; this is async-graphql's own
    // guard, kept as a second line.
    .limit_recursive_depth(settings.graphql_max_nesting)
    // Checked in validation, reworded by `Limits::recode`. No extension: one would send every
    // field of every response through its hooks.
    .limit_depth(settings.graphql_max_depth)
    .limit_complexity(settings.graphql_max_complexity);
    if !settings.graphql_introspection {
        builder = builder.disable_introspection().disable_suggestions();
    }
    if let Some(handles) = handles {
        builder = builder
            .data(handles.base)
            .data(handles.live)
            .data(handles.outreach);
    }
    builder.finish()
}

/// The SDL of the schema, as `schema.graphql` holds it.
pub fn sdl() -> String {
    build_schema(None, &Settings::defaults()).sdl()
}
