//! An XLS workbook's sheets measured before calamine reads them.
//!
//! calamine's `Xls::new` reads every sheet into a full grid, from the first cell to the last,
//! so two cells at A1 and at column 65,536 row 65,536 of a 2 KB file are a grid of four
//! billion cells; it reserves room for the rectangle a sheet's DIMENSIONS record states; and
//! every cell that names a shared string gets a copy of it. So the `Workbook` stream
//! ([`super::xls_cfb`]) is first read here record by record, as calamine reads it, and
//! counted against [`Grids`]: each sheet's cells, its value and formula rectangles, the room
//! its DIMENSIONS ask for, and the text of its strings and formulas (bounded from above).

use super::super::Refusal;
use super::limits::Grids;
use super::xls_cfb;

/// An upper bound of the UTF-8 bytes calamine makes of one byte of string data (a low byte
/// padded to UTF-16 and decoded through a legacy code page can make two characters).
const TEXT_PER_BYTE: u64 = 6;

/// Refuses an XLS workbook whose sheets would take more than the grid limits.
pub fn check(bytes: &[u8]) -> Result<(), Refusal> {
    let Some(stream) = xls_cfb::workbook_stream(bytes)? else {
        return Ok(());
    };
    let globals = Globals::read(&stream);
    let mut grids = Grids::new("XLS");
    for (position, name) in &globals.sheets {
        let Some(records) = stream.get(*position..) else {
            continue;
        };
        let sheet = Sheet::measure(records, &globals);
        grids.take(name, sheet.cells, sheet.text)?;
    }
    Ok(())
}

/// One record, its CONTINUE records joined as calamine joins them.
struct Record<'a> {
    typ: u16,
    data: &'a [u8],
    more: Vec<&'a [u8]>,
}

impl Record<'_> {
    fn len(&self) -> u64 {
        (self.data.len() + self.more.iter().map(|m| m.len()).sum::<usize>()) as u64
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        Some(u16::from_le_bytes(
            self.data.get(at..at + 2)?.try_into().ok()?,
        ))
    }
}

/// calamine's `RecordIter`: records until the stream ends or one is cut short.
fn records(mut stream: &[u8]) -> impl Iterator<Item = Record<'_>> {
    std::iter::from_fn(move || {
        let header = |s: &[u8]| -> Option<(u16, usize)> {
            let typ = u16::from_le_bytes(s.get(..2)?.try_into().ok()?);
            let len = u16::from_le_bytes(s.get(2..4)?.try_into().ok()?) as usize;
            (s.len() >= len + 4).then_some((typ, len))
        };
        let (typ, len) = header(stream)?;
        let data = &stream[4..4 + len];
        stream = &stream[4 + len..];
        let mut more = Vec::new();
        while stream.len() > 4 && u16::from_le_bytes([stream[0], stream[1]]) == 0x003C {
            let (_, len) = header(stream)?;
            more.push(&stream[4..4 + len]);
            stream = &stream[4 + len..];
        }
        Some(Record { typ, data, more })
    })
}

/// What the globals substream says: where the sheets are, the shared strings' lengths, and the
/// longest names a formula can spell out.
struct Globals {
    sheets: Vec<(usize, String)>,
    /// An upper bound of each shared string's text, in bytes.
    strings: Vec<u64>,
    /// The longest sheet or defined name, in bytes of text.
    longest_name: u64,
}

impl Globals {
    fn read(stream: &[u8]) -> Globals {
        let mut globals = Globals {
            sheets: Vec::new(),
            strings: Vec::new(),
            longest_name: 0,
        };
        for record in records(stream) {
            match record.typ {
                // BoundSheet8: where the sheet's records start, its name.
                0x0085 if record.data.len() >= 7 => {
                    let position = u32::from_le_bytes(record.data[..4].try_into().expect("4"));
                    let cch = u64::from(record.data[6]);
                    globals.longest_name = globals.longest_name.max(cch * TEXT_PER_BYTE * 2);
                    globals
                        .sheets
                        .push((position as usize, sheet_name(record.data)));
                }
                // Lbl: a defined name, which a formula may spell out.
                0x0018 if record.data.len() >= 4 => {
                    let cch = u64::from(record.data[3]);
                    globals.longest_name = globals.longest_name.max(cch * TEXT_PER_BYTE * 2);
                }
                0x00FC => globals.strings = shared_strings(&record),
                0x000A => break,
                _ => {}
            }
        }
        globals
    }
}

/// A BoundSheet8's name, for messages: BIFF8's `cch`, flags and characters.
fn sheet_name(data: &[u8]) -> String {
    let cch = usize::from(data[6]);
    let chars = data.get(8..).unwrap_or_default();
    if data.get(7).is_some_and(|flags| flags & 1 != 0) {
        let units: Vec<u16> = chars
            .chunks_exact(2)
            .take(cch)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        chars.iter().take(cch).map(|b| char::from(*b)).collect()
    }
}

/// The shared strings' text lengths, bounded from above: each string is read as calamine reads
/// it (`read_rich_extended_string`), characters one or two bytes each, across CONTINUEs.
fn shared_strings(record: &Record<'_>) -> Vec<u64> {
    let mut parts = std::iter::once(record.data).chain(record.more.iter().copied());
    let mut data = parts
        .next()
        .unwrap_or_default()
        .get(8..)
        .unwrap_or_default();
    let mut strings = Vec::new();
    loop {
        if data.is_empty() {
            match parts.next() {
                Some(next) => data = next,
                None => return strings,
            }
        }
        if data.is_empty() {
            strings.push(0);
            continue;
        }
        if data.len() < 3 {
            return strings;
        }
        let mut chars = u16::from_le_bytes([data[0], data[1]]) as usize;
        let flags = data[2];
        let mut high = flags & 1 != 0;
        data = &data[3..];
        let mut skip = 0usize;
        if flags & 0x8 != 0 {
            let Some(runs) = data.get(..2) else {
                return strings;
            };
            skip += u16::from_le_bytes([runs[0], runs[1]]) as usize * 4;
            data = &data[2..];
        }
        if flags & 0x4 != 0 {
            let Some(ext) = data.get(..4) else {
                return strings;
            };
            skip += i32::from_le_bytes(ext.try_into().expect("4")) as usize;
            data = &data[4..];
        }
        let mut bytes = 0u64;
        while chars > 0 {
            let width = if high { 2 } else { 1 };
            let n = (data.len() / width).min(chars);
            bytes += (n * width) as u64;
            data = &data[n * width..];
            chars -= n;
            if chars > 0 {
                match parts.next() {
                    Some(next) if !next.is_empty() => {
                        high = next[0] & 1 != 0;
                        data = &next[1..];
                    }
                    _ => return strings,
                }
            }
        }
        strings.push(bytes * TEXT_PER_BYTE);
        while skip > 0 {
            if data.is_empty() {
                match parts.next() {
                    Some(next) => data = next,
                    None => return strings,
                }
                continue;
            }
            let n = skip.min(data.len());
            data = &data[n..];
            skip -= n;
        }
    }
}

/// What calamine holds for one sheet.
struct Sheet {
    cells: u64,
    text: u64,
}

/// The rectangle around some cells.
#[derive(Default)]
struct Extent(Option<(u32, u32, u32, u32)>);

impl Extent {
    fn add(&mut self, row: u32, column: u32) {
        self.0 = Some(match self.0 {
            None => (row, row, column, column),
            Some((top, bottom, left, right)) => (
                top.min(row),
                bottom.max(row),
                left.min(column),
                right.max(column),
            ),
        });
    }

    fn cells(&self) -> u64 {
        self.0.map_or(0, |(top, bottom, left, right)| {
            u64::from(bottom - top + 1) * u64::from(right - left + 1)
        })
    }
}

impl Sheet {
    /// Measures a sheet's records as calamine's `parse_workbook` reads them: cell records
    /// counted wherever they are (calamine may stop earlier on a malformed one; this does not),
    /// embedded substreams skipped.
    fn measure(stream: &[u8], globals: &Globals) -> Sheet {
        let mut values = Extent::default();
        let mut formulas = Extent::default();
        let mut cells: u64 = 0;
        let mut reserved: u64 = 0;
        let mut text: u64 = 0;
        let mut formula_at = (0u32, 0u32);
        let mut seen_bof = false;
        let mut depth = 0usize;
        for record in records(stream) {
            if depth > 0 {
                match record.typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            let at = |r: &Record<'_>| Some((u32::from(r.u16_at(0)?), u32::from(r.u16_at(2)?)));
            match record.typ {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x000A => break,
                // DIMENSIONS: calamine reserves room for the rectangle it states.
                0x0200 => reserved = reserved.saturating_add(dimensions(record.data)),
                // Number, BoolErr, RK.
                0x0203 | 0x0205 | 0x027E => {
                    if let Some((row, column)) = at(&record) {
                        values.add(row, column);
                        cells += 1;
                    }
                }
                // Label, RString, and the String after a formula: their own text.
                0x0204 | 0x00D6 | 0x0207 => {
                    let position = if record.typ == 0x0207 {
                        Some(formula_at)
                    } else {
                        at(&record)
                    };
                    if let Some((row, column)) = position {
                        values.add(row, column);
                        cells += 1;
                        text += record.len() * TEXT_PER_BYTE;
                    }
                }
                // LabelSst: a copy of a shared string.
                0x00FD => {
                    let index = record
                        .data
                        .get(6..10)
                        .map(|b| u32::from_le_bytes(b.try_into().expect("4")) as usize);
                    if let (Some((row, column)), Some(length)) =
                        (at(&record), index.and_then(|i| globals.strings.get(i)))
                    {
                        values.add(row, column);
                        cells += 1;
                        text += length;
                    }
                }
                // MulRk: a run of numbers in one row.
                0x00BD if record.data.len() >= 6 => {
                    let row = u32::from(record.u16_at(0).unwrap_or(0));
                    let first = u32::from(record.u16_at(2).unwrap_or(0));
                    let count = (record.data.len() as u32 - 6) / 6;
                    if count > 0 {
                        values.add(row, first);
                        values.add(row, first + count - 1);
                        cells += u64::from(count);
                    }
                }
                // Formula: its value, its text (names and sheets spelled out), its position for
                // a String record that follows.
                0x0006 => {
                    if let Some((row, column)) = at(&record) {
                        formula_at = (row, column);
                        values.add(row, column);
                        formulas.add(row, column);
                        cells += 2;
                        let tokens = record.len().saturating_sub(20);
                        text += 128 + tokens * TEXT_PER_BYTE + (tokens / 3) * globals.longest_name;
                    }
                }
                _ => {}
            }
        }
        Sheet {
            cells: cells + values.cells() + formulas.cells() + reserved,
            text,
        }
    }
}

/// The cells calamine reserves room for from a DIMENSIONS record (its `parse_dimensions`).
fn dimensions(data: &[u8]) -> u64 {
    let u16_at = |at: usize| u32::from(u16::from_le_bytes([data[at], data[at + 1]]));
    let u32_at = |at: usize| u32::from_le_bytes(data[at..at + 4].try_into().expect("4"));
    let (first_row, last_row, mut first_col, last_col) = match data.len() {
        10 => (u16_at(0), u16_at(2), u16_at(4), u16_at(6)),
        14 | 16 => (u32_at(0), u32_at(4), u16_at(8), u16_at(10)),
        _ => return 0,
    };
    if 0xFF < first_col || last_col < first_col {
        first_col = 0;
    }
    if last_row >= 1 && last_col >= 1 {
        // calamine subtracts with wrapping: a last row before the first asks for nearly 2^32.
        let rows = u64::from((last_row - 1).wrapping_sub(first_row).wrapping_add(1));
        let columns = u64::from((last_col - 1).wrapping_sub(first_col).wrapping_add(1));
        rows.saturating_mul(columns)
    } else {
        1
    }
}
