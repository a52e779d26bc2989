//! The time, injectable: "today" decides which policies are in effect, and tests move it.

use std::sync::Mutex;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

/// Where the service reads the time from.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Now, to the microsecond: what both databases store, so a time read back equals the one
    /// written.
    fn now_micros(&self) -> DateTime<Utc> {
        use chrono::{DurationRound, TimeDelta};
        let now = self.now();
        now.duration_trunc(TimeDelta::microseconds(1))
            .unwrap_or(now)
    }

    /// The date in `zone` now.
    fn today(&self, zone: Tz) -> NaiveDate {
        self.now().with_timezone(&zone).date_naive()
    }
}

/// The system clock.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told otherwise (for tests).
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_date_in_the_configured_zone() {
        let late_evening_utc = "2026-11-25T17:30:00Z".parse::<DateTime<Utc>>().unwrap();
        let clock = ManualClock::new(late_evening_utc);
        assert_eq!(clock.today(Tz::Asia__Shanghai).to_string(), "2026-11-26");
        assert_eq!(clock.today(Tz::UTC).to_string(), "2026-11-25");
    }
}
