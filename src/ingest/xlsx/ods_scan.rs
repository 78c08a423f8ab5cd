//! An ODS workbook's sheets measured before calamine reads them.
//!
//! calamine reads every sheet of `content.xml` into a full grid when the file is opened, and
//! ODS compresses grids by repetition: one `<table:table-row table:number-rows-repeated=…>`
//! with one cell repeated across 16,384 columns is a sheet of a billion cells in a few bytes,
//! and `<text:s text:c="4000000000"/>` is a four-gigabyte string. So `content.xml` is first
//! read here the way calamine reads it (the same XML settings, the same attribute parsing,
//! the same caps on repeats) and only counted: the cells calamine would push row by row, the
//! rectangle it then builds, and the text it would copy into both. Over [`Grids`]' limits,
//! the workbook is refused before calamine sees it. Where calamine would stop with an error,
//! this stops too and lets calamine give it.

use std::io::{BufReader, Cursor, Read};

use quick_xml::escape::unescape;
use quick_xml::events::{BytesStart, Event};
use zip::ZipArchive;

use super::super::Refusal;
use super::limits::{EXPORT_AS_CSV, Grids, LAST_COLUMN, LAST_ROW};

type Xml<R> = quick_xml::Reader<BufReader<R>>;

/// Refuses an ODS workbook whose sheets would take more than the grid limits, or that would
/// make calamine wait forever.
pub fn check(bytes: &[u8]) -> Result<(), Refusal> {
    let Ok(mut archive) = ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    let Ok(part) = archive.by_name("content.xml") else {
        return Ok(());
    };
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut grids = Grids::new("ODS");
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == "table:table" => {
                let Ok(Some(name)) = raw_attr(&e, "table:name") else {
                    continue;
                };
                let name = name.to_string();
                match table(&mut xml) {
                    Ok(sheet) => grids.take(&name, sheet.cells, sheet.text)?,
                    Err(Stop::Fails) => return Ok(()),
                    Err(Stop::Unended) => return Err(unended(&name)),
                }
            }
            Ok(Event::Eof) | Err(_) => return Ok(()),
            Ok(_) => {}
        }
    }
}

/// Why the measuring stopped before a sheet's end.
enum Stop {
    /// calamine stops there with an error: nothing more to measure.
    Fails,
    /// `content.xml` ends inside the sheet, where calamine waits for more forever.
    Unended,
}

fn unended(sheet: &str) -> Refusal {
    Refusal::new(format!(
        "the ODS file is malformed: its sheet `{sheet}` never ends (content.xml ends inside it)"
    ))
    .hint(format!(
        "the reader would wait for the sheet's end forever; {EXPORT_AS_CSV}"
    ))
}

/// What calamine would hold for one sheet.
struct Sheet {
    cells: u64,
    text: u64,
}

/// One row as calamine's `read_row` leaves it.
struct Row {
    repeats: u64,
    /// Cells pushed: the values, with the empty cells between them (not after the last).
    pushed: u64,
    /// The first non-empty cell, as a position among the pushed ones.
    first: Option<u64>,
    text: u64,
}

/// Measures a `table:table` as calamine's `read_table` reads it.
fn table<R: Read>(xml: &mut Xml<R>) -> Result<Sheet, Stop> {
    let mut rows: Vec<Row> = Vec::new();
    let mut total_rows: u64 = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == "table:table-row" => {
                let repeats = match raw_attr(&e, "table:number-rows-repeated") {
                    Ok(Some(v)) => decoded_number(v).ok_or(Stop::Fails)?,
                    Ok(None) => 1,
                    Err(()) => return Err(Stop::Fails),
                };
                let capped = repeats.min(u64::from(LAST_ROW).saturating_sub(total_rows));
                total_rows += capped;
                let mut row = row(xml)?;
                row.repeats = capped;
                rows.push(row);
            }
            Ok(Event::End(e)) if e.name().as_ref() == "table:table" => break,
            // calamine's loop has no case for the end of the file.
            Ok(Event::Eof) => return Err(Stop::Unended),
            Err(_) => return Err(Stop::Fails),
            Ok(_) => {}
        }
    }
    Ok(measure(&rows))
}

/// The cells calamine pushes row by row, plus the rectangle `get_range` builds from the first
/// non-empty row to the last (repeats expanded), and the text both copy.
fn measure(rows: &[Row]) -> Sheet {
    let pushed: u64 = rows.iter().map(|r| r.pushed).sum();
    let filled: Vec<&Row> = rows.iter().filter(|r| r.first.is_some()).collect();
    let first_row = rows.iter().position(|r| r.first.is_some());
    let last_row = rows.iter().rposition(|r| r.first.is_some());
    let rectangle = match (first_row, last_row) {
        (Some(first), Some(last)) => {
            let left = filled.iter().filter_map(|r| r.first).min().unwrap_or(0);
            let right = filled.iter().map(|r| r.pushed).max().unwrap_or(0);
            let height: u64 = rows[first..=last].iter().map(|r| r.repeats).sum();
            height.saturating_mul(right.saturating_sub(left))
        }
        _ => 0,
    };
    let text = rows
        .iter()
        .map(|r| r.text.saturating_mul(r.repeats.saturating_add(1)))
        .fold(0u64, u64::saturating_add);
    Sheet {
        cells: pushed.saturating_add(rectangle),
        text,
    }
}

/// Measures a `table:table-row` as `read_row` reads it.
fn row<R: Read>(xml: &mut Xml<R>) -> Result<Row, Stop> {
    let mut row = Row {
        repeats: 1,
        pushed: 0,
        first: None,
        text: 0,
    };
    let mut empty_before: u64 = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e))
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                // Parsed without unescaping, as calamine does for this one.
                let repeats = match raw_attr(&e, "table:number-columns-repeated") {
                    Ok(Some(v)) => v.parse::<u64>().map_err(|_| Stop::Fails)?,
                    Ok(None) => 1,
                    Err(()) => return Err(Stop::Fails),
                };
                let cell = cell(xml, &e)?;
                let room = |pushed: u64| u64::from(LAST_COLUMN).saturating_sub(pushed);
                row.pushed += empty_before.min(room(row.pushed));
                empty_before = 0;
                let capped = repeats.min(room(row.pushed));
                if cell.empty {
                    empty_before = capped;
                } else {
                    row.first.get_or_insert(row.pushed);
                    row.pushed += capped;
                    row.text = row.text.saturating_add(cell.text.saturating_mul(capped));
                }
            }
            Ok(Event::End(e)) if e.name().as_ref() == "table:table-row" => return Ok(row),
            // `read_row` stops with an error on anything else, the end of the file included.
            _ => return Err(Stop::Fails),
        }
    }
}

struct Cell {
    empty: bool,
    /// At least the bytes of the value and formula calamine makes of it.
    text: u64,
}

/// Reads a cell as calamine's `get_datatype` and `read_row` do: its attributes decide whether
/// it has a value and whether the value is its content, which is then read to the first end
/// of a cell; otherwise the element is skipped to its matching end. The text is bounded from
/// above: every attribute's and text node's bytes, the spaces of `text:s`, a byte for each
/// other element.
fn cell<R: Read>(xml: &mut Xml<R>, start: &BytesStart<'_>) -> Result<Cell, Stop> {
    let mut value_set = false;
    let mut string = false;
    let mut error = false;
    let mut empty_string_value = false;
    let mut formula = false;
    let mut text: u64 = 0;
    for attr in RawAttrs::new(start.attributes_raw()) {
        let (key, value) = attr.map_err(|()| Stop::Fails)?;
        text += value.len() as u64;
        match key {
            "office:string-value" if !value_set => {
                value_set = true;
                empty_string_value = value.is_empty();
            }
            "office:value" | "office:date-value" | "office:time-value" | "office:boolean-value"
                if !value_set =>
            {
                value_set = true;
            }
            "office:value-type" if !value_set => string = value == "string",
            "calcext:value-type" => error = value == "error",
            "table:formula" => formula = !value.is_empty(),
            _ => {}
        }
    }
    let content = (!value_set && string) || (error && empty_string_value);
    if content {
        text = text.saturating_add(content_text(xml)?);
    } else {
        skip_to_end(xml, start.name().as_ref())?;
    }
    Ok(Cell {
        empty: !value_set && !content && !formula,
        text,
    })
}

/// A cell's content as `get_datatype` reads it, to the first end of a cell of either kind.
fn content_text<R: Read>(xml: &mut Xml<R>) -> Result<u64, Stop> {
    let mut text: u64 = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::End(e))
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                return Ok(text);
            }
            Ok(Event::Start(e)) if e.name().as_ref() == "office:annotation" => loop {
                buf.clear();
                match xml.read_event_into(&mut buf) {
                    Ok(Event::End(e)) if e.name().as_ref() == "office:annotation" => break,
                    // calamine's annotation loop has no case for the end of the file.
                    Ok(Event::Eof) => return Err(Stop::Unended),
                    Err(_) => return Err(Stop::Fails),
                    Ok(_) => {}
                }
            },
            Ok(Event::Start(e)) if e.name().as_ref() == "text:s" => {
                let spaces = match raw_attr(&e, "text:c") {
                    Ok(Some(v)) => decoded_number(v).ok_or(Stop::Fails)?,
                    Ok(None) => 1,
                    Err(()) => return Err(Stop::Fails),
                };
                text = text.saturating_add(spaces);
            }
            Ok(Event::Start(_)) => text += 1,
            Ok(Event::Text(t)) => text += t.len() as u64,
            Ok(Event::GeneralRef(r)) => text += r.len() as u64 + 4,
            Ok(Event::Eof) | Err(_) => return Err(Stop::Fails),
            Ok(_) => {}
        }
    }
}

/// quick-xml's `read_to_end_into`: to the end tag matching `name`, nested ones counted.
fn skip_to_end<R: Read>(xml: &mut Xml<R>, name: &str) -> Result<(), Stop> {
    let mut depth = 0usize;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == name => depth += 1,
            Ok(Event::End(e)) if e.name().as_ref() == name => {
                if depth == 0 {
                    return Ok(());
                }
                depth -= 1;
            }
            Ok(Event::Eof) | Err(_) => return Err(Stop::Fails),
            Ok(_) => {}
        }
    }
}

/// A number attribute as calamine reads most of them: unescaped, then parsed.
fn decoded_number(raw: &str) -> Option<u64> {
    unescape(raw).ok()?.parse().ok()
}

/// The first attribute named `name`, as calamine finds it; `Err` where it would fail.
fn raw_attr<'a>(e: &'a BytesStart<'_>, name: &str) -> Result<Option<&'a str>, ()> {
    for attr in RawAttrs::new(e.attributes_raw()) {
        let (key, value) = attr?;
        if key == name {
            return Ok(Some(value));
        }
    }
    Ok(None)
}

/// calamine's attribute iterator (`attrs.rs`): `key = "value"` pairs, either quote, no checks.
struct RawAttrs<'a> {
    raw: &'a str,
    pos: usize,
}

impl<'a> RawAttrs<'a> {
    fn new(raw: &'a str) -> RawAttrs<'a> {
        RawAttrs { raw, pos: 0 }
    }
}

impl<'a> Iterator for RawAttrs<'a> {
    type Item = Result<(&'a str, &'a str), ()>;

    fn next(&mut self) -> Option<Self::Item> {
        let bytes = self.raw.as_bytes();
        let skip_space = |mut pos: usize| {
            while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
                pos += 1;
            }
            pos
        };
        let mut pos = skip_space(self.pos);
        if pos >= bytes.len() {
            self.pos = pos;
            return None;
        }
        self.pos = bytes.len();
        let key_start = pos;
        let Some(equals) = bytes[pos..].iter().position(|b| *b == b'=') else {
            return Some(Err(()));
        };
        pos += equals;
        let key = self.raw[key_start..pos].trim_ascii_end();
        pos = skip_space(pos + 1);
        let quote = match bytes.get(pos) {
            Some(q @ (b'"' | b'\'')) => *q,
            _ => return Some(Err(())),
        };
        let value_start = pos + 1;
        let value_end = bytes[value_start..]
            .iter()
            .position(|b| *b == quote)
            .map_or(bytes.len(), |n| value_start + n);
        self.pos = (value_end + 1).min(bytes.len());
        Some(Ok((key, &self.raw[value_start..value_end])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_split_as_calamine_splits_them() {
        let pairs: Vec<_> = RawAttrs::new(r#" a="1"  b = '2' c="x y""#).collect();
        assert_eq!(pairs, [Ok(("a", "1")), Ok(("b", "2")), Ok(("c", "x y"))]);
        assert_eq!(RawAttrs::new("a=1").next(), Some(Err(())));
    }
}
