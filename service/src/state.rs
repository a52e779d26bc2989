//! What every service reads, whatever its domain: the database, the region hierarchy, the clock
//! and the time zone that decides "today". Each domain's writers come beside it, not inside it.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::DatabaseConnection;

use crate::clock::Clock;
use crate::region::RegionCatalog;

/// Handles shared by every request; cloning one clones handles, not data.
#[derive(Clone)]
pub struct Base {
    pub db: DatabaseConnection,
    pub regions: Arc<RegionCatalog>,
    pub clock: Arc<dyn Clock>,
    /// The time zone of "today" (policies in effect) and of daily figures.
    pub zone: Tz,
}

impl Base {
    /// Now, to the microsecond both databases store.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now_micros()
    }

    /// Today in the configured time zone.
    pub fn today(&self) -> NaiveDate {
        self.clock.today(self.zone)
    }
}
