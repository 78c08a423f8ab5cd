//! Mutations: what a damaged or hostile file looks like, made from a good one.
//!
//! Text (CSV and UTF-16) is mutated byte by byte. A workbook mutated that way mostly breaks its
//! ZIP checksums and never reaches the sheet parser, so most workbook mutants are made inside
//! the package instead: a part (usually the sheet or the shared strings) is taken out, its XML
//! mutated, with pieces a hostile file would use (far cell references, huge numbers, broken
//! markup), and the package rebuilt with correct checksums.

use std::io::{Cursor, Read, Write};

use rand::Rng;
use rand::rngs::StdRng;
use zip::write::SimpleFileOptions;

/// Pieces inserted into text.
const TEXT_PIECES: &[&[u8]] = &[
    b"\"",
    b"\"\"",
    b"\r",
    b"\n",
    b"\r\n",
    b"\x00",
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\xFE\xFF",
    b"\xA0",
    b",",
    b";",
    b"\t",
    b"|",
    b"Example:",
    b"__CLEAR__",
    b"\xC3",
    b"\xED\xA0\x80",
    b"=1+1",
    b"sep=;\n",
    b"email",
    b"Work Email",
    b"user_id",
    b"@",
    b"\\",
    b"\x1A",
];

/// Pieces inserted into a workbook part's XML.
const XML_PIECES: &[&str] = &[
    r#"<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>"#,
    r#"<c r="ZZZZZZZZ9"><v>1</v></c>"#,
    r#"<c r="A1048577"><v>1</v></c>"#,
    r#"<row r="4294967295">"#,
    r#"<row r="0">"#,
    r#"<c r="A1" t="s"><v>99999999</v></c>"#,
    r#" uniqueCount="4294967295""#,
    r#"<dimension ref="XFD1048576:A1"/>"#,
    "</sheetData>",
    "<sheetData>",
    "</row>",
    "<row>",
    "<c>",
    "</c>",
    "<![CDATA[",
    "]]>",
    "&#0;",
    "&#x10FFFF;",
    "&amp;",
    "&bogus;",
    "<!--",
    r#" t="d""#,
    r#" t="e""#,
    r#" t="b""#,
    r#" t="str""#,
    r#" s="99999""#,
    "<v>1e308</v>",
    "<v>-1</v>",
    "<v>NaN</v>",
    "<v>2958466</v>",
    "<si><t>x</t></si>",
    "<si/>",
    r#"<t xml:space="preserve"> a </t>"#,
    "<f>SUM(A1:XFD1048576)</f>",
    r#"<f t="shared" ref="A1:XFD1048576" si="0">A1</f>"#,
    "\u{FEFF}",
    // ODS: repeats, spaces, comments, the other kind of cell end.
    r#" table:number-columns-repeated="16384""#,
    r#" table:number-rows-repeated="1048576""#,
    r#"<text:s text:c="100000"/>"#,
    "<office:annotation>",
    "</table:covered-table-cell>",
    r#"<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>"#,
];

/// Numbers a digit run is replaced with: limits and overflows.
const NUMBERS: &[&str] = &[
    "0",
    "1048576",
    "1048577",
    "16384",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "99999999999999999999",
];

/// Applies 1 to 4 byte-level mutations.
pub fn bytes(rng: &mut StdRng, data: &mut Vec<u8>, pieces: &[&[u8]]) {
    for _ in 0..rng.random_range(1..=4) {
        one(rng, data, pieces);
    }
}

fn one(rng: &mut StdRng, data: &mut Vec<u8>, pieces: &[&[u8]]) {
    let len = data.len();
    let at = |rng: &mut StdRng, n: usize| if n == 0 { 0 } else { rng.random_range(0..n) };
    match rng.random_range(0..9) {
        // A byte set to any value.
        0 if len > 0 => {
            let i = at(rng, len);
            data[i] = rng.random();
        }
        // A bit flipped.
        1 if len > 0 => {
            let i = at(rng, len);
            data[i] ^= 1 << rng.random_range(0..8);
        }
        // A piece inserted.
        2 | 3 => {
            let i = at(rng, len + 1);
            let piece = pieces[rng.random_range(0..pieces.len())];
            data.splice(i..i, piece.iter().copied());
        }
        // A range cut out.
        4 if len > 0 => {
            let i = at(rng, len);
            let n = rng.random_range(1..=64).min(len - i);
            data.drain(i..i + n);
        }
        // Truncated.
        5 => data.truncate(at(rng, len + 1)),
        // A range duplicated somewhere else.
        6 | 7 if len > 0 => {
            let i = at(rng, len);
            let n = rng.random_range(1..=(len / 4).clamp(1, 4096)).min(len - i);
            let range = data[i..i + n].to_vec();
            let to = at(rng, len + 1);
            data.splice(to..to, range);
        }
        // A digit run replaced with a limit or an overflow.
        8 => {
            let from = at(rng, len);
            if let Some(start) = data[from..].iter().position(u8::is_ascii_digit) {
                let start = from + start;
                let end = data[start..]
                    .iter()
                    .position(|b| !b.is_ascii_digit())
                    .map_or(len, |n| start + n);
                let number = NUMBERS[rng.random_range(0..NUMBERS.len())];
                data.splice(start..end, number.bytes());
            }
        }
        _ => {}
    }
}

/// A text mutant (CSV, UTF-16).
pub fn text(rng: &mut StdRng, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    bytes(rng, &mut data, TEXT_PIECES);
    data
}

/// A workbook mutant: mostly a part's XML mutated and the package rebuilt; sometimes the ZIP
/// bytes themselves; sometimes a part dropped or doubled.
pub fn workbook(rng: &mut StdRng, seed: &[u8]) -> Vec<u8> {
    let Some(mut parts) = unzip(seed) else {
        return text(rng, seed);
    };
    match rng.random_range(0..10) {
        0..=6 => {
            let i = pick_part(rng, &parts);
            let xml_pieces: Vec<&[u8]> = XML_PIECES.iter().map(|p| p.as_bytes()).collect();
            bytes(rng, &mut parts[i].1, &xml_pieces);
        }
        7 => {
            let mut data = zip(rng, &parts);
            bytes(rng, &mut data, TEXT_PIECES);
            return data;
        }
        8 if parts.len() > 1 => {
            parts.remove(rng.random_range(0..parts.len()));
        }
        _ => {
            let i = pick_part(rng, &parts);
            let copy = (format!("{}x", parts[i].0), parts[i].1.clone());
            parts.push(copy);
        }
    }
    zip(rng, &parts)
}

/// The sheets and shared strings most often: that is where the cells are.
fn pick_part(rng: &mut StdRng, parts: &[(String, Vec<u8>)]) -> usize {
    let cells: Vec<usize> = (0..parts.len())
        .filter(|&i| {
            let name = &parts[i].0;
            name.contains("worksheets/") || name.contains("sharedStrings") || name == "content.xml"
        })
        .collect();
    if !cells.is_empty() && rng.random_bool(0.75) {
        cells[rng.random_range(0..cells.len())]
    } else {
        rng.random_range(0..parts.len())
    }
}

pub fn unzip(bytes: &[u8]) -> Option<Vec<(String, Vec<u8>)>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut parts = Vec::new();
    for i in 0..archive.len() {
        let mut part = archive.by_index(i).ok()?;
        let mut content = Vec::new();
        part.read_to_end(&mut content).ok()?;
        parts.push((part.name().ok()?.to_string(), content));
    }
    Some(parts)
}

/// The parts as a package, deflated or stored at random (ODS's `mimetype` stays first).
pub fn zip(rng: &mut StdRng, parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let method = if rng.random_bool(0.8) {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = SimpleFileOptions::default().compression_method(method);
    for (name, content) in parts {
        zip.start_file(name.as_str(), options).expect("a ZIP entry");
        zip.write_all(content).expect("written");
    }
    zip.finish().expect("the archive").into_inner()
}
