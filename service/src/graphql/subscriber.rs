//! What subscriptions share: a broadcast of changes followed as a stream, and the signal a
//! subscriber raises when it fell too far behind, on which its connection is closed rather than
//! buffered without end.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_graphql::Context;
use futures::Stream;
use tokio::sync::{Notify, broadcast};

/// Raised by a subscription of a connection that missed changes because it did not read them in
/// time; the WebSocket transport then closes the connection.
#[derive(Default)]
pub struct SlowSignal {
    raised: AtomicBool,
    notify: Notify,
}

impl SlowSignal {
    pub fn raise(&self) {
        self.raised.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    /// Resolves once the signal is raised.
    pub async fn raised(&self) {
        loop {
            let notified = self.notify.notified();
            if self.raised.load(Ordering::Acquire) {
                return;
            }
            notified.await;
        }
    }
}

/// A subscription's follower of a broadcast.
pub struct Subscriber {
    slow: Option<Arc<SlowSignal>>,
}

impl Subscriber {
    /// The subscriber of this request (its connection's signal, if it has one).
    pub fn of(ctx: &Context<'_>) -> Subscriber {
        Subscriber {
            slow: ctx.data_opt::<Arc<SlowSignal>>().cloned(),
        }
    }

    /// Each item of `changes` through `answer`, which keeps it (`Some`) or passes (`None`). A
    /// subscriber that falls more than the broadcast's buffer behind ends, and raises its
    /// connection's signal.
    pub fn follow<T, E, F, Fut>(
        self,
        changes: broadcast::Receiver<T>,
        answer: F,
    ) -> impl Stream<Item = async_graphql::Result<E>> + Send + 'static
    where
        T: Clone + Send + 'static,
        E: Send + 'static,
        F: FnMut(T) -> Fut + Send + 'static,
        Fut: Future<Output = Option<async_graphql::Result<E>>> + Send,
    {
        futures::stream::unfold(
            (changes, answer, self.slow),
            |(mut changes, mut answer, slow)| async move {
                loop {
                    match changes.recv().await {
                        Ok(change) => {
                            if let Some(item) = answer(change).await {
                                return Some((item, (changes, answer, slow)));
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            tracing::info!(missed, "a subscriber fell behind; closing it");
                            // Its connection is closed (4429) rather than the subscription
                            // completed as if nothing was missed.
                            if let Some(slow) = &slow {
                                slow.raise();
                                std::future::pending::<()>().await;
                            }
                            return None;
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        )
    }
}
