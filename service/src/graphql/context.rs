//! What a resolver reads from its request: the caller, the language, and the handles the schema
//! was built with.

use std::any::Any;

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
