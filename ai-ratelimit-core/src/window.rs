//! Usage windows: the periods that counters reset on.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// How long a usage counter lives before it resets. Every window starts on a UTC boundary.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Window {
    /// From the top of each UTC hour.
    Hour,
    /// From UTC midnight (the default, and what the HTTP API calls "daily").
    #[default]
    Day,
    /// From Monday 00:00 UTC (ISO week).
    Week,
    /// From the first day of the calendar month, 00:00 UTC.
    Month,
}

impl Window {
    /// The period of this window that contains `at`.
    pub fn period_at(self, at: DateTime<Utc>) -> Period {
        let date = at.date_naive();
        let start_date = match self {
            Window::Hour | Window::Day => date,
            Window::Week => date - Duration::days(i64::from(date.weekday().num_days_from_monday())),
            Window::Month => date.with_day(1).unwrap_or(date),
        };
        let hour = if self == Window::Hour { at.hour() } else { 0 };
        let start = Utc.from_utc_datetime(
            &start_date
                .and_hms_opt(hour, 0, 0)
                .unwrap_or_else(|| start_date.and_time(chrono::NaiveTime::MIN)),
        );
        Period {
            window: self,
            start,
        }
    }

    /// The lowercase name used in configuration and in period ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Window::Hour => "hour",
            Window::Day => "day",
            Window::Week => "week",
            Window::Month => "month",
        }
    }

    /// The adjective used in default messages ("Daily limit reached").
    pub fn adjective(self) -> &'static str {
        match self {
            Window::Hour => "Hourly",
            Window::Day => "Daily",
            Window::Week => "Weekly",
            Window::Month => "Monthly",
        }
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One concrete period of a [`Window`], e.g. the day 2026-11-28.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    window: Window,
    start: DateTime<Utc>,
}

impl Period {
    /// The day period that starts at midnight of `date`.
    pub fn day(date: NaiveDate) -> Self {
        Window::Day.period_at(Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN)))
    }

    /// The window this period belongs to.
    pub fn window(&self) -> Window {
        self.window
    }

    /// The first instant of the period.
    pub fn start(&self) -> DateTime<Utc> {
        self.start
    }

    /// The first instant after the period (when counters reset).
    pub fn end(&self) -> DateTime<Utc> {
        match self.window {
            Window::Hour => self.start + Duration::hours(1),
            Window::Day => self.start + Duration::days(1),
            Window::Week => self.start + Duration::weeks(1),
            Window::Month => {
                let d = self.start.date_naive();
                let (y, m) = if d.month() == 12 {
                    (d.year() + 1, 1)
                } else {
                    (d.year(), d.month() + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1)
                    .map(|n| Utc.from_utc_datetime(&n.and_time(chrono::NaiveTime::MIN)))
                    .unwrap_or(self.start + Duration::days(31))
            }
        }
    }

    /// The period's length in whole seconds (the `w` of `RateLimit-Policy`).
    pub fn length_seconds(&self) -> u64 {
        // Constants where the calendar does not matter: this runs on every response.
        match self.window {
            Window::Hour => 3_600,
            Window::Day => 86_400,
            Window::Week => 604_800,
            Window::Month => u64::try_from((self.end() - self.start).num_seconds()).unwrap_or(0),
        }
    }

    /// Whole seconds from `now` until the period ends, rounded up, at least 0.
    pub fn seconds_until_end(&self, now: DateTime<Utc>) -> u64 {
        seconds_until(self.end(), now)
    }

    /// The date the period starts on (the API's `periodStart`).
    pub fn start_date(&self) -> NaiveDate {
        self.start.date_naive()
    }

    /// A stable, human-readable id that stores use as part of their keys:
    /// `day:2026-11-28`, `hour:2026-11-28T13`, `week:2026-11-23`, `month:2026-11-01`.
    pub fn id(&self) -> String {
        match self.window {
            Window::Hour => format!("hour:{}", self.start.format("%Y-%m-%dT%H")),
            w => format!("{}:{}", w.as_str(), self.start.format("%Y-%m-%d")),
        }
    }

    /// The period that follows this one.
    pub fn next(&self) -> Period {
        self.window.period_at(self.end())
    }
}

/// Whole seconds from `now` until `end`, rounded up, at least 0 (plain millisecond
/// arithmetic: cheaper than a chrono `TimeDelta`, and this runs on every request).
pub(crate) fn seconds_until(end: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    let ms = end
        .timestamp_millis()
        .saturating_sub(now.timestamp_millis())
        .max(0);
    u64::try_from(ms).unwrap_or(0).div_ceil(1000)
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().expect("valid timestamp")
    }

    #[test]
    fn day_starts_at_utc_midnight() {
        let p = Window::Day.period_at(at("2026-11-28T23:59:59Z"));
        assert_eq!(p.start(), at("2026-11-28T00:00:00Z"));
        assert_eq!(p.end(), at("2026-11-29T00:00:00Z"));
        assert_eq!(p.id(), "day:2026-11-28");
        assert_eq!(p.length_seconds(), 86_400);
        assert_eq!(p.seconds_until_end(at("2026-11-28T23:59:59.2Z")), 1);
    }

    #[test]
    fn hour_week_and_month_boundaries() {
        let h = Window::Hour.period_at(at("2026-11-28T13:45:00Z"));
        assert_eq!(h.id(), "hour:2026-11-28T13");
        assert_eq!(h.end(), at("2026-11-28T14:00:00Z"));
        // 2026-11-28 is a Saturday; its ISO week starts Monday 2026-11-23.
        let w = Window::Week.period_at(at("2026-11-28T13:45:00Z"));
        assert_eq!(w.start(), at("2026-11-23T00:00:00Z"));
        assert_eq!(w.end(), at("2026-11-30T00:00:00Z"));
        for p in [h, w] {
            let length = (p.end() - p.start()).num_seconds();
            assert_eq!(p.length_seconds(), u64::try_from(length).expect("positive"));
        }
        assert_eq!(w.seconds_until_end(at("2026-11-29T23:59:58.5Z")), 2);
        let m = Window::Month.period_at(at("2026-12-31T23:00:00Z"));
        assert_eq!(m.start(), at("2026-12-01T00:00:00Z"));
        assert_eq!(m.end(), at("2027-01-01T00:00:00Z"));
        assert_eq!(m.next().id(), "month:2027-01-01");
        let feb = Window::Month.period_at(at("2028-02-10T00:00:00Z"));
        assert_eq!(feb.length_seconds(), 29 * 86_400);
    }
}
