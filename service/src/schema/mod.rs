//! GraphQL schema assembly: the per-domain query and mutation objects merged into one schema, the
//! handles its resolvers read, and the limits every request is held to before it runs.

mod documents;
mod lexical;
mod limits;
mod measure;
mod note;
mod telemetry;

use std::sync::Arc;

use async_graphql::{
    MergedObject, MergedSubscription, ObjectType, SDLExportOptions, Schema, SchemaBuilder,
    SubscriptionType,
};

pub use documents::Documents;
pub use limits::Limits;
pub use note::RequestNote;
pub use telemetry::{INVALID as INVALID_OPERATION, Operation, operation};

use crate::auth::AuthQuery;
use crate::config::Settings;
use crate::department::{DepartmentEntities, DepartmentMutation, DepartmentQuery};
use crate::eligibility::EligibilityQuery;
use crate::firm::{FirmEntities, FirmMutation, FirmQuery};
use crate::needs::NeedsQuery;
use crate::outreach::{
    DeclarationEntities, OutreachMutation, OutreachQuery, OutreachService, OutreachSubscription,
    OverviewQuery, ReportQuery,
};
use crate::policy::live::LiveCatalog;
use crate::policy::{PolicyEntities, PolicyMutation, PolicyQuery, PolicySubscription};
use crate::state::Base;

/// The two query roots, from one list of the domains' queries: the one the service serves, with
/// the federation entities behind `_entities`, and the one clients see (`schema.graphql`).
macro_rules! query_roots {
    ($($domain:ident),+ $(,)?) => {
        /// Every query, by domain.
        #[derive(MergedObject, Default)]
        #[graphql(name = "Query")]
        pub struct QueryRoot($($domain,)+ Entities);

        /// Every query, by domain.
        #[derive(MergedObject, Default)]
        #[graphql(name = "Query")]
        pub struct PlainQueryRoot($($domain),+);
    };
}

query_roots!(
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

/// The entities a federation gateway resolves here: `Policy` by `id`, `Firm` by `uscc`,
/// `Department` by `code`, and the single window's `Declaration` by `id`, to which this
/// service adds `applicablePolicies`.
#[derive(MergedObject, Default)]
pub struct Entities(
    PolicyEntities,
    FirmEntities,
    DepartmentEntities,
    DeclarationEntities,
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

/// Every subscription, by domain (over `/graphql/ws`).
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct SubscriptionRoot(PolicySubscription, OutreachSubscription);

pub type AppSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// The handles resolvers read ([`crate::graphql::dep`]), one per kind.
pub struct Handles {
    pub base: Base,
    pub live: Arc<LiveCatalog>,
    pub outreach: Arc<OutreachService>,
}

/// Builds the schema with the limits from the settings: a federation subgraph (`_service`,
/// `_entities`) whose root types are `Query` and `Mutation`.
pub fn build_schema(handles: Option<Handles>, settings: &Settings) -> AppSchema {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    )
    .enable_federation();
    let mut builder = limited(builder, settings);
    if let Some(handles) = handles {
        builder = builder
            .data(handles.base)
            .data(handles.live)
            .data(handles.outreach);
    }
    builder.finish()
}

/// The limits every request is held to, and introspection as configured.
fn limited<Q, M, S>(builder: SchemaBuilder<Q, M, S>, settings: &Settings) -> SchemaBuilder<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let builder = builder
        // Admission (`Limits::admit`) refuses deeper documents first; this is async-graphql's
        // own guard, kept as a second line.
        .limit_recursive_depth(settings.graphql_max_nesting)
        // Checked in validation, reworded by `Limits::recode`. No extension: one would send
        // every field of every response through its hooks.
        .limit_depth(settings.graphql_max_depth)
        .limit_complexity(settings.graphql_max_complexity);
    if settings.graphql_introspection {
        builder
    } else {
        builder.disable_introspection().disable_suggestions()
    }
}

/// The SDL of the schema as clients see it, as `schema.graphql` holds it: without what
/// federation adds.
pub fn sdl() -> String {
    let plain = Schema::build(
        PlainQueryRoot::default(),
        MutationRoot::default(),
        SubscriptionRoot::default(),
    );
    limited(plain, &Settings::defaults()).finish().sdl()
}

/// The subgraph SDL a federation gateway composes (`export-schema --federation`): Federation
/// v2 `@link`, `@key` on the entities, `@external` and `@requires` on `Declaration`.
pub fn federation_sdl() -> String {
    build_schema(None, &Settings::defaults()).sdl_with_options(SDLExportOptions::new().federation())
}
