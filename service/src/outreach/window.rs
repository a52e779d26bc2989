//! A window of local days, as the instants a query compares times with.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;
use sea_orm::Condition;
use sea_orm::sea_query::{Expr, ExprTrait, SelectStatement};

use crate::error::{AppError, AppResult};

/// `[from, until)` in UTC, from dates in the configured zone; open ends are unbounded.
#[derive(Clone, Copy, Debug, Default)]
pub struct Window {
    pub from: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub from_day: Option<NaiveDate>,
    pub to_day: Option<NaiveDate>,
}

/// The first instant of local day `day` in `zone`: its midnight, or the end of a daylight-saving
/// gap that swallows midnight (clocks that jump from 23:59 to 01:00).
fn start_of(day: NaiveDate, zone: Tz) -> Option<DateTime<Utc>> {
    let midnight = day.and_hms_opt(0, 0, 0)?;
    (0..24 * 4)
        .map(|quarter| midnight + chrono::TimeDelta::minutes(15 * quarter))
        .find_map(|local| local.and_local_timezone(zone).earliest())
        .map(|t| t.with_timezone(&Utc))
}

impl Window {
    /// The instants between the start of `from` and the end of `to`, local days in `zone`.
    pub fn of_days(from: Option<NaiveDate>, to: Option<NaiveDate>, zone: Tz) -> AppResult<Window> {
        for (field, day) in [("from", from), ("to", to)] {
            if let Some(day) = day
                && !(1900..=9998).contains(&day.year())
            {
                return Err(AppError::field(
                    field,
                    format!("{day} is outside the years 1900 to 9998"),
                ));
            }
        }
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            return Err(AppError::field("to", format!("{to} is before from {from}")));
        }
        Ok(Window {
            from: from.and_then(|day| start_of(day, zone)),
            until: to
                .and_then(|d| d.succ_opt())
                .and_then(|day| start_of(day, zone)),
            from_day: from,
            to_day: to,
        })
    }

    pub fn is_unbounded(&self) -> bool {
        self.from.is_none() && self.until.is_none()
    }

    /// Keeps the rows of `query` whose `column` lies in the window.
    pub fn restrict(&self, query: &mut SelectStatement, column: Expr) {
        query.cond_where(self.holds(column));
    }

    /// That `column` lies in the window.
    pub fn holds(&self, column: Expr) -> Condition {
        let mut condition = Condition::all();
        if let Some(from) = self.from {
            condition = condition.add(column.clone().gte(from));
        }
        if let Some(until) = self.until {
            condition = condition.add(column.lt(until));
        }
        condition
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn a_day_whose_midnight_a_clock_change_skips_starts_when_the_clock_resumes() {
        // Santiago moved its clocks from 24:00 to 01:00 on 2022-09-11.
        let window = Window::of_days(
            Some(day("2022-09-11")),
            Some(day("2022-09-11")),
            Tz::America__Santiago,
        );
        let window = window.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            window.from.map(|t| t.to_rfc3339()).as_deref(),
            Some("2022-09-11T04:00:00+00:00")
        );
        assert_eq!(
            window.until.map(|t| t.to_rfc3339()).as_deref(),
            Some("2022-09-12T03:00:00+00:00")
        );
    }

    #[test]
    fn days_far_outside_any_record_are_refused_by_field() {
        let far = NaiveDate::MIN;
        let err = Window::of_days(None, Some(far), Tz::Asia__Shanghai)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("to: "), "{err}");
        let err = Window::of_days(Some(far), None, Tz::Asia__Shanghai)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("from: "), "{err}");
    }
}
