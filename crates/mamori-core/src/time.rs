//! Times as they are shown and typed in Japan. A time is stored as milliseconds since the Unix
//! epoch (UTC) and shown in Japan Standard Time (JST, UTC+9, no daylight saving). This module only
//! formats and parses: the current time comes from a [`crate::Clock`].

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveTime, SecondsFormat};

/// Japan Standard Time, in which every time is shown.
pub const JST: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("+09:00 is a valid offset"),
};

/// One day in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// A moment in JST; `None` beyond the years chrono represents (about ±262,000).
pub fn in_jst(ms: i64) -> Option<DateTime<FixedOffset>> {
    DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&JST))
}

/// `2026-11-25 09:00:00`, as the pages show a time; empty for a moment [`in_jst`] cannot hold.
pub fn format_jst(ms: i64) -> String {
    in_jst(ms)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_default()
}

/// `2026-11-25T09:00:00.000+09:00` (RFC 3339, milliseconds), as the API gives a time; empty for a
/// moment [`in_jst`] cannot hold.
pub fn rfc3339_jst(ms: i64) -> String {
    in_jst(ms)
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, false))
        .unwrap_or_default()
}

/// The calendar day in Japan of a moment.
pub fn jst_date(ms: i64) -> Option<NaiveDate> {
    in_jst(ms).map(|t| t.date_naive())
}

/// Midnight at the start of `date` in Japan, in milliseconds since the epoch.
pub fn jst_midnight(date: NaiveDate) -> i64 {
    date.and_time(NaiveTime::MIN).and_utc().timestamp_millis()
        - i64::from(JST.local_minus_utc()) * 1000
}

/// A day typed as `YYYY-MM-DD`, as the start of that day in JST.
pub fn jst_day_start(raw: &str) -> Option<i64> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .ok()
        .map(jst_midnight)
}

/// The 年度 (fiscal year) a day falls in: it begins on 1 April, so 2027-03-31 is in 年度 2026.
pub fn fiscal_year(date: NaiveDate) -> i32 {
    if date.month() >= 4 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// The same day of the year moved to another 年度, 29 February becoming the 28th where the year
/// has none: a yearly deadline carried over.
pub fn same_day_in_fiscal_year(date: NaiveDate, year: i32) -> Option<NaiveDate> {
    let target = date.year() + (year - fiscal_year(date));
    NaiveDate::from_ymd_opt(target, date.month(), date.day())
        .or_else(|| NaiveDate::from_ymd_opt(target, date.month(), date.day() - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("2026-04-01", 2026)]
    #[case("2026-11-25", 2026)]
    #[case("2027-03-31", 2026)]
    #[case("2027-04-01", 2027)]
    #[case("2027-01-01", 2026)]
    fn the_fiscal_year_begins_in_april(#[case] day: &str, #[case] year: i32) {
        let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        assert_eq!(fiscal_year(date), year);
    }

    #[rstest]
    #[case("2026-12-31", 2027, "2027-12-31")]
    #[case("2027-03-15", 2027, "2028-03-15")]
    #[case("2027-03-15", 2026, "2027-03-15")]
    #[case("2024-02-29", 2024, "2025-02-28")]
    #[case("2026-06-30", 2025, "2025-06-30")]
    fn a_yearly_deadline_moves_to_the_same_day_of_another_fiscal_year(
        #[case] day: &str,
        #[case] year: i32,
        #[case] moved: &str,
    ) {
        let date = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
        let moved = NaiveDate::parse_from_str(moved, "%Y-%m-%d").unwrap();
        assert_eq!(same_day_in_fiscal_year(date, year), Some(moved));
        assert_eq!(fiscal_year(moved), year);
    }

    /// 2026-11-25 00:00:00 UTC.
    const NOV_25_UTC: i64 = 1_795_564_800_000;

    #[rstest]
    #[case(0, "1970-01-01 09:00:00", "1970-01-01T09:00:00.000+09:00")]
    #[case(NOV_25_UTC, "2026-11-25 09:00:00", "2026-11-25T09:00:00.000+09:00")]
    // 14:59:59.999 UTC is still the same day in Japan; 15:00 UTC is the next one.
    #[case(NOV_25_UTC + 15 * 3_600_000 - 1, "2026-11-25 23:59:59", "2026-11-25T23:59:59.999+09:00")]
    #[case(NOV_25_UTC + 15 * 3_600_000, "2026-11-26 00:00:00", "2026-11-26T00:00:00.000+09:00")]
    // 2026-12-31 23:59:59.999 JST is 14:59:59.999 UTC the same day; a millisecond later is 2027.
    #[case(
        1_798_729_199_999,
        "2026-12-31 23:59:59",
        "2026-12-31T23:59:59.999+09:00"
    )]
    #[case(
        1_798_729_200_000,
        "2027-01-01 00:00:00",
        "2027-01-01T00:00:00.000+09:00"
    )]
    // Before the epoch.
    #[case(-1, "1970-01-01 08:59:59", "1970-01-01T08:59:59.999+09:00")]
    #[case(-32_400_001, "1969-12-31 23:59:59", "1969-12-31T23:59:59.999+09:00")]
    fn formats_in_jst(#[case] ms: i64, #[case] shown: &str, #[case] api: &str) {
        assert_eq!(format_jst(ms), shown);
        assert_eq!(rfc3339_jst(ms), api);
    }

    #[rstest]
    #[case(i64::MAX)]
    #[case(i64::MIN)]
    #[case(i64::MAX - 1000)]
    fn a_moment_chrono_cannot_hold_is_empty(#[case] ms: i64) {
        assert_eq!(in_jst(ms), None);
        assert_eq!(format_jst(ms), "");
        assert_eq!(rfc3339_jst(ms), "");
        assert_eq!(jst_date(ms), None);
    }

    #[test]
    fn the_last_millisecond_of_a_year_in_japan_is_the_next_day_in_utc_only_after_15_00() {
        let last = jst_day_start("2026-12-31").unwrap() + DAY_MS - 1;
        let utc = DateTime::from_timestamp_millis(last).unwrap();
        assert_eq!(
            utc.to_rfc3339_opts(SecondsFormat::Millis, true),
            "2026-12-31T14:59:59.999Z"
        );
        assert_eq!(jst_date(last), NaiveDate::from_ymd_opt(2026, 12, 31));
        assert_eq!(jst_date(last + 1), NaiveDate::from_ymd_opt(2027, 1, 1));
        assert_eq!(last + 1, jst_day_start("2027-01-01").unwrap());
    }

    #[rstest]
    #[case("1970-01-01", -32_400_000)]
    #[case("1970-01-02", 54_000_000)]
    #[case("2026-11-25", NOV_25_UTC - 9 * 3_600_000)]
    #[case(" 2026-11-25 ", NOV_25_UTC - 9 * 3_600_000)]
    #[case("2024-02-29", 1_709_132_400_000)]
    #[case("2027-01-01", 1_798_729_200_000)]
    fn days_start_at_midnight_in_japan(#[case] raw: &str, #[case] start: i64) {
        assert_eq!(jst_day_start(raw), Some(start));
        assert_eq!(format_jst(start), format!("{} 00:00:00", raw.trim()));
        assert_eq!(jst_date(start).map(jst_midnight), Some(start));
        assert_eq!(
            jst_date(start - 1).map(|d| jst_midnight(d) + DAY_MS),
            Some(start)
        );
    }

    #[rstest]
    #[case("")]
    #[case("2026-13-01")]
    #[case("2026-02-29")]
    #[case("2026-11-31")]
    #[case("2026/11/25")]
    #[case("25-11-2026")]
    #[case("2026-11-25T00:00")]
    #[case("yesterday")]
    fn what_is_not_a_day_is_refused(#[case] raw: &str) {
        assert_eq!(jst_day_start(raw), None, "{raw}");
    }

    #[test]
    fn every_day_of_a_leap_year_round_trips() {
        let mut day = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
        while day.year() == 2024 {
            let start = jst_midnight(day);
            assert_eq!(jst_date(start), Some(day));
            assert_eq!(jst_date(start + DAY_MS - 1), Some(day));
            assert_eq!(jst_date(start - 1), day.pred_opt());
            assert_eq!(jst_day_start(&day.to_string()), Some(start));
            day = day.succ_opt().unwrap();
        }
    }
}
