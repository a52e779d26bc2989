//! The shape of the data set: how far back it goes, how much of it the flagship policy takes,
//! and weighted picks.

use rand::Rng;
use rand::rngs::StdRng;

/// Rows per multi-row insert of policies and their parts.
pub(super) const ROWS_PER_STATEMENT: usize = 1_000;
/// How many days back deliveries go.
pub(super) const DAYS_OF_HISTORY: i64 = 120;
/// The share of deliveries that go to the first policy, so one policy has most of them.
pub const FLAGSHIP_SHARE: f64 = 0.6;

/// One of `items`, each as likely as its weight.
pub(super) fn pick_weighted<'a, T>(rng: &mut StdRng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|i| i.1).sum();
    let mut n = rng.random_range(0..total);
    for (item, weight) in items {
        if n < *weight {
            return item;
        }
        n -= weight;
    }
    &items[0].0
}
