//! Workbooks read as Excel shows them, sheets chosen by name, unreadable files refused.
use super::*;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

fn workbook(build: impl FnOnce(&mut Workbook)) -> Vec<u8> {
    let mut book = Workbook::new();
    build(&mut book);
    book.save_to_buffer().unwrap()
}

fn cells(sheet: &Sheet) -> Vec<(u64, Vec<&str>)> {
    sheet
        .rows
        .iter()
        .map(|r| (r.line, r.cells.iter().collect()))
        .collect()
}

#[test]
fn the_first_sheet_reads_as_excel_shows_it() {
    let bytes = workbook(|book| {
        let sheet = book.add_worksheet().set_name("People").unwrap();
        sheet.write(0, 0, "email").unwrap();
        sheet.write(0, 1, "phone").unwrap();
        sheet.write(0, 2, "start").unwrap();
        sheet.write(0, 3, "active").unwrap();
        sheet.write(1, 0, "a@x.io").unwrap();
        sheet.write(1, 1, 442079460000_f64).unwrap();
        let date = ExcelDateTime::from_ymd(2024, 3, 1).unwrap();
        sheet
            .write_datetime_with_format(1, 2, &date, &Format::new().set_num_format("yyyy-mm-dd"))
            .unwrap();
        sheet.write(1, 3, true).unwrap();
        sheet.write(2, 1, 1.5).unwrap();
        book.add_worksheet().set_name("Other").unwrap();
    });
    let sheet = read(&bytes, None).unwrap();
    assert_eq!((sheet.format, sheet.name.as_str()), ("XLSX", "People"));
    assert_eq!(
        cells(&sheet),
        [
            (1, vec!["email", "phone", "start", "active"]),
            (2, vec!["a@x.io", "442079460000", "2024-03-01", "TRUE"]),
            (3, vec!["", "1.5"]),
        ]
    );
}

#[test]
fn a_named_sheet_and_an_offset_range_keep_excel_positions() {
    let bytes = workbook(|book| {
        book.add_worksheet().set_name("Cover").unwrap();
        let sheet = book.add_worksheet().set_name("Users").unwrap();
        sheet.write(3, 2, "email").unwrap();
        sheet.write(4, 2, "b@x.io").unwrap();
    });
    let sheet = read(&bytes, Some("users")).unwrap();
    assert_eq!(sheet.name, "Users");
    assert_eq!(
        cells(&sheet),
        [(4, vec!["", "", "email"]), (5, vec!["", "", "b@x.io"])]
    );
    let missing = read(&bytes, Some("Staff")).unwrap_err();
    assert_eq!(missing.message, "the workbook has no sheet named `Staff`");
    assert_eq!(missing.hint.unwrap(), "its sheets are `Cover`, `Users`");
}

#[test]
fn a_zip_that_is_not_a_workbook_is_refused() {
    let err = read(b"PK\x03\x04not really a zip", None).unwrap_err();
    assert!(
        err.message.contains("not a readable workbook"),
        "{}",
        err.message
    );
    let err = read(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1garbage", None).unwrap_err();
    assert!(err.message.contains("XLS"), "{}", err.message);
}
