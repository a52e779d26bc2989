//! What a resolver reads from its request: the caller, the language, and the handles the schema
//! was built with.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use async_graphql::Context;

use crate::auth::Viewer;
use crate::state::Base;

use crate::lang::Lang;

/// What one request carries: who is asking, in which language.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub viewer: Viewer,
    pub lang: Lang,
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

/// A handle the serving schema is always built with: [`Base`], the live catalog, a domain's
/// service. Only the schema that prints the SDL has none, and it resolves nothing.
pub fn dep<'a, T: Any + Send + Sync>(ctx: &Context<'a>) -> &'a T {
    ctx.data_unchecked::<T>()
}

/// The handles every service reads.
pub fn base<'a>(ctx: &Context<'a>) -> &'a Base {
    dep::<Base>(ctx)
}

/// Where a request's answer came from: the live catalog at one version, or (also) the database.
/// Resolvers that can answer from the snapshot say which they did; the transport keeps anonymous
/// answers that came from one snapshot alone, keyed by its version.
#[derive(Debug, Default)]
pub struct Provenance {
    /// The snapshot version read, or [`MIXED`] once the request read the database or a second
    /// version; [`NONE`] before anything was read.
    read: AtomicI64,
}

const NONE: i64 = i64::MIN;
const MIXED: i64 = i64::MAX;

impl Provenance {
    pub fn new() -> Provenance {
        Provenance {
            read: AtomicI64::new(NONE),
        }
    }

    /// The answer read snapshot `version`.
    pub fn snapshot(&self, version: i64) {
        let _ = self
            .read
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |read| {
                Some(if read == NONE || read == version {
                    version
                } else {
                    MIXED
                })
            });
    }

    /// The answer read the database.
    pub fn database(&self) {
        self.read.store(MIXED, Ordering::Release);
    }

    /// The snapshot version the whole answer came from, if it came from one alone.
    pub fn snapshot_only(&self) -> Option<i64> {
        match self.read.load(Ordering::Acquire) {
            NONE | MIXED => None,
            version => Some(version),
        }
    }
}

/// Notes that the request's answer read snapshot `version`.
pub fn read_snapshot(ctx: &Context<'_>, version: i64) {
    if let Some(provenance) = ctx.data_opt::<Arc<Provenance>>() {
        provenance.snapshot(version);
    }
}

/// Notes that the request's answer read the database.
pub fn read_database(ctx: &Context<'_>) {
    if let Some(provenance) = ctx.data_opt::<Arc<Provenance>>() {
        provenance.database();
    }
}

/// A federation entity the caller may not see, or that failed: null in `_entities`, its error
/// (`FORBIDDEN`, `UNAUTHENTICATED`, …) beside the others', so one refused entity does not null
/// every entity of the request.
pub fn entity_or_null<T>(ctx: &Context<'_>, found: async_graphql::Result<Option<T>>) -> Option<T> {
    match found {
        Ok(entity) => entity,
        Err(error) => {
            ctx.add_error(ctx.set_error_path(error.into_server_error(ctx.item.pos)));
            None
        }
    }
}
