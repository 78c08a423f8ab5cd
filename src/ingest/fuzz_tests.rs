//! The loader never panics: arbitrary bytes, arbitrary text after a header, and structured
//! mutations of the real exports in `../shared/fixtures/real-world` (bytes flipped, inserted
//! or cut, delimiters swapped, quotes and NULs and BOMs dropped in), as text and as a workbook.
//! Case counts are kept small enough for `cargo test` on two cores.

use std::path::PathBuf;
use std::sync::OnceLock;

use proptest::prelude::*;

use super::*;

/// The real-world fixtures, each cut to its first 16 KiB so a case stays fast.
fn fixtures() -> &'static [Vec<u8>] {
    static FILES: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures/real-world");
        let mut names: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|entries| entries.filter_map(|e| Some(e.ok()?.path())).collect())
            .unwrap_or_default();
        names.retain(|p| p.extension().is_some_and(|e| e == "csv"));
        names.sort();
        let mut files: Vec<Vec<u8>> = names
            .iter()
            .filter_map(|p| std::fs::read(p).ok())
            .map(|mut bytes| {
                bytes.truncate(16 * 1024);
                bytes
            })
            .collect();
        files.push(workbook());
        files
    })
}

/// A small workbook, so mutations reach calamine too.
fn workbook() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (row, cells) in [["Email", "Team"], ["a@x.io", "Ops"], ["b@x.io", "Sales"]]
        .iter()
        .enumerate()
    {
        for (col, cell) in cells.iter().enumerate() {
            sheet.write(row as u32, col as u16, *cell).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, &'static [u8]),
    Cut(usize),
    Truncate(usize),
    Swap(u8, u8),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let piece = prop::sample::select(vec![
        &b"\""[..],
        b"\r",
        b"\n",
        b"\x00",
        b"\xEF\xBB\xBF",
        b"\xFF\xFE",
        b"\xA0",
        b",",
        b";",
        b"\t",
        b"Example:",
        b"__CLEAR__",
        b"\xC3",
    ]);
    let delimiter = prop::sample::select(vec![b',', b';', b'\t', b'|', b'"', b'\n']);
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), piece).prop_map(|(i, p)| Mutation::Insert(i, p)),
        any::<usize>().prop_map(Mutation::Cut),
        any::<usize>().prop_map(Mutation::Truncate),
        (delimiter.clone(), delimiter).prop_map(|(a, b)| Mutation::Swap(a, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match *mutation {
        Mutation::Flip(i, b) if !bytes.is_empty() => {
            let i = at(i, bytes.len());
            bytes[i] = b;
        }
        Mutation::Insert(i, piece) => {
            let i = at(i, bytes.len() + 1);
            bytes.splice(i..i, piece.iter().copied());
        }
        Mutation::Cut(i) if !bytes.is_empty() => {
            bytes.remove(at(i, bytes.len()));
        }
        Mutation::Truncate(i) => bytes.truncate(at(i, bytes.len() + 1)),
        Mutation::Swap(a, b) => bytes.iter_mut().filter(|x| **x == a).for_each(|x| *x = b),
        _ => {}
    }
}

fn options() -> impl Strategy<Value = LoadOptions> {
    let cp1252 = decode::parse_encoding("windows-1252").unwrap();
    let utf16 = decode::parse_encoding("utf-16le").unwrap();
    (
        prop::option::of(prop::sample::select(vec![cp1252, utf16])),
        prop::option::of(prop::sample::select(vec![b',', b';', b'\t', b'|'])),
        prop::sample::select(vec![
            PresetChoice::Auto,
            PresetChoice::Off,
            PresetChoice::Use(&preset::PRESETS[0]),
        ]),
    )
        .prop_map(|(encoding, delimiter, preset)| {
            let mut options = LoadOptions::default().with_preset(preset);
            options.encoding = encoding;
            options.delimiter = delimiter;
            options
        })
}

/// Loads and, when that works, validates: both must end without a panic.
fn exercise(bytes: &[u8], options: &LoadOptions) {
    if let Ok(table) = load_bytes_with(bytes, Path::new("fuzz.csv"), options) {
        let verdicts = crate::validate::validate(&table);
        assert_eq!(verdicts.len(), table.records.len());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        exercise(&bytes, &LoadOptions::default());
    }

    #[test]
    fn arbitrary_text_after_a_valid_header_never_panics(body in "[a-z@.,;\t\"\r\n \u{a0}é]{0,200}") {
        let bytes = format!("email,team,role,timezone,country\n{body}");
        exercise(bytes.as_bytes(), &LoadOptions::default());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn mutated_real_files_never_panic(
        file in 0..fixtures().len(),
        mutations in proptest::collection::vec(mutation(), 1..6),
        options in options(),
    ) {
        let mut bytes = fixtures()[file].clone();
        for m in &mutations {
            apply(&mut bytes, m);
        }
        exercise(&bytes, &options);
    }

    #[test]
    fn arbitrary_bytes_after_a_workbook_signature_never_panic(
        tail in proptest::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut bytes = b"PK\x03\x04".to_vec();
        bytes.extend(tail);
        exercise(&bytes, &LoadOptions::default());
    }
}
