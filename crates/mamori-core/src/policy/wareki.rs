//! 和暦 (Japanese era) dates as written in 例規 (`平成24年4月1日`, `令和元年5月1日`, full-width
//! or kanji digits), read as Gregorian civil dates.
//!
//! Era boundaries (the first and last day of each era, both inclusive):
//! 昭和 1926-12-25..=1989-01-07, 平成 1989-01-08..=2019-04-30, 令和 from 2019-05-01.
//! A date outside its era (`令和元年4月30日`, `平成31年5月1日`, `昭和65年`) is not a date.

use super::numbering::number_value;

/// A day of the Gregorian calendar, without time or zone; always a real day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    year: i32,
    month: u32,
    day: u32,
}

impl CivilDate {
    /// The date, if it exists in the Gregorian calendar.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Self> {
        (1..=12)
            .contains(&month)
            .then(|| days_in_month(year, month))
            .filter(|last| (1..=*last).contains(&day))
            .map(|_| Self { year, month, day })
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn month(self) -> u32 {
        self.month
    }

    pub fn day(self) -> u32 {
        self.day
    }

    pub fn ymd(self) -> (i32, u32, u32) {
        (self.year, self.month, self.day)
    }
}

impl std::fmt::Display for CivilDate {
    /// ISO 8601 (`2012-04-01`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// 元号: the year before 元年 in the Gregorian calendar, and the era's first and last day.
struct Era {
    name: &'static str,
    offset: i32,
    first: (i32, u32, u32),
    last: Option<(i32, u32, u32)>,
}

const ERAS: [Era; 3] = [
    Era {
        name: "令和",
        offset: 2018,
        first: (2019, 5, 1),
        last: None,
    },
    Era {
        name: "平成",
        offset: 1988,
        first: (1989, 1, 8),
        last: Some((2019, 4, 30)),
    },
    Era {
        name: "昭和",
        offset: 1925,
        first: (1926, 12, 25),
        last: Some((1989, 1, 7)),
    },
];

/// The first 和暦 date written in `text` (`この基本方針は、令和8年4月1日から施行する。` gives
/// 2026-04-01), as (year, month, day) in the Gregorian calendar; `None` when there is none or
/// the first one is not a real day of its era.
pub fn parse_wareki(text: &str) -> Option<(i32, u32, u32)> {
    wareki_dates(text).next()?.date.map(CivilDate::ymd)
}

/// A 和暦 date found in a text: its reading (`None` when it is not a real day of its era) and
/// the text that follows it.
pub(super) struct Found<'a> {
    pub date: Option<CivilDate>,
    pub rest: &'a str,
}

/// Every 和暦 date written in `text`, in order.
pub(super) fn wareki_dates(text: &str) -> impl Iterator<Item = Found<'_>> {
    let mut from = 0;
    std::iter::from_fn(move || {
        while let Some(i) = text[from..].find(['令', '平', '昭']) {
            let at = from + i;
            from = at + '令'.len_utf8();
            let Some(era) = ERAS.iter().find(|e| text[at..].starts_with(e.name)) else {
                continue;
            };
            from = at + era.name.len();
            if let Some((date, used)) = read_date(era, &text[from..]) {
                from += used;
                return Some(Found {
                    date,
                    rest: &text[from..],
                });
            }
        }
        None
    })
}

/// `24年3月13日` after an era's name: the date (if real) and the bytes read.
fn read_date(era: &Era, after: &str) -> Option<(Option<CivilDate>, usize)> {
    let mut cursor = Cursor { text: after, at: 0 };
    let year = if cursor.eat("元") {
        1
    } else {
        cursor.number()?
    };
    cursor.expect('年')?;
    let month = cursor.number()?;
    cursor.expect('月')?;
    let day = cursor.number()?;
    cursor.expect('日')?;
    let date = i32::try_from(year)
        .ok()
        .filter(|y| *y >= 1)
        .and_then(|y| y.checked_add(era.offset))
        .and_then(|y| CivilDate::new(y, month, day))
        .filter(|d| d.ymd() >= era.first && era.last.is_none_or(|last| d.ymd() <= last));
    Some((date, cursor.at))
}

struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

impl Cursor<'_> {
    fn skip_spaces(&mut self) {
        let rest = &self.text[self.at..];
        self.at += rest.len() - rest.trim_start_matches([' ', '\u{3000}']).len();
    }

    fn eat(&mut self, s: &str) -> bool {
        self.skip_spaces();
        let found = self.text[self.at..].starts_with(s);
        if found {
            self.at += s.len();
        }
        found
    }

    fn expect(&mut self, c: char) -> Option<()> {
        self.skip_spaces();
        let found = self.text[self.at..].starts_with(c);
        found.then(|| self.at += c.len_utf8())
    }

    /// ASCII, full-width or kanji digits.
    fn number(&mut self) -> Option<u32> {
        self.skip_spaces();
        let rest = &self.text[self.at..];
        let len: usize = rest
            .chars()
            .take_while(|c| c.is_ascii_digit() || ('０'..='９').contains(c) || is_kanji_digit(*c))
            .map(char::len_utf8)
            .sum();
        let value = number_value(&rest[..len])?;
        self.at += len;
        Some(value)
    }
}

fn is_kanji_digit(c: char) -> bool {
    "〇一二三四五六七八九十".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("平成24年3月13日", Some((2012, 3, 13)))]
    #[case("平成24年4月1日から施行する。", Some((2012, 4, 1)))]
    #[case("令和2年4月1日から施行する", Some((2020, 4, 1)))]
    #[case("この基本方針は、令和8年4月1日から施行する。", Some((2026, 4, 1)))]
    #[case("令和元年5月1日", Some((2019, 5, 1)))]
    #[case("平成元年1月8日", Some((1989, 1, 8)))]
    #[case("昭和64年1月7日", Some((1989, 1, 7)))]
    #[case("昭和元年12月25日", Some((1926, 12, 25)))]
    #[case("昭和22年法律第67号の施行は昭和22年5月3日", Some((1947, 5, 3)))]
    #[case("令和３年３月１日", Some((2021, 3, 1)))]
    #[case("令和 ２年 ４月 １日", Some((2020, 4, 1)))]
    #[case("令和二年四月一日", Some((2020, 4, 1)))]
    #[case("平成二十七年八月十六日", Some((2015, 8, 16)))]
    #[case("平成31年4月30日", Some((2019, 4, 30)))]
    #[case("令和6年2月29日", Some((2024, 2, 29)))]
    fn wareki_dates_read_as_gregorian(
        #[case] text: &str,
        #[case] expected: Option<(i32, u32, u32)>,
    ) {
        assert_eq!(parse_wareki(text), expected, "{text}");
    }

    #[rstest]
    #[case::reiwa_before_its_first_day("令和元年4月30日")]
    #[case::heisei_after_its_last_day("平成31年5月1日")]
    #[case::heisei_before_its_first_day("平成元年1月7日")]
    #[case::showa_after_its_last_day("昭和64年1月8日")]
    #[case::showa_before_its_first_day("昭和元年12月24日")]
    #[case::year_zero("令和0年4月1日")]
    #[case::month_13("令和2年13月1日")]
    #[case::day_31_of_april("令和2年4月31日")]
    #[case::not_a_leap_year("令和5年2月29日")]
    #[case::day_zero("令和2年4月0日")]
    #[case::no_day("令和2年4月")]
    #[case::gregorian("2020年4月1日")]
    #[case::era_alone("令和")]
    #[case::huge_year("令和99999999999999999999年4月1日")]
    #[case::empty("")]
    fn not_wareki_dates(#[case] text: &str) {
        assert_eq!(parse_wareki(text), None, "{text}");
    }

    #[test]
    fn every_date_is_found_in_order() {
        let text = "附則（平成17年5月30日決定）この方針は、平成24年4月1日から施行する。";
        let found: Vec<_> = wareki_dates(text)
            .map(|f| f.date.map(CivilDate::ymd))
            .collect();
        assert_eq!(found, [Some((2005, 5, 30)), Some((2012, 4, 1))]);
    }

    #[test]
    fn civil_dates_print_as_iso() {
        assert_eq!(
            CivilDate::new(2012, 4, 1).unwrap().to_string(),
            "2012-04-01"
        );
        assert_eq!(CivilDate::new(2023, 2, 29), None);
        assert_eq!(
            CivilDate::new(2000, 2, 29).map(CivilDate::ymd),
            Some((2000, 2, 29))
        );
        assert_eq!(CivilDate::new(1900, 2, 29), None);
    }
}
