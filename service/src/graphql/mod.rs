//! What every domain's resolvers share, importing no domain: the request's context (who asks, in
//! which language, the handles the schema was built with), the scalars and pagination. The schema itself is assembled in `schema`.

mod context;
pub mod pagination;
mod scalars;
mod subscriber;

pub use crate::lang::Lang;
pub use context::{
    Provenance, RequestContext, base, dep, entity_or_null, lang, read_database, read_snapshot,
    viewer,
};
pub use scalars::Date;
pub use subscriber::{SlowSignal, Subscriber};
