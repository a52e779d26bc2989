//! Policies' audiences, counted once and kept while nothing they depend on changes: the version
//! of the rule, the day (rules may read a firm's age) and the firms (a counter every sync bumps,
//! read on every use, so a sync on any instance is seen at once).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::NaiveDate;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use crate::error::AppResult;
use crate::firm::service::firms_version;

/// The most audiences kept; a department's overview of 500 policies fits many times over.
const KEPT: usize = 20_000;

/// What the firms looked like when an audience was counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FirmsStamp {
    pub day: NaiveDate,
    pub firms_version: i64,
}

impl FirmsStamp {
    /// The stamp now: one read of the firms' counter.
    pub async fn read(db: &DatabaseConnection, day: NaiveDate) -> AppResult<FirmsStamp> {
        Ok(FirmsStamp {
            day,
            firms_version: firms_version(db).await?,
        })
    }
}

/// Audiences by (policy, version), valid for one stamp.
#[derive(Default)]
pub struct Audiences(Mutex<Kept>);

#[derive(Default)]
struct Kept {
    stamp: Option<FirmsStamp>,
    counts: HashMap<(Uuid, i32), i64>,
}

impl Audiences {
    /// The audience of `policy` at `version` counted under `stamp`, if kept.
    pub fn get(&self, stamp: FirmsStamp, policy: Uuid, version: i32) -> Option<i64> {
        let kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if kept.stamp != Some(stamp) {
            return None;
        }
        kept.counts.get(&(policy, version)).copied()
    }

    /// Keeps audiences counted under `stamp`; those of an older stamp are dropped.
    pub fn keep(&self, stamp: FirmsStamp, counted: impl IntoIterator<Item = ((Uuid, i32), i64)>) {
        let mut kept = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if kept.stamp != Some(stamp) {
            kept.stamp = Some(stamp);
            kept.counts.clear();
        }
        for (key, count) in counted {
            if kept.counts.len() >= KEPT {
                kept.counts.clear();
            }
            kept.counts.insert(key, count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(day: u32, firms_version: i64) -> FirmsStamp {
        FirmsStamp {
            day: NaiveDate::from_ymd_opt(2026, 12, day).unwrap_or_default(),
            firms_version,
        }
    }

    #[test]
    fn an_audience_is_kept_until_a_firm_is_synced_or_the_day_changes() {
        let kept = Audiences::default();
        let policy = Uuid::nil();
        let now = stamp(3, 100);
        assert_eq!(kept.get(now, policy, 1), None);
        kept.keep(now, [((policy, 1), 42)]);
        assert_eq!(kept.get(now, policy, 1), Some(42));
        assert_eq!(kept.get(now, policy, 2), None, "another version");
        assert_eq!(kept.get(stamp(3, 101), policy, 1), None, "a firm synced");
        assert_eq!(kept.get(stamp(4, 100), policy, 1), None, "a new day");
        kept.keep(stamp(4, 100), [((policy, 2), 7)]);
        assert_eq!(kept.get(now, policy, 1), None, "older counts dropped");
        assert_eq!(kept.get(stamp(4, 100), policy, 2), Some(7));
    }
}
