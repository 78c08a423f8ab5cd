//! The stages in order: rows from a workbook or from decoded text, the header found among the
//! first rows, the preset and columns decided, and every later row kept as a record of its
//! mapped cells only.

mod delimiter_hint;

use std::borrow::Cow;

use super::csv_reader::{RawRow, TextRows};
use super::header::{self, HeaderMap};
use super::sniff::{self, Kind};
use super::{
    CellRules, Cells, LoadOptions, MappedColumn, PresetChoice, PresetOrigin, Record, Refusal,
    SkippedRow, Source, SourceInfo, Table, Target, decode, preset, xlsx,
};
use delimiter_hint::{ChosenBy, other_delimiter_hint};

/// How many non-blank rows are searched for the header.
const HEADER_SCAN_ROWS: usize = 50;

/// A refusal and what was detected before it (boxed: the error path is rare and large).
type Failed = Box<(Refusal, SourceInfo)>;

/// Reads a whole file into a table, or says why it cannot, with what was detected so far.
pub(super) fn table(bytes: &[u8], options: &LoadOptions) -> Result<Table, Failed> {
    let mut info = SourceInfo {
        mapping_file: options.mapping_file.clone(),
        ..SourceInfo::default()
    };
    match sniff::kind(bytes) {
        Kind::Foreign(format) => Err(Box::new((format.refusal(), info))),
        Kind::Workbook => {
            if let Some(refusal) = sniff::zip_without_workbook(bytes) {
                return Err(Box::new((refusal, info)));
            }
            let sheet = match xlsx::read(bytes, options.sheet.as_deref()) {
                Ok(sheet) => sheet,
                Err(refusal) => return Err(Box::new((refusal, info))),
            };
            info.format = sheet.format;
            info.sheet = Some(sheet.name.clone());
            let rows = sheet.rows.len();
            build(sheet.rows.into_iter().map(Ok), rows, info, options).map_err(|mut failed| {
                if failed.0.message.starts_with("no key column") {
                    xlsx::point_to_other_sheets(&mut failed.0, bytes, &sheet.name, |rows| {
                        let n = rows.len();
                        build(rows.into_iter().map(Ok), n, SourceInfo::default(), options).is_ok()
                    });
                }
                failed
            })
        }
        Kind::Text => {
            if let Some(sheet) = &options.sheet {
                info.notes.push(format!(
                    "--sheet {sheet} is not used: the file is text, not a workbook"
                ));
            }
            info.format = "text";
            let decoded = match decode::decode(bytes, options.encoding) {
                Ok(decoded) => decoded,
                Err(refusal) => return Err(Box::new((refusal, info))),
            };
            info.encoding = Some(decoded.encoding);
            info.notes.extend(decoded.note);
            let text: Cow<str> = decoded.text;
            let sep_line = sniff::sep_line(&text);
            let (delimiter, chosen_by) = match (options.delimiter, sep_line) {
                (Some(flag), _) => (flag, ChosenBy::Flag),
                (None, Some(sep)) => (sep, ChosenBy::SepLine),
                (None, None) => (sniff::delimiter(&text), ChosenBy::Guess),
            };
            info.delimiter = Some(delimiter);
            info.format = if delimiter == b'\t' { "TSV" } else { "CSV" };
            // A record is at least a line: the records' list is made once, at most this long,
            // not doubled 17 times on the way to 100,000 (each time moving every record).
            let lines = super::count_newlines(text.as_bytes()) + 1;
            let rows = TextRows::new(&text, delimiter).skip(usize::from(sep_line.is_some()));
            build(rows, lines, info, options).map_err(|failed| {
                other_delimiter_hint(failed, &text, delimiter, chosen_by, options)
            })
        }
    }
}

/// The preset to read a header with: `--preset`, the mapping file's, or the one it matches.
fn choose_preset(
    options: &LoadOptions,
    header: &[String],
) -> (Option<&'static preset::Preset>, PresetOrigin) {
    match (
        options.preset,
        options.mapping.as_ref().and_then(|m| m.preset),
    ) {
        (PresetChoice::Use(p), _) => (Some(p), PresetOrigin::Chosen),
        (PresetChoice::Off, _) | (PresetChoice::Auto, Some(None)) => (None, PresetOrigin::None),
        (PresetChoice::Auto, Some(Some(p))) => (Some(p), PresetOrigin::Chosen),
        (PresetChoice::Auto, None) => match preset::detect(header) {
            Some(p) => (Some(p), PresetOrigin::Detected),
            None => (None, PresetOrigin::None),
        },
    }
}

/// The table of `rows`, of which there are at most `rows_at_most`.
fn build(
    mut rows: impl Iterator<Item = Result<RawRow, Refusal>>,
    rows_at_most: usize,
    mut info: SourceInfo,
    options: &LoadOptions,
) -> Result<Table, Failed> {
    let mapping = options.mapping.as_ref();

    // The first rows, to find the header among.
    let mut first = Vec::new();
    while first.len() < HEADER_SCAN_ROWS {
        match rows.next() {
            None => break,
            Some(Err(refusal)) => return Err(Box::new((refusal, info))),
            Some(Ok(row)) if row.is_blank() => {}
            Some(Ok(row)) => first.push(row),
        }
    }
    let Some(header_at) = header::find_header(&first, mapping) else {
        return Err(Box::new((
            Refusal::new("the file is empty: expected a header row")
                .hint("export the file again; it has no rows with content"),
            info,
        )));
    };
    let mut first = first.into_iter();
    let header_row = first.nth(header_at).expect("the header is one of the rows");
    info.header_line = Some(header_row.line);
    info.rows_above_header = header_at;
    info.header_cells = width(&header_row.cells);
    // In delimited text, a row wider than its header has an unquoted delimiter somewhere: its
    // cells are shifted. (A workbook's cells right of the table are notes without a column.)
    let wider_than_header = |cells: &Cells| {
        let text = info.delimiter.is_some();
        let wide = text && cells.len() > info.header_cells && width(cells) > info.header_cells;
        wide.then(|| u32::try_from(width(cells)).unwrap_or(u32::MAX))
    };

    let (preset, origin) = choose_preset(options, &header_row.cells.to_strings());
    info.preset = preset;
    info.preset_origin = origin;

    let HeaderMap {
        mut columns,
        mut unknown_columns,
    } = match header::map_headers_with(&header_row.cells.to_strings(), preset, mapping) {
        Ok(map) => map,
        Err(message) => {
            let hint = if message.starts_with("no key column") {
                "add a column with each member's email (or Tallyfy user id), or name the column \
                 that holds it in a mapping file: [columns] \"Your Column\" = \"email\" (see \
                 docs/input.md)"
            } else {
                "fix the header row, or say which column is which in a mapping file (--mapping)"
            };
            return Err(Box::new((Refusal::new(message).hint(hint), info)));
        }
    };
    let header_cells = header_row.cells.to_strings();
    if let Err(refusal) = add_group_columns(&header_cells, options, &mut columns) {
        return Err(Box::new((refusal, info)));
    }
    unknown_columns.retain(|h| !columns.iter().any(|c| c.header == *h));
    let positions = cell_positions(&columns);
    add_constants(&mut columns, options);

    // Compared char by char, lower-cased on the fly: no copy of every cell of every row.
    let lower =
        |text: &str| -> String { text.trim().chars().flat_map(char::to_lowercase).collect() };
    let is_key = |cell: &str, key: &str| {
        let cell = cell.trim();
        if cell.is_ascii() {
            // The key is lower case: an ASCII cell is it when equal but for ASCII case.
            cell.eq_ignore_ascii_case(key)
        } else {
            cell.chars().flat_map(char::to_lowercase).eq(key.chars())
        }
    };
    let header_keys: Vec<(usize, String)> = header_row
        .cells
        .iter()
        .enumerate()
        .filter(|(_, h)| !crate::blank::is_blank(h))
        .map(|(i, h)| (i, lower(h)))
        .collect();
    let repeats_header = |row: &RawRow| {
        header_keys
            .iter()
            .all(|(i, key)| row.cells.get(*i).is_some_and(|c| is_key(c, key)))
    };

    let mut records: Vec<Record> = Vec::with_capacity(rows_at_most);
    let mut seen_data = false;
    for row in first.map(Ok).chain(rows) {
        let row = match row {
            Ok(row) => row,
            Err(refusal) => return Err(Box::new((refusal, info))),
        };
        if row.is_blank() {
            continue;
        }
        if repeats_header(&row) {
            info.skipped.push(SkippedRow {
                line: row.line,
                reason: "repeats the header row".to_string(),
            });
            continue;
        }
        let overflow = wider_than_header(&row.cells);
        // Every column mapped, in file order (a plain export): the row's cells are the record's.
        let cells: Cells = if every_column_in_order(&positions, &row.cells) {
            row.cells
        } else {
            positions
                .iter()
                .map(|&p| row.cells.get(p).unwrap_or(""))
                .collect()
        };
        let is_first = !seen_data;
        seen_data = true;
        if is_first && cells.iter().any(is_example) {
            info.skipped.push(SkippedRow {
                line: row.line,
                reason: "the template's example row (a cell starts with `Example:`)".to_string(),
            });
            continue;
        }
        records.push(Record {
            row: records.len() + 1,
            line: row.line,
            cells,
            overflow,
        });
    }

    let mut rules: CellRules = mapping.map(|m| m.rules.clone()).unwrap_or_default();
    rules.employment.reading = options.employment_reading;
    rules.group_separator = options.group_separator.clone();
    note_countries(&columns, &rules, &mut info);
    Ok(Table {
        columns,
        unknown_columns,
        records,
        source: info,
        rules,
    })
}

/// The file position of each cell a record keeps (`positions[index]`): a column mapped twice
/// (a field and groups) is kept once.
fn cell_positions(columns: &[MappedColumn]) -> Vec<usize> {
    let mut positions = Vec::with_capacity(columns.len());
    for column in columns {
        if let Source::Column(position) = column.source
            && column.index == positions.len()
        {
            positions.push(position);
        }
    }
    positions
}

/// The group columns (`--groups-from`, else the mapping file's `groups`), in the order named:
/// a column already mapped to a field shares its cell, any other is kept from now on. A name
/// that is no header of the file stops the run before anything is read or sent.
fn add_group_columns(
    headers: &[String],
    options: &LoadOptions,
    columns: &mut Vec<MappedColumn>,
) -> Result<(), Refusal> {
    let (named, by) = options.group_headers();
    for name in named {
        let key = header::normalize(name);
        let Some(position) = headers.iter().position(|h| header::normalize(h) == key) else {
            return Err(missing_group_column(name, by, headers));
        };
        let at = |c: &&MappedColumn| c.source == Source::Column(position);
        if columns
            .iter()
            .filter(at)
            .any(|c| c.target == Target::Groups)
        {
            continue;
        }
        let index = match columns.iter().find(at) {
            Some(mapped) => mapped.index,
            None => columns
                .iter()
                .filter(|c| matches!(c.source, Source::Column(_)))
                .map(|c| c.index + 1)
                .max()
                .unwrap_or(0),
        };
        columns.push(MappedColumn {
            header: crate::fields::trim_cell(&headers[position]).to_string(),
            index,
            source: Source::Column(position),
            target: Target::Groups,
            rank: 0,
        });
    }
    Ok(())
}

/// `--groups-from names `Dept`, but the file has no such column; headers found: ...`.
fn missing_group_column(name: &str, by: &str, headers: &[String]) -> Refusal {
    let found: Vec<String> = headers
        .iter()
        .map(|h| crate::fields::trim_cell(h))
        .filter(|h| !h.is_empty())
        .map(|h| format!("`{h}`"))
        .collect();
    Refusal::new(format!(
        "{by} names `{name}`, but the file has no such column; headers found: {}",
        found.join(", ")
    ))
    .hint(
        "name a column of the header row as written there (case, spaces, `_` and `-` aside), \
         or check that this is the export you meant",
    )
}

/// Cells up to the last one that is not blank: Excel's trailing `,,,` do not count.
fn width(cells: &Cells) -> usize {
    cells
        .iter()
        .rposition(|cell| !crate::blank::is_blank(cell))
        .map_or(0, |last| last + 1)
}

/// Whether the mapped positions are exactly this row's cells, in order.
fn every_column_in_order(positions: &[usize], cells: &Cells) -> bool {
    positions.len() == cells.len() && positions.iter().enumerate().all(|(i, &p)| i == p)
}

/// The vendor's sample row (`Example: Chris Green` in Entra's template).
fn is_example(cell: &str) -> bool {
    let cell = cell.trim_start();
    cell.get(..8)
        .is_some_and(|start| start.eq_ignore_ascii_case("example:"))
}

/// `[constants]` become columns of their own, after the file's columns for the same field.
fn add_constants(columns: &mut Vec<MappedColumn>, options: &LoadOptions) {
    let Some(mapping) = &options.mapping else {
        return;
    };
    for (field, value) in &mapping.constants {
        let target = Target::Field(*field);
        let rank = columns
            .iter()
            .filter(|c| c.target == target)
            .map(|c| c.rank.saturating_add(1))
            .max()
            .unwrap_or(0);
        columns.push(MappedColumn {
            header: format!("[constants] {field}"),
            index: usize::MAX,
            source: Source::Constant(value.clone()),
            target,
            rank,
        });
    }
}

/// A country column without a `[countries]` table cannot set `country_id`: say so once.
fn note_countries(columns: &[MappedColumn], rules: &CellRules, info: &mut SourceInfo) {
    let country = columns.iter().find(|c| c.target == Target::Country);
    if let Some(column) = country
        && rules.countries.is_empty()
    {
        info.notes.push(format!(
            "`{}` names countries, but no [countries] table in a mapping file gives their Tallyfy \
             country_id: country_id is left unchanged (the column still helps read time zones)",
            column.header
        ));
    }
}
