//! Request rates per client address and per token subject, each a token bucket that refills at the
//! configured rate and holds two seconds' worth. A request over either answers `RATE_LIMITED` with
//! `Retry-After`, before anything runs.

use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};

use super::HttpState;
use crate::auth::Viewer;
use crate::config::Settings;
use crate::error::AppError;

/// One limit: a bucket per key.
struct Limit<K: Hash + Eq + Clone> {
    buckets: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> Limit<K> {
    /// `None` when `per_second` is 0 (no limit).
    fn new(per_second: u32) -> Option<Limit<K>> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = rate.saturating_mul(NonZeroU32::new(2)?);
        Some(Limit {
            buckets: DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
        })
    }

    /// `Err(wait)` when `key` is over its rate.
    fn check(&self, key: &K) -> Result<(), Duration> {
        self.buckets
            .check_key(key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    fn forget_idle(&self) {
        self.buckets.retain_recent();
        self.buckets.shrink_to_fit();
    }
}

/// The limits of one instance.
pub struct RateLimits {
    per_ip: Option<Limit<IpAddr>>,
    per_subject: Option<Limit<(&'static str, String)>>,
}

impl RateLimits {
    pub fn new(settings: &Settings) -> Arc<RateLimits> {
        let limits = Arc::new(RateLimits {
            per_ip: Limit::new(settings.rate_limit_per_ip),
            per_subject: Limit::new(settings.rate_limit_per_subject),
        });
        // Buckets of clients gone quiet are full again: forget them, so memory stays bounded.
        let weak = Arc::downgrade(&limits);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(Duration::from_secs(60));
            loop {
                ticks.tick().await;
                let Some(limits) = weak.upgrade() else { return };
                if let Some(limit) = &limits.per_ip {
                    limit.forget_idle();
                }
                if let Some(limit) = &limits.per_subject {
                    limit.forget_idle();
                }
            }
        });
        limits
    }

    /// Counts a request of an authenticated viewer against its subject's rate.
    pub fn check_subject(&self, viewer: &Viewer) -> Result<(), AppError> {
        let (Some(limit), Some(subject)) = (&self.per_subject, viewer.subject()) else {
            return Ok(());
        };
        limit
            .check(&(viewer.role().as_str(), subject.to_owned()))
            .map_err(|wait| AppError::RateLimited { retry_after: wait })
    }
}

/// Middleware: counts each request against its client address.
pub async fn per_ip(
    State(state): State<Arc<HttpState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(limit) = &state.rate.per_ip
        && let Err(wait) = limit.check(&peer.ip())
    {
        return AppError::RateLimited { retry_after: wait }.into_response();
    }
    next.run(request).await
}
