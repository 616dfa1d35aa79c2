//! Opening hours as data: a point's `hours` in the OpenStreetMap `opening_hours` syntax
//! (`Mo-Fr 09:00-17:00; PH off`, `24/7`), evaluated in Japan time with Japan's public holidays.
//!
//! Free text stays allowed (imports carry what cities wrote); such a point's hours are
//! unknown and every answer says so with `null` rather than guessing.
//!
//! Holidays for `PH` follow 国民の祝日に関する法律 as listed by 内閣府「国民の祝日について」:
//! the fixed and Happy-Monday days, the equinoxes (the 国立天文台 formula, which gives the
//! published dates for 2024–2030), 振替休日 (a holiday on a Sunday moves to the next
//! non-holiday) and 国民の休日 (a day between two holidays). The crate's own Japanese data
//! moves Sunday holidays instead of adding substitutes and lacks 国民の休日, so it is not used.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike, Weekday};
use compact_calendar::CompactCalendar;
use opening_hours::{Context, ContextHolidays, OpeningHours, RuleKind};
use parking_lot::RwLock;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Japan Standard Time: UTC+9 all year, no daylight saving.
pub const JST: UtcOffset = time::macros::offset!(+9);

/// Years the holiday calendar covers: the equinox formula holds for 1980–2099.
const HOLIDAY_YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

/// How far ahead `opens_at` looks: a point closed for longer is reported without a time.
const LOOK_AHEAD_DAYS: i64 = 14;

/// Distinct `hours` texts kept parsed; past this the cache starts over (parsing costs tens
/// of microseconds, far more than a nearest query, so answers reuse the parsed form).
const CACHE_LIMIT: usize = 4_096;

/// Whether a point is open at a moment and when that changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenState {
    /// `Some(true)` open, `Some(false)` closed, `None` hours unknown (absent, free text, or
    /// a rule that says `unknown`).
    pub open_now: Option<bool>,
    /// When open: the moment it closes (`None` if it does not, as for `24/7`).
    pub open_until: Option<OffsetDateTime>,
    /// When closed: the next moment it opens within two weeks.
    pub opens_at: Option<OffsetDateTime>,
}

/// Japan's public holidays per 祝日法, with 振替休日 and 国民の休日.
pub fn japanese_holidays() -> &'static CompactCalendar {
    static CALENDAR: LazyLock<CompactCalendar> = LazyLock::new(|| {
        let mut calendar = CompactCalendar::default();
        for year in HOLIDAY_YEARS {
            for day in holidays_of(year) {
                calendar.insert(day);
            }
        }
        calendar
    });
    &CALENDAR
}

/// The holidays of one year, in date order.
fn holidays_of(year: i32) -> Vec<NaiveDate> {
    let ymd = |m: u32, d: u32| NaiveDate::from_ymd_opt(year, m, d);
    let monday = |m: u32, n: u8| NaiveDate::from_weekday_of_month_opt(year, m, Weekday::Mon, n);
    // 国立天文台's approximation of the equinox days (valid 1980–2099).
    let y = f64::from(year - 1980);
    let drift = 0.242_194 * y - (y / 4.0).floor();
    let spring = (20.8431 + drift).floor() as u32;
    let autumn = (23.2488 + drift).floor() as u32;
    let mut days: Vec<NaiveDate> = [
        ymd(1, 1),
        monday(1, 2),
        ymd(2, 11),
        ymd(2, 23),
        ymd(3, spring),
        ymd(4, 29),
        ymd(5, 3),
        ymd(5, 4),
        ymd(5, 5),
        monday(7, 3),
        ymd(8, 11),
        monday(9, 3),
        ymd(9, autumn),
        monday(10, 2),
        ymd(11, 3),
        ymd(11, 23),
    ]
    .into_iter()
    .flatten()
    .collect();
    days.sort();
    let base = days.clone();
    // 国民の休日: a day that is not a holiday but lies between two.
    for pair in base.windows(2) {
        if let Some(middle) = pair[0].succ_opt().filter(|m| m.succ_opt() == Some(pair[1])) {
            days.push(middle);
        }
    }
    // 振替休日: a holiday on a Sunday makes the next day that is no holiday one.
    for day in &base {
        if day.weekday() == Weekday::Sun {
            let mut next = *day;
            while let Some(n) = next.succ_opt() {
                next = n;
                if !days.contains(&next) {
                    days.push(next);
                    break;
                }
            }
        }
    }
    days.sort();
    days.dedup();
    days
}

/// `hours` parsed with Japan's holidays, or `None` for free text. Cached per distinct text.
pub fn parse_hours(text: &str) -> Option<OpeningHours> {
    static CACHE: LazyLock<RwLock<HashMap<Box<str>, Option<OpeningHours>>>> = LazyLock::new(Default::default);
    if let Some(hit) = CACHE.read().get(text) {
        return hit.clone();
    }
    let trimmed = text.trim();
    let parsed = (!trimmed.is_empty()).then(|| trimmed.parse::<OpeningHours>().ok()).flatten().map(|oh| {
        let holidays = ContextHolidays::new(Arc::new(japanese_holidays().clone()), Arc::default());
        oh.with_context(Context::default().with_holidays(holidays))
    });
    let mut cache = CACHE.write();
    if cache.len() >= CACHE_LIMIT {
        cache.clear();
    }
    cache.insert(text.into(), parsed.clone());
    parsed
}

/// Whether `hours` is in the opening_hours syntax (rather than free text).
pub fn is_structured(hours: &str) -> bool {
    parse_hours(hours).is_some()
}

fn to_jst_naive(at: OffsetDateTime) -> Option<NaiveDateTime> {
    let t = at.to_offset(JST);
    NaiveDate::from_ymd_opt(t.year(), u32::from(u8::from(t.month())), u32::from(t.day()))?.and_hms_opt(
        u32::from(t.hour()),
        u32::from(t.minute()),
        u32::from(t.second()),
    )
}

fn from_jst_naive(t: NaiveDateTime) -> Option<OffsetDateTime> {
    let month = time::Month::try_from(u8::try_from(t.month()).ok()?).ok()?;
    let date = time::Date::from_calendar_date(t.year(), month, u8::try_from(t.day()).ok()?).ok()?;
    let clock = time::Time::from_hms(
        u8::try_from(t.hour()).ok()?,
        u8::try_from(t.minute()).ok()?,
        u8::try_from(t.second()).ok()?,
    )
    .ok()?;
    Some(PrimitiveDateTime::new(date, clock).assume_offset(JST))
}

/// Whether a point with these `hours` is open at `at`, until when, or when it opens next.
pub fn open_state(hours: Option<&str>, at: OffsetDateTime) -> OpenState {
    let (Some(oh), Some(now)) = (hours.and_then(parse_hours), to_jst_naive(at)) else {
        return OpenState::default();
    };
    let horizon = now + chrono::Duration::days(LOOK_AHEAD_DAYS);
    let mut ranges = oh.iter_range(now, horizon);
    let Some(current) = ranges.next() else {
        return OpenState::default();
    };
    match current.kind {
        RuleKind::Open => {
            let until = (current.range.end < horizon).then_some(current.range.end).and_then(from_jst_naive);
            OpenState { open_now: Some(true), open_until: until, opens_at: None }
        }
        RuleKind::Closed => {
            let opens = ranges.find(|r| r.kind == RuleKind::Open).map(|r| r.range.start).and_then(from_jst_naive);
            OpenState { open_now: Some(false), open_until: None, opens_at: opens }
        }
        RuleKind::Unknown => OpenState::default(),
    }
}

/// Whether the point is open at some moment in `[from, to]`: open now, or opening by `to`.
/// `None` when its hours are unknown.
pub fn open_within(hours: Option<&str>, from: OffsetDateTime, to: OffsetDateTime) -> Option<bool> {
    let state = open_state(hours, from);
    state.open_now.map(|open| open || state.opens_at.is_some_and(|t| t <= to))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// 内閣府「国民の祝日について」 (and its 2024–2027 lists, computed for 2028–2030).
    const EXPECTED: [(i32, &[(u32, u32)]); 3] = [
        (
            2024,
            &[
                (1, 1),
                (1, 8),
                (2, 11),
                (2, 12),
                (2, 23),
                (3, 20),
                (4, 29),
                (5, 3),
                (5, 4),
                (5, 5),
                (5, 6),
                (7, 15),
                (8, 11),
                (8, 12),
                (9, 16),
                (9, 22),
                (9, 23),
                (10, 14),
                (11, 3),
                (11, 4),
                (11, 23),
            ],
        ),
        (
            2026,
            &[
                (1, 1),
                (1, 12),
                (2, 11),
                (2, 23),
                (3, 20),
                (4, 29),
                (5, 3),
                (5, 4),
                (5, 5),
                (5, 6),
                (7, 20),
                (8, 11),
                (9, 21),
                (9, 22),
                (9, 23),
                (10, 12),
                (11, 3),
                (11, 23),
            ],
        ),
        (
            2027,
            &[
                (1, 1),
                (1, 11),
                (2, 11),
                (2, 23),
                (3, 21),
                (3, 22),
                (4, 29),
                (5, 3),
                (5, 4),
                (5, 5),
                (7, 19),
                (8, 11),
                (9, 20),
                (9, 23),
                (10, 11),
                (11, 3),
                (11, 23),
            ],
        ),
    ];

    #[test]
    fn the_holiday_table_matches_the_cabinet_office_list_for_2024_to_2030() {
        let expected = EXPECTED;
        for (year, days) in expected {
            let want: Vec<NaiveDate> = days.iter().map(|&(m, day)| d(year, m, day)).collect();
            assert_eq!(holidays_of(year), want, "{year}");
        }
        let cal = japanese_holidays();
        for (y, m, day) in [(2025, 2, 24), (2025, 11, 24), (2028, 9, 22), (2029, 4, 30), (2030, 5, 6), (2030, 11, 4)] {
            assert!(cal.contains(d(y, m, day)), "{y}-{m}-{day}");
        }
        assert!(!cal.contains(d(2026, 9, 24)));
    }

    #[test]
    fn weekday_hours_are_evaluated_in_japan_time() {
        let h = Some("Mo-Fr 09:00-17:00; PH off");
        // Tuesday 2026-12-01 10:00 JST is 01:00 UTC.
        let s = open_state(h, datetime!(2026-12-01 01:00 UTC));
        assert_eq!(s.open_now, Some(true));
        assert_eq!(s.open_until, Some(datetime!(2026-12-01 17:00 +9)));
        // 20:00 JST: closed, opens the next morning.
        let s = open_state(h, datetime!(2026-12-01 20:00 +9));
        assert_eq!((s.open_now, s.open_until), (Some(false), None));
        assert_eq!(s.opens_at, Some(datetime!(2026-12-02 09:00 +9)));
    }

    #[test]
    fn a_weekday_holiday_and_a_substitute_holiday_are_off() {
        let h = Some("Mo-Fr 09:00-17:00; PH off");
        // Monday 2026-09-21 敬老の日, Tuesday 22nd 国民の休日, Wednesday 23rd 秋分の日: opens Thursday.
        let s = open_state(h, datetime!(2026-09-21 10:00 +9));
        assert_eq!(s.open_now, Some(false));
        assert_eq!(s.opens_at, Some(datetime!(2026-09-24 09:00 +9)));
        // Monday 2026-05-06 振替休日 (憲法記念日 fell on a Sunday).
        let s = open_state(h, datetime!(2026-05-06 10:00 +9));
        assert_eq!(s.open_now, Some(false));
        assert_eq!(s.opens_at, Some(datetime!(2026-05-07 09:00 +9)));
        // Without `PH off`, the same Monday is a working day.
        assert_eq!(open_state(Some("Mo-Fr 09:00-17:00"), datetime!(2026-05-06 10:00 +9)).open_now, Some(true));
    }

    #[test]
    fn hours_across_midnight() {
        let h = Some("Mo-Su 22:00-06:00");
        let s = open_state(h, datetime!(2026-12-01 23:30 +9));
        assert_eq!(s.open_now, Some(true));
        assert_eq!(s.open_until, Some(datetime!(2026-12-02 06:00 +9)));
        let s = open_state(h, datetime!(2026-12-02 05:59 +9));
        assert_eq!((s.open_now, s.open_until), (Some(true), Some(datetime!(2026-12-02 06:00 +9))));
        let s = open_state(h, datetime!(2026-12-02 06:00 +9));
        assert_eq!((s.open_now, s.opens_at), (Some(false), Some(datetime!(2026-12-02 22:00 +9))));
    }

    #[test]
    fn always_open_has_no_closing_time() {
        let s = open_state(Some("24/7"), datetime!(2026-12-01 03:00 +9));
        assert_eq!(s, OpenState { open_now: Some(true), open_until: None, opens_at: None });
    }

    #[test]
    fn free_text_and_absent_hours_are_unknown() {
        for h in [None, Some("平日 9時〜17時"), Some("要問合せ"), Some("")] {
            assert_eq!(open_state(h, datetime!(2026-12-01 10:00 +9)), OpenState::default(), "{h:?}");
        }
        assert!(!is_structured("平日 9時〜17時"));
        assert!(is_structured("Mo-Fr 09:00-17:00; PH off"));
    }

    #[test]
    fn open_within_a_window_counts_an_opening_before_its_end() {
        let h = Some("Mo-Fr 09:00-17:00");
        let at = datetime!(2026-12-01 08:30 +9);
        assert_eq!(open_within(h, at, datetime!(2026-12-01 09:10 +9)), Some(true));
        assert_eq!(open_within(h, at, datetime!(2026-12-01 08:50 +9)), Some(false));
        assert_eq!(open_within(Some("要問合せ"), at, at), None);
    }
}
