//! Workbooks that ask for the impossible (issue #16, item 6): a 1 KB file whose one far cell
//! used to make the reader allocate a dense grid of 550 GB, a cell reference past the last
//! column (51 GB), a shared-strings part that asks for 4 GB. Each ends in exit 1 with what is
//! wrong and what to do, inside [`MEMORY_CAP`](super::capped::MEMORY_CAP): never an abort.

use super::capped::validate_capped;
use super::package::{Book, declare_size, ods, ods_content, ods_package, ods_row, row, zip_of};
use super::xls;

fn write(dir: &tempfile::TempDir, bytes: &[u8]) -> std::path::PathBuf {
    let path = dir.path().join("staff.xlsx");
    std::fs::write(&path, bytes).expect("the workbook is written");
    path
}

const SHARED_STRINGS_START: &str = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main""#;

#[test]
fn a_workbook_of_one_cell_at_the_last_row_and_column_is_read_as_one_cell() {
    // The issue's 5 KB file: one value, at XFD1048576. Read as the one cell it is, it has no
    // header with a key column, which is what the refusal says.
    let dir = tempfile::tempdir().unwrap();
    let book = Book::sheet(&row(1048576, &[("XFD1048576", "stray")]));
    let input = write(&dir, &book.bytes());

    validate_capped(&input, &[])
        .assert_refused("format: XLSX, sheet `Sheet1`")
        .assert_refused("no key column")
        .assert_refused("headers found: `stray`");
}

#[test]
fn a_stray_value_at_the_last_cell_is_one_more_row_not_a_grid() {
    let dir = tempfile::tempdir().unwrap();
    let book = Book::sheet(&format!(
        "{}{}{}",
        row(1, &[("A1", "email"), ("B1", "first name")]),
        row(2, &[("A2", "ann@example.com"), ("B2", "Ann")]),
        row(1048576, &[("XFD1048576", "stray")]),
    ));
    let input = write(&dir, &book.bytes());

    let ended = validate_capped(&input, &[]);
    assert_eq!(
        (ended.code, ended.signal),
        (Some(3), None),
        "{}",
        ended.stderr
    );
    assert!(
        ended
            .stderr
            .contains("! row 2 (line 1048576) invalid: email: no email or user_id"),
        "{}",
        ended.stderr
    );
    assert!(
        ended.stderr.contains("2 rows: 1 valid, 1 invalid"),
        "{}",
        ended.stderr
    );
}

#[test]
fn a_cell_reference_past_the_last_column_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let book = Book::sheet(&format!(
        "{}{}",
        row(1, &[("A1", "email")]),
        row(5, &[("ZZZZZZ5", "x")]),
    ));
    let input = write(&dir, &book.bytes());

    validate_capped(&input, &[])
        .assert_refused(
            "cell ZZZZZZ5 of sheet `Sheet1` is past the last column a sheet can have (XFD)",
        )
        .assert_refused("hint: the file was not saved by a spreadsheet application");
}

#[test]
fn a_cell_reference_past_the_last_row_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let book = Book::sheet(&format!(
        "{}{}",
        row(1, &[("A1", "email")]),
        row(1048577, &[("A1048577", "x")]),
    ));
    let input = write(&dir, &book.bytes());

    validate_capped(&input, &[]).assert_refused(
        "cell A1048577 of sheet `Sheet1` is past the last row a sheet can have (1,048,576)",
    );
}

#[test]
fn shared_strings_that_declare_more_than_the_limit_are_refused_before_they_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let shared = format!(
        r#"{SHARED_STRINGS_START} count="200000000" uniqueCount="200000000"><si><t>email</t></si></sst>"#
    );
    let book =
        Book::sheet(r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#).shared_strings(shared);
    let input = write(&dir, &book.bytes());

    validate_capped(&input, &[])
        .assert_refused("the workbook declares 200,000,000 shared strings; the limit is 4,194,304")
        .assert_refused("hint: ");
}

#[test]
fn a_part_declaring_gigabytes_is_refused_before_it_is_inflated() {
    let dir = tempfile::tempdir().unwrap();
    let shared = format!(r#"{SHARED_STRINGS_START}><si><t>email</t></si></sst>"#);
    let book =
        Book::sheet(r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#).shared_strings(shared);
    let mut bytes = book.bytes();
    declare_size(&mut bytes, "xl/sharedStrings.xml", 0xFFFF_FFF0);
    let input = write(&dir, &bytes);

    validate_capped(&input, &[]).assert_refused(
        "the workbook's part `xl/sharedStrings.xml` is 4.0 GiB uncompressed; the limit is 256 MiB",
    );
}

#[test]
fn a_part_larger_than_its_declared_size_is_refused_when_it_overflows() {
    // 8 MiB of shared strings that say they are 64 KiB: sizes checked from the directory alone
    // would let any amount through.
    let dir = tempfile::tempdir().unwrap();
    let mut shared = format!(r#"{SHARED_STRINGS_START}>"#);
    while shared.len() < 8 << 20 {
        shared.push_str("<si><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></si>");
    }
    shared.push_str("</sst>");
    let book =
        Book::sheet(r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#).shared_strings(shared);
    let mut bytes = book.bytes();
    declare_size(&mut bytes, "xl/sharedStrings.xml", 64 << 10);
    let input = write(&dir, &bytes);

    validate_capped(&input, &[])
        .assert_refused("`xl/sharedStrings.xml` holds more than the 64 KiB its entry declares");
}

#[test]
fn a_package_of_too_many_parts_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let parts: Vec<(String, Vec<u8>)> = (0..10_001)
        .map(|i| (format!("xl/media/empty{i}.bin"), Vec::new()))
        .collect();
    let input = write(&dir, &zip_of(&parts));

    validate_capped(&input, &[])
        .assert_refused("the workbook has 10,001 parts; the limit is 10,000");
}

#[test]
fn a_sheet_spread_over_more_cells_than_the_limit_is_refused() {
    // Each row has a value in column A and one in the last column: 16,384 cells a row once the
    // empty ones between are counted, so 1,100 rows make more than 16,777,216.
    let dir = tempfile::tempdir().unwrap();
    let mut rows = row(1, &[("A1", "email")]);
    for n in 2..=1_100 {
        rows.push_str(&row(
            n,
            &[(&format!("A{n}"), "x"), (&format!("XFD{n}"), "y")],
        ));
    }
    let input = write(&dir, &Book::sheet(&rows).bytes());

    validate_capped(&input, &[])
        .assert_refused(
            "the sheet `Sheet1` spans more than 16,777,216 cells (reached at row 1,025)",
        )
        .assert_refused("hint: ");
}

#[test]
fn a_shared_string_repeated_past_the_text_limit_is_refused() {
    // One shared string of 1 MiB, used by 300 cells: 300 MiB of text from a file of a few KB.
    let dir = tempfile::tempdir().unwrap();
    let shared = format!(
        r#"{SHARED_STRINGS_START}><si><t>email</t></si><si><t>{}</t></si></sst>"#,
        "a".repeat(1 << 20)
    );
    let mut rows = r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#.to_string();
    for n in 2..=301 {
        rows.push_str(&format!(
            r#"<row r="{n}"><c r="A{n}" t="s"><v>1</v></c></row>"#
        ));
    }
    let input = write(&dir, &Book::sheet(&rows).shared_strings(shared).bytes());

    validate_capped(&input, &[])
        .assert_refused("the sheet `Sheet1` holds more than 256 MiB of text (reached at row 257)");
}

#[test]
fn an_ods_sheet_reads_as_its_rows() {
    let dir = tempfile::tempdir().unwrap();
    let rows = format!(
        "{}{}",
        ods_row(&["email", "first name"]),
        ods_row(&["ann@example.com", "Ann"])
    );
    let input = write(&dir, &ods(&rows));

    let ended = validate_capped(&input, &[]);
    assert_eq!(
        (ended.code, ended.signal),
        (Some(0), None),
        "{}",
        ended.stderr
    );
    assert!(
        ended.stderr.contains("format: ODS, sheet `Sheet1`"),
        "{}",
        ended.stderr
    );
}

#[test]
fn an_ods_sheet_repeated_past_the_grid_limit_is_refused_before_calamine_reads_it() {
    // One row of one value repeated over all 16,384 columns, repeated 6,000 times: 98 million
    // cells (3 GB as calamine holds them) from a few hundred bytes.
    let dir = tempfile::tempdir().unwrap();
    let rows = format!(
        r#"{}<table:table-row table:number-rows-repeated="6000"><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#,
        ods_row(&["email"])
    );
    let input = write(&dir, &ods(&rows));

    validate_capped(&input, &[])
        .assert_refused(
            "the ODS workbook's sheets span more than 4,194,304 cells (reached in sheet `Sheet1`)",
        )
        .assert_refused("hint: ");
}

#[test]
fn an_ods_cell_of_four_billion_spaces_is_refused_before_calamine_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let rows = format!(
        r#"{}<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s text:c="4000000000"/>b</text:p></table:table-cell></table:table-row>"#,
        ods_row(&["email"])
    );
    let input = write(&dir, &ods(&rows));

    validate_capped(&input, &[]).assert_refused(
        "the ODS workbook's sheets hold more than 256 MiB of text (reached in sheet `Sheet1`)",
    );
}

#[test]
fn an_xls_sheet_reads_as_its_cells() {
    let dir = tempfile::tempdir().unwrap();
    let stream = xls::workbook_stream(&[
        xls::label(0, 0, "email"),
        xls::label(0, 1, "first name"),
        xls::label(1, 0, "ann@example.com"),
        xls::label(1, 1, "Ann"),
    ]);
    let input = write(&dir, &xls::compound_file(&stream, false));

    let ended = validate_capped(&input, &[]);
    assert_eq!(
        (ended.code, ended.signal),
        (Some(0), None),
        "{}",
        ended.stderr
    );
    assert!(
        ended.stderr.contains("format: XLS, sheet `Sheet1`"),
        "{}",
        ended.stderr
    );
}

#[test]
fn an_xls_cell_far_out_is_refused_before_calamine_makes_its_grid() {
    // Column 65,535 row 65,535: calamine's grid from A1 would be four billion cells.
    let dir = tempfile::tempdir().unwrap();
    let stream =
        xls::workbook_stream(&[xls::label(0, 0, "email"), xls::number(65_535, 65_535, 1.0)]);
    let input = write(&dir, &xls::compound_file(&stream, false));

    validate_capped(&input, &[])
        .assert_refused(
            "the XLS workbook's sheets span more than 4,194,304 cells (reached in sheet `Sheet1`)",
        )
        .assert_refused("hint: ");
}

#[test]
fn an_xls_stream_whose_sectors_loop_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let stream = xls::workbook_stream(&[xls::label(0, 0, "email")]);
    let input = write(&dir, &xls::compound_file(&stream, true));

    validate_capped(&input, &[])
        .assert_refused("the XLS file is malformed: a chain of its sectors loops");
}

#[test]
fn xlsb_shared_strings_that_repeat_a_stale_string_are_refused() {
    // calamine decodes each string item from a buffer it never clears: after one item of 1 KiB,
    // each empty item (two bytes) decodes that 1 KiB again. A million of them: 2 MB of file,
    // 1.5 GB of strings.
    let dir = tempfile::tempdir().unwrap();
    let mut part = vec![0x9F, 0x01, 8];
    part.extend(0u32.to_le_bytes());
    part.extend(1_000_001u32.to_le_bytes());
    let units = 512u32;
    let len = 1 + 4 + 2 * units as usize;
    part.extend([0x13, (len & 0x7F) as u8 | 0x80, (len >> 7) as u8]);
    part.push(0);
    part.extend(units.to_le_bytes());
    part.extend(std::iter::repeat_n(b'a', 2 * units as usize));
    for _ in 0..1_000_000 {
        part.extend([0x13, 0]);
    }
    let input = write(&dir, &zip_of(&[("xl/sharedStrings.bin".into(), part)]));

    validate_capped(&input, &[])
        .assert_refused("the workbook's shared strings hold more than 256 MiB of text");
}

#[test]
fn an_ods_sheet_that_never_ends_is_refused_instead_of_read_forever() {
    // Found by the fuzz: calamine's ODS reader waits for `</table:table>` past the end of the
    // file, forever.
    let dir = tempfile::tempdir().unwrap();
    let content =
        ods_content(&ods_row(&["email"])).replace("</table:table>", r#"</t t="d"able:table>"#);
    let input = write(&dir, &ods_package(&content));

    validate_capped(&input, &[]).assert_refused(
        "the ODS file is malformed: its sheet `Sheet1` never ends (content.xml ends inside it)",
    );
}

#[test]
fn an_ods_comment_that_never_ends_is_refused_instead_of_read_forever() {
    // calamine's ODS reader skips a cell's comment to its end, and waits for that end forever.
    let dir = tempfile::tempdir().unwrap();
    let content = ods_content(&ods_row(&["email"])).replace(
        "<text:p>email</text:p></table:table-cell>",
        "<office:annotation><text:p>note",
    );
    let input = write(&dir, &ods_package(&content));

    validate_capped(&input, &[]).assert_refused(
        "the ODS file is malformed: its sheet `Sheet1` never ends (content.xml ends inside it)",
    );
}

#[test]
fn an_ods_cell_closed_by_the_other_kind_of_end_is_measured_as_calamine_reads_it() {
    // calamine ends a cell's text at the end of either kind of cell: what follows a
    // `</table:covered-table-cell>` is read as more cells of the row, here 16,384 of them, in a
    // row repeated 6,000 times.
    let dir = tempfile::tempdir().unwrap();
    let rows = format!(
        r#"{}<table:table-row table:number-rows-repeated="6000"><table:table-cell office:value-type="string"></table:covered-table-cell><table:table-cell table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>"#,
        ods_row(&["email"])
    );
    let input = write(&dir, &ods(&rows));

    validate_capped(&input, &[]).assert_refused(
        "the ODS workbook's sheets span more than 4,194,304 cells (reached in sheet `Sheet1`)",
    );
}
