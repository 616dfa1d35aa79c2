//! Dates as Japanese lists write them, in the Western calendar or in an era (和暦), each
//! era bounded by its first and last day: a birth date matches children across divisions,
//! so 令和1年1月1日 (that day was 平成31年) or 平成40年 must be refused, not shifted.

use time::{Date, Month, macros::date};
use unicode_normalization::UnicodeNormalization;

/// One era: its names as lists write them, and the days it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Era {
    /// The name in kanji (`令和`).
    pub name: &'static str,
    /// The one-letter abbreviation (`R`), as forms and Excel write it (`R3.3.3`).
    pub letter: &'static str,
    /// Its first day (Gregorian).
    pub first: Date,
    /// Its last day; `None` for the current era.
    pub last: Option<Date>,
}

/// The eras since the Western calendar's adoption, oldest first; each ends the day before the
/// next begins. 明治 begins on 慶応4年1月1日 = 1868-01-25: the 改元の詔 of 慶応4年9月8日
/// (1868-10-23) renamed the whole year ("改慶應四年爲明治元年"), so in law, and in the family
/// registers (戸籍), 明治元年 starts on the year's first day. Dates before 明治6年 (1873) were
/// written in the lunisolar calendar; month and day here are always read as Gregorian.
/// 大正 and 昭和 began on the day of the accession (即日改元), 平成 and 令和 the day after.
pub const ERAS: [Era; 5] = [
    Era { name: "明治", letter: "M", first: date!(1868 - 01 - 25), last: Some(date!(1912 - 07 - 29)) },
    Era { name: "大正", letter: "T", first: date!(1912 - 07 - 30), last: Some(date!(1926 - 12 - 24)) },
    Era { name: "昭和", letter: "S", first: date!(1926 - 12 - 25), last: Some(date!(1989 - 01 - 07)) },
    Era { name: "平成", letter: "H", first: date!(1989 - 01 - 08), last: Some(date!(2019 - 04 - 30)) },
    Era { name: "令和", letter: "R", first: date!(2019 - 05 - 01), last: None },
];

/// Why a cell is not a date; displayed to follow the quoted cell (「…」は…).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    /// Not in any accepted form, or no such calendar day.
    #[error("は日付ではありません（2021-03-03、2021/3/3、令和3年3月3日 の形で）")]
    NotADate,
    /// A real calendar day written in an era it does not belong to.
    #[error("は{era}にない日です（{era}は{range}。{day}は{actual}）")]
    OutsideEra {
        /// The era the cell named.
        era: &'static str,
        /// The era's days, in words.
        range: String,
        /// The day the cell would be, in the Western calendar.
        day: String,
        /// That day in its own era (`平成31年1月1日`), or "明治より前".
        actual: String,
    },
}

impl Era {
    /// Whether `day` falls within this era.
    pub fn contains(&self, day: Date) -> bool {
        self.first <= day && self.last.is_none_or(|last| day <= last)
    }

    /// The era's days in words, for error messages.
    fn range(&self) -> String {
        match self.last {
            Some(last) => format!("{}から{}まで", western(self.first), western(last)),
            None => format!("{}から", western(self.first)),
        }
    }
}

fn western(d: Date) -> String {
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

/// `day` written in its era (`平成31年1月1日`, `令和元年5月1日`), if it is in one.
pub fn in_era(day: Date) -> Option<String> {
    let era = ERAS.iter().find(|e| e.contains(day))?;
    let year = day.year() - era.first.year() + 1;
    let year = if year == 1 { "元".to_owned() } else { year.to_string() };
    Some(format!("{}{year}年{}月{}日", era.name, u8::from(day.month()), day.day()))
}

/// A date as lists write it: `2021-03-03`, `2021/3/3` (Excel's default), `2021.3.3`,
/// `2021年3月3日`, or in an era (`令和3年3月3日`, `令和元年5月1日`, `R3.3.3`, `平成31年4月30日`).
/// Full-width digits and the era squares (㋿, ㍻) are read as Excel users type them.
pub fn parse_date(text: &str) -> Result<Date, DateError> {
    let text: String = text.nfkc().filter(|c| !c.is_whitespace()).collect();
    let (era, rest) = match ERAS.iter().find_map(|e| era_prefix(&text, e).map(|rest| (e, rest))) {
        Some((era, rest)) => (Some(era), rest.strip_prefix('元').map_or(rest.to_owned(), |r| format!("1{r}"))),
        None => (None, text.clone()),
    };
    if !rest.chars().all(|c| c.is_ascii_digit() || matches!(c, '-' | '/' | '.' | '年' | '月' | '日')) {
        return Err(DateError::NotADate);
    }
    let parts: Vec<&str> = rest.split(|c: char| !c.is_ascii_digit()).filter(|p| !p.is_empty()).collect();
    let [y, m, d] = parts.as_slice() else { return Err(DateError::NotADate) };
    let number = |s: &str| s.parse::<u16>().map_err(|_| DateError::NotADate);
    let year = match era {
        Some(era) if number(y)? >= 1 => era.first.year() - 1 + i32::from(number(y)?),
        None if y.len() == 4 => i32::from(number(y)?),
        _ => return Err(DateError::NotADate),
    };
    let month = u8::try_from(number(m)?).ok().and_then(|m| Month::try_from(m).ok()).ok_or(DateError::NotADate)?;
    let day = u8::try_from(number(d)?).map_err(|_| DateError::NotADate)?;
    let day = Date::from_calendar_date(year, month, day).map_err(|_| DateError::NotADate)?;
    match era {
        Some(era) if !era.contains(day) => Err(DateError::OutsideEra {
            era: era.name,
            range: era.range(),
            day: western(day),
            actual: in_era(day).unwrap_or_else(|| "明治より前".to_owned()),
        }),
        _ => Ok(day),
    }
}

/// The rest of `text` after the era's name or letter (either case), if it starts with one.
fn era_prefix<'a>(text: &'a str, era: &Era) -> Option<&'a str> {
    text.strip_prefix(era.name)
        .or_else(|| text.strip_prefix(era.letter))
        .or_else(|| text.strip_prefix(&era.letter.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(era: &Era, day: Date) -> String {
        let year = day.year() - era.first.year() + 1;
        format!("{}{year}年{}月{}日", era.name, u8::from(day.month()), day.day())
    }

    #[test]
    fn each_eras_first_and_last_day_are_accepted_and_the_days_beside_them_refused() {
        for era in &ERAS {
            assert_eq!(parse_date(&written(era, era.first)), Ok(era.first), "{}", era.name);
            let before = era.first.previous_day().unwrap();
            assert!(matches!(parse_date(&written(era, before)), Err(DateError::OutsideEra { .. })), "{before}");
            if let Some(last) = era.last {
                assert_eq!(parse_date(&written(era, last)), Ok(last), "{}", era.name);
                let after = last.next_day().unwrap();
                assert!(matches!(parse_date(&written(era, after)), Err(DateError::OutsideEra { .. })), "{after}");
            }
        }
    }

    #[test]
    fn the_eras_follow_each_other_without_gap_or_overlap() {
        for pair in ERAS.windows(2) {
            assert_eq!(pair[0].last.and_then(Date::next_day), Some(pair[1].first), "{}", pair[1].name);
        }
    }

    #[test]
    fn reiwa_1_january_and_heisei_40_are_refused_naming_the_right_era() {
        let e = parse_date("令和1年1月1日").unwrap_err();
        assert_eq!(e.to_string(), "は令和にない日です（令和は2019年5月1日から。2019年1月1日は平成31年1月1日）");
        let e = parse_date("平成40年4月1日").unwrap_err();
        assert_eq!(
            e.to_string(),
            "は平成にない日です（平成は1989年1月8日から2019年4月30日まで。2028年4月1日は令和10年4月1日）"
        );
        assert!(parse_date("H31.4.30").is_ok());
        assert!(parse_date("H31.5.1").is_err());
        assert!(parse_date("昭和64年1月8日").is_err(), "the first day of 平成");
        assert!(parse_date("明治1年1月24日").is_err());
        assert_eq!(parse_date("平成0年1月8日"), Err(DateError::NotADate));
    }

    #[test]
    fn gannen_and_letters_are_read() {
        assert_eq!(parse_date("令和元年5月1日"), Ok(date!(2019 - 05 - 01)));
        assert_eq!(parse_date("平成元年1月8日"), Ok(date!(1989 - 01 - 08)));
        assert_eq!(parse_date("R3.3.3"), Ok(date!(2021 - 03 - 03)));
        assert_eq!(parse_date("r3.3.3"), Ok(date!(2021 - 03 - 03)));
        assert_eq!(parse_date("T1.7.30"), Ok(date!(1912 - 07 - 30)));
        assert_eq!(parse_date("令和 3年 3月 3日"), Ok(date!(2021 - 03 - 03)));
        assert_eq!(in_era(date!(2019 - 05 - 01)).as_deref(), Some("令和元年5月1日"));
    }

    #[test]
    fn full_width_digits_and_era_squares_are_read() {
        assert_eq!(parse_date("令和３年３月３日"), Ok(date!(2021 - 03 - 03)));
        assert_eq!(parse_date("２０２１／３／３"), Ok(date!(2021 - 03 - 03)));
        assert_eq!(parse_date("㋿3年3月3日"), Ok(date!(2021 - 03 - 03)));
        assert_eq!(parse_date("㍻31年4月30日"), Ok(date!(2019 - 04 - 30)));
        assert_eq!(parse_date("Ｈ３１．５．１").map_err(|e| matches!(e, DateError::OutsideEra { .. })), Err(true));
    }

    #[test]
    fn the_western_forms_are_unchanged() {
        for v in ["2021-03-03", "2021/3/3", "2021.3.3", "2021年3月3日"] {
            assert_eq!(parse_date(v), Ok(date!(2021 - 03 - 03)), "{v}");
        }
        assert_eq!(parse_date("1850-01-01"), Ok(date!(1850 - 01 - 01)), "the Western calendar has no era bounds");
        for v in ["21/3/3", "2020-13-01", "2021-02-30", "令和3年", "きのう", "令和99999年1月1日"] {
            assert_eq!(parse_date(v), Err(DateError::NotADate), "{v}");
        }
    }
}
