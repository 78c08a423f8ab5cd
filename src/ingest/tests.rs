//! Loading whole files: the stages together, as a caller sees them.

use proptest::prelude::*;

use super::*;

fn load_ok(bytes: &[u8]) -> Table {
    load_from_bytes(bytes, "export.csv").unwrap()
}

fn unusable(bytes: &[u8]) -> String {
    match load_from_bytes(bytes, "export.csv") {
        Err(IngestError::Unusable { path, message }) => {
            assert_eq!(path, Path::new("export.csv"));
            message
        }
        other => panic!("expected Unusable, got {other:?}"),
    }
}

fn cells(table: &Table) -> Vec<Vec<&str>> {
    table
        .records
        .iter()
        .map(|r| r.cells.iter().map(String::as_str).collect())
        .collect()
}

/// `(row, line)` of every record.
fn positions(table: &Table) -> Vec<(usize, u64)> {
    table.records.iter().map(|r| (r.row, r.line)).collect()
}

#[test]
fn headers_are_mapped_and_records_numbered() {
    let table = load_ok(b"Work Email,First Name,Department\na@x.io,Ann,Sales\nb@x.io,Bo,Ops\n");
    let mapped: Vec<_> = table
        .columns
        .iter()
        .map(|c| (c.header.as_str(), c.index, c.target))
        .collect();
    assert_eq!(
        mapped,
        [
            ("Work Email", 0, Target::Email),
            ("First Name", 1, Target::Field(Field::FirstName)),
            ("Department", 2, Target::Field(Field::Team)),
        ]
    );
    assert_eq!(
        cells(&table),
        [["a@x.io", "Ann", "Sales"], ["b@x.io", "Bo", "Ops"]]
    );
    assert_eq!(positions(&table), [(1, 2), (2, 3)]);
    assert_eq!(table.column(Target::Email).unwrap().header, "Work Email");
}

#[test]
fn a_bom_is_stripped_before_the_first_header() {
    let table = load_ok(b"\xEF\xBB\xBFemail,team\na@x.io,Sales\n");
    assert_eq!(table.columns[0].header, "email");
    assert_eq!(table.columns[0].target, Target::Email);
}

#[test]
fn invalid_utf8_is_refused_with_line_and_encoding_hint() {
    let message = unusable(b"email\nj\xe9@x.example\n");
    assert!(message.contains("line 2"), "{message}");
    assert!(message.contains("CSV UTF-8"), "{message}");
    assert!(!message.contains('\u{fffd}'), "{message}");
}

#[test]
fn crlf_and_a_quoted_multi_line_cell() {
    let table = load_ok(b"email,job_description\r\na@x.io,\"Line one\r\nLine two\"\r\nb@x.io,x");
    assert_eq!(
        cells(&table),
        [["a@x.io", "Line one\r\nLine two"], ["b@x.io", "x"]]
    );
    assert_eq!(table.records[1].line, 4);
    assert_eq!(table.records[1].row, 2);
}

#[test]
fn blank_rows_are_skipped_and_not_counted() {
    let table = load_ok(b"email,team\na@x.io,Sales\n,\n \xC2\xA0,\nb@x.io,Ops\n,,\n\n");
    assert_eq!(cells(&table), [["a@x.io", "Sales"], ["b@x.io", "Ops"]]);
    assert_eq!(positions(&table), [(1, 2), (2, 5)]);
}

#[test]
fn short_rows_read_missing_cells_as_empty() {
    let table = load_ok(b"email,team,phone\na@x.io\n");
    assert_eq!(table.records[0].cell(0), "a@x.io");
    assert_eq!(table.records[0].cell(2), "");
}

#[test]
fn unknown_columns_are_named_but_their_values_never_appear_in_messages() {
    let table = load_ok(b"email,Password,Salary\na@x.io,hunter2,90000\n");
    assert_eq!(table.unknown_columns, ["Password", "Salary"]);

    let message = unusable(b"Password,Salary\nhunter2,90000\n");
    assert!(message.contains("`Password`, `Salary`"), "{message}");
    assert!(
        !message.contains("hunter2") && !message.contains("90000"),
        "{message}"
    );
}

#[test]
fn duplicate_and_colliding_headers_are_refused() {
    let message = unusable(b"Email,Work Email\na@x.io,b@x.io\n");
    assert!(
        message.contains("columns 1 (`Email`) and 2 (`Work Email`) both map to email"),
        "{message}"
    );
    let message = unusable(b"email,team,team\n");
    assert!(message.contains("both named `team`"), "{message}");
}

#[test]
fn an_empty_file_is_unusable() {
    assert!(unusable(b"").contains("empty"));
    assert!(unusable(b"\xEF\xBB\xBF\r\n,,\r\n").contains("empty"));
}

#[test]
fn a_header_only_file_has_no_records() {
    assert!(load_ok(b"email\n").records.is_empty());
}

#[test]
fn load_reads_a_file_and_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("people.csv");
    std::fs::write(&path, "email\na@x.io\n").unwrap();
    assert_eq!(load(&path).unwrap().records.len(), 1);

    let missing = dir.path().join("missing.csv");
    let err = load(&missing).unwrap_err();
    assert!(matches!(err, IngestError::Read { .. }));
    assert!(err.to_string().contains("missing.csv"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = load_from_bytes(&bytes, "fuzz.csv");
    }

    #[test]
    fn arbitrary_text_after_a_valid_header_never_panics(body in "[a-z@.,\"\r\n \u{a0}é]{0,200}") {
        let bytes = format!("email,team,role\n{body}");
        let table = load_from_bytes(bytes.as_bytes(), "fuzz.csv");
        let usable_or_refused = !matches!(table, Err(IngestError::Read { .. }));
        prop_assert!(usable_or_refused);
    }
}
