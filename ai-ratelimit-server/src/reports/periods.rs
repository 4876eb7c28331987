//! Report intervals: UTC days, ISO weeks (Monday to Sunday) and calendar months.

use chrono::{Datelike as _, Days, Months, NaiveDate};

/// The `interval` of a history report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(rename_all = "lowercase", example = "week")]
pub enum Interval {
    /// One UTC day.
    Day,
    /// One ISO week, Monday to Sunday.
    Week,
    /// One calendar month.
    Month,
}

impl Interval {
    /// Parses `day` | `week` | `month`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "day" => Some(Interval::Day),
            "week" => Some(Interval::Week),
            "month" => Some(Interval::Month),
            _ => None,
        }
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Day => "day",
            Interval::Week => "week",
            Interval::Month => "month",
        }
    }

    /// First day of the period containing `day`.
    pub fn start_of(self, day: NaiveDate) -> NaiveDate {
        match self {
            Interval::Day => day,
            Interval::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
            Interval::Month => day.with_day(1).unwrap_or(day),
        }
    }

    /// Last day of the period starting on `start`.
    pub fn last_day(self, start: NaiveDate) -> NaiveDate {
        match self {
            Interval::Day => start,
            Interval::Week => start + Days::new(6),
            Interval::Month => (start + Months::new(1)) - Days::new(1),
        }
    }

    /// The periods covering `from..=to`, each `(first day, last day)`: the first period
    /// starts on or before `from`, the last one ends on or after `to` (whole periods).
    pub fn periods(self, from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
        let mut out = Vec::new();
        let mut start = self.start_of(from);
        while start <= to {
            let last = self.last_day(start);
            out.push((start, last));
            match last.succ_opt() {
                Some(next) => start = next,
                None => break,
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn iso_weeks_start_on_monday_across_a_year_end() {
        // 2026-12-31 is a Thursday; its ISO week runs Monday 2026-12-28 to Sunday 2027-01-03.
        assert_eq!(Interval::Week.start_of(d("2026-12-31")), d("2026-12-28"));
        assert_eq!(Interval::Week.start_of(d("2027-01-03")), d("2026-12-28"));
        assert_eq!(Interval::Week.start_of(d("2027-01-04")), d("2027-01-04"));
        assert_eq!(
            Interval::Week.periods(d("2027-01-03"), d("2027-01-04")),
            vec![
                (d("2026-12-28"), d("2027-01-03")),
                (d("2027-01-04"), d("2027-01-10"))
            ]
        );
    }

    #[test]
    fn calendar_months_of_every_length() {
        assert_eq!(
            Interval::Month.periods(d("2028-01-31"), d("2028-03-01")),
            vec![
                (d("2028-01-01"), d("2028-01-31")),
                (d("2028-02-01"), d("2028-02-29")),
                (d("2028-03-01"), d("2028-03-31")),
            ]
        );
        assert_eq!(Interval::Month.last_day(d("2027-02-01")), d("2027-02-28"));
        assert_eq!(Interval::Month.last_day(d("2026-12-01")), d("2026-12-31"));
    }

    #[test]
    fn days_are_themselves() {
        assert_eq!(
            Interval::Day.periods(d("2026-03-09"), d("2026-03-10")),
            vec![
                (d("2026-03-09"), d("2026-03-09")),
                (d("2026-03-10"), d("2026-03-10"))
            ]
        );
        assert_eq!(Interval::parse("fortnight"), None);
    }
}
