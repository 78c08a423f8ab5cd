//! Start and end dates as exports write them, read strictly.
//!
//! Dates in HR exports cannot be trusted to say their own order: one real export mixes
//! `m/d/yyyy` and `dd-mm-yyyy` in one column, and `03/04/2026` is a day in March or in April
//! depending on who saved the file. A date read wrong holds an invite back for months or makes
//! a leaver of someone still employed, so nothing is guessed: the forms below are read as
//! written, because only one reading exists, and a day-and-month form without a year first is
//! read only when the mapping file says its order (`dates = "mm/dd/yyyy"`). Everything else
//! makes the row invalid, naming the cell.
//!
//! Read without being told:
//!
//! - ISO `2026-03-31`, also with a time (`2026-03-31T09:00:00Z`, `2026-03-31 09:00`) as
//!   Okta, Entra and workbooks write them: the date as written, the time and offset ignored;
//! - Workday's date with an offset (`2026-03-31-08:00`, `2026-03-31Z`);
//! - year first with slashes (`2026/03/31`);
//! - dots, day first (`31.03.2026`): the only order dotted dates are written in;
//! - an English month name (`31 Mar 2026`, `31-Mar-2026`, `March 31, 2026`).

use jiff::civil::Date;

/// The order of a day-and-month date (`03/04/2026`), which only the mapping file can say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayMonthOrder {
    /// `mm/dd/yyyy` (the United States).
    MonthFirst,
    /// `dd/mm/yyyy` (most other places).
    DayFirst,
}

impl DayMonthOrder {
    /// The mapping file's `dates`: `"mm/dd/yyyy"` or `"dd/mm/yyyy"`.
    pub fn parse(text: &str) -> Result<DayMonthOrder, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "mm/dd/yyyy" => Ok(DayMonthOrder::MonthFirst),
            "dd/mm/yyyy" => Ok(DayMonthOrder::DayFirst),
            _ => Err(format!(
                "`{text}` is not a date order; use \"mm/dd/yyyy\" or \"dd/mm/yyyy\" (ISO dates \
                 such as 2026-03-31 are always read)"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            DayMonthOrder::MonthFirst => "mm/dd/yyyy",
            DayMonthOrder::DayFirst => "dd/mm/yyyy",
        }
    }
}

/// Reads a date cell (trimmed, not blank), or says why it is not one.
pub fn parse_date(cell: &str, order: Option<DayMonthOrder>) -> Result<Date, String> {
    let cell = cell.trim();
    if let Some(read) = iso(cell).or_else(|| dotted(cell)).or_else(|| named(cell)) {
        return read;
    }
    match day_month(cell) {
        Some((first, second, year)) => match order {
            Some(DayMonthOrder::MonthFirst) => real(year, first, second),
            Some(DayMonthOrder::DayFirst) => real(year, second, first),
            None => Err(
                "is not a date member-sync reads on its own: it does not say whether the day or \
                 the month comes first; write it as YYYY-MM-DD, or set dates = \"mm/dd/yyyy\" \
                 (or \"dd/mm/yyyy\") in the mapping file"
                    .into(),
            ),
        },
        None => Err("is not a date: write it as YYYY-MM-DD (2026-03-31)".into()),
    }
}

/// A calendar date, or why `2026-02-30` is not one.
fn real(year: i32, month: u32, day: u32) -> Result<Date, String> {
    let not_real = || "is not a day of the calendar".to_string();
    let (Ok(year), Ok(month), Ok(day)) =
        (i16::try_from(year), i8::try_from(month), i8::try_from(day))
    else {
        return Err(not_real());
    };
    if !(1900..=2999).contains(&year) {
        return Err("has a year out of range (1900 to 2999)".into());
    }
    Date::new(year, month, day).map_err(|_| not_real())
}

/// Exactly `n` ASCII digits, as a number.
fn digits(text: &str, n: std::ops::RangeInclusive<usize>) -> Option<u32> {
    (n.contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// `YYYY-MM-DD` or `YYYY/MM/DD`, then nothing, a time, or an offset.
fn iso(cell: &str) -> Option<Result<Date, String>> {
    let date = cell.get(..10)?;
    let rest = &cell[10..];
    let bytes = date.as_bytes();
    let separator = bytes[4];
    if !(separator == b'-' || separator == b'/') || bytes[7] != separator {
        return None;
    }
    let year = digits(&date[..4], 4..=4)?;
    let month = digits(&date[5..7], 2..=2)?;
    let day = digits(&date[8..10], 2..=2)?;
    let tail_ok = rest.is_empty() || (separator == b'-' && (time(rest) || offset(rest)));
    if !tail_ok {
        return Some(Err(
            "is not a date: write it as YYYY-MM-DD (2026-03-31)".into()
        ));
    }
    Some(real(year as i32, month, day))
}

/// `T09:00`, ` 09:00:00.000Z`, `T09:00:00+02:00`: a time after a date.
fn time(rest: &str) -> bool {
    let Some(rest) = rest.strip_prefix('T').or_else(|| rest.strip_prefix(' ')) else {
        return false;
    };
    let clock_end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.'))
        .unwrap_or(rest.len());
    let (clock, zone) = rest.split_at(clock_end);
    let parts: Vec<&str> = clock.split(':').collect();
    let clock_ok = matches!(parts.len(), 2 | 3)
        && digits(parts[0], 2..=2).is_some_and(|h| h < 24)
        && digits(parts[1], 2..=2).is_some_and(|m| m < 60)
        && parts.get(2).is_none_or(|s| {
            let whole = s.split('.').next().unwrap_or("");
            digits(whole, 2..=2).is_some_and(|s| s < 61)
        });
    clock_ok && (zone.is_empty() || offset(zone))
}

/// `Z`, `+02:00`, `-0800`: an offset from UTC.
fn offset(text: &str) -> bool {
    if text == "Z" {
        return true;
    }
    let Some(rest) = text.strip_prefix('+').or_else(|| text.strip_prefix('-')) else {
        return false;
    };
    let hhmm = rest.replacen(':', "", 1);
    digits(&hhmm, 4..=4).is_some_and(|n| n / 100 <= 14 && n % 100 < 60)
}

/// `31.03.2026` (day first: the only order dotted dates are written in).
fn dotted(cell: &str) -> Option<Result<Date, String>> {
    let parts: Vec<&str> = cell.trim_end_matches('.').split('.').collect();
    let [day, month, year] = parts[..] else {
        return None;
    };
    let (day, month, year) = (
        digits(day, 1..=2)?,
        digits(month, 1..=2)?,
        digits(year, 4..=4)?,
    );
    Some(real(year as i32, month, day))
}

/// `03/04/2026` or `3-4-2026`: two numbers, then a four-digit year.
fn day_month(cell: &str) -> Option<(u32, u32, i32)> {
    let separator = if cell.contains('/') { '/' } else { '-' };
    let parts: Vec<&str> = cell.split(separator).collect();
    let [first, second, year] = parts[..] else {
        return None;
    };
    Some((
        digits(first, 1..=2)?,
        digits(second, 1..=2)?,
        digits(year, 4..=4)? as i32,
    ))
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// An English month, written out or in three letters (`Sept` too).
fn month_number(word: &str) -> Option<u32> {
    let word = word.trim_end_matches('.').to_ascii_lowercase();
    if word.len() < 3 {
        return None;
    }
    let found = MONTHS
        .iter()
        .position(|m| *m == word || (word.len() <= 4 && m.starts_with(&word)))?;
    Some(found as u32 + 1)
}

/// `31 Mar 2026`, `31-Mar-2026`, `March 31, 2026`, `Mar 31 2026`.
fn named(cell: &str) -> Option<Result<Date, String>> {
    let words: Vec<&str> = cell
        .split([' ', '-', ','])
        .filter(|w| !w.is_empty())
        .collect();
    let [a, b, year] = words[..] else {
        return None;
    };
    let year = digits(year, 4..=4)? as i32;
    let (month, day) = match (month_number(a), month_number(b)) {
        (Some(month), None) => (month, digits(b, 1..=2)?),
        (None, Some(month)) => (month, digits(a, 1..=2)?),
        _ => return None,
    };
    Some(real(year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn read(cell: &str) -> Result<Date, String> {
        parse_date(cell, None)
    }

    #[test]
    fn the_forms_with_one_reading_are_read_without_being_told() {
        let day = date(2026, 3, 31);
        for cell in [
            "2026-03-31",
            " 2026-03-31 ",
            "2026/03/31",
            "2026-03-31T09:00:00Z",
            "2026-03-31T09:00:00.000Z",
            "2026-03-31T09:00",
            "2026-03-31 09:00:00",
            "2026-03-31T23:30:00-08:00",
            "2026-03-31-08:00",
            "2026-03-31+01:00",
            "2026-03-31Z",
            "31.03.2026",
            "31.3.2026",
            "31 Mar 2026",
            "31-Mar-2026",
            "31 March 2026",
            "March 31, 2026",
            "Mar 31 2026",
            "mar 31, 2026",
        ] {
            assert_eq!(read(cell), Ok(day), "{cell}");
        }
        assert_eq!(read("1 Sept 2026"), Ok(date(2026, 9, 1)));
    }

    #[test]
    fn a_day_and_month_form_needs_the_order_from_the_mapping_file() {
        for cell in ["03/04/2026", "3/4/2026", "04-03-2026", "10/16/2021"] {
            let error = read(cell).unwrap_err();
            assert!(error.contains("dates = \"mm/dd/yyyy\""), "{cell}: {error}");
        }
        let us = Some(DayMonthOrder::MonthFirst);
        let uk = Some(DayMonthOrder::DayFirst);
        assert_eq!(parse_date("03/04/2026", us), Ok(date(2026, 3, 4)));
        assert_eq!(parse_date("03/04/2026", uk), Ok(date(2026, 4, 3)));
        assert_eq!(parse_date("10/16/2021", us), Ok(date(2021, 10, 16)));
        // Told the order, a date that breaks it is not a date, not read the other way.
        assert_eq!(
            parse_date("10/16/2021", uk),
            Err("is not a day of the calendar".into())
        );
        // ISO dates are read whatever the order.
        assert_eq!(parse_date("2026-03-04", uk), Ok(date(2026, 3, 4)));
    }

    #[test]
    fn anything_else_is_not_a_date() {
        for cell in [
            "44652",
            "26-03-31",
            "2026-3-31",
            "2026-03-31T25:00",
            "2026-03-31 and more",
            "31/03/26",
            "next Monday",
            "2026",
            "Mar 2026",
            "31 Foo 2026",
            "2026.03.31",
        ] {
            assert!(read(cell).is_err(), "{cell} read as {:?}", read(cell));
        }
        assert_eq!(
            read("2026-02-30"),
            Err("is not a day of the calendar".into())
        );
        assert_eq!(
            read("31.13.2026"),
            Err("is not a day of the calendar".into())
        );
        assert!(
            read("0026-03-31")
                .unwrap_err()
                .contains("year out of range")
        );
        assert!(DayMonthOrder::parse("yyyy-mm-dd").is_err());
        assert_eq!(
            DayMonthOrder::parse(" MM/DD/YYYY"),
            Ok(DayMonthOrder::MonthFirst)
        );
    }
}
