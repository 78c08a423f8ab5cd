//! Workbook packages built by hand, part by part, so a test can write what no spreadsheet
//! application would: a cell past the last column, a shared-strings part that declares two
//! hundred million strings, a part whose ZIP entry states a size other than the one it has.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;

const WORKBOOK_RELS_START: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#;

/// An XLSX package: sheets by name with their `<sheetData>` content, and optionally the
/// shared-strings part's whole text.
pub struct Book {
    sheets: Vec<(String, String)>,
    shared_strings: Option<Vec<u8>>,
}

impl Book {
    /// One sheet, `Sheet1`, holding `rows` (the inside of `<sheetData>`).
    pub fn sheet(rows: &str) -> Book {
        Book {
            sheets: vec![("Sheet1".to_string(), rows.to_string())],
            shared_strings: None,
        }
    }

    /// `xl/sharedStrings.xml`, as given.
    pub fn shared_strings(mut self, part: impl Into<Vec<u8>>) -> Book {
        self.shared_strings = Some(part.into());
        self
    }

    /// The package's bytes (parts deflated, the way Excel saves them).
    pub fn bytes(&self) -> Vec<u8> {
        let mut parts: Vec<(String, Vec<u8>)> = vec![
            ("_rels/.rels".into(), RELS.into()),
            ("xl/workbook.xml".into(), self.workbook().into()),
            (
                "xl/_rels/workbook.xml.rels".into(),
                self.workbook_rels().into(),
            ),
        ];
        for (i, (_, rows)) in self.sheets.iter().enumerate() {
            let xml = format!(
                r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{rows}</sheetData></worksheet>"#
            );
            parts.push((format!("xl/worksheets/sheet{}.xml", i + 1), xml.into()));
        }
        if let Some(shared) = &self.shared_strings {
            parts.push(("xl/sharedStrings.xml".into(), shared.clone()));
        }
        zip_of(&parts)
    }

    fn workbook(&self) -> String {
        let sheets: String = self
            .sheets
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                format!(
                    r#"<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>"#,
                    n = i + 1
                )
            })
            .collect();
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>"#
        )
    }

    fn workbook_rels(&self) -> String {
        let mut rels = WORKBOOK_RELS_START.to_string();
        for i in 1..=self.sheets.len() {
            rels.push_str(&format!(
                r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i}.xml"/>"#
            ));
        }
        rels.push_str("</Relationships>");
        rels
    }
}

/// A ZIP archive of `parts`, deflated.
pub fn zip_of(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in parts {
        zip.start_file(name.as_str(), options).expect("a ZIP entry");
        zip.write_all(bytes).expect("written");
    }
    zip.finish().expect("the archive").into_inner()
}

/// An inline-string cell: `<c r="B2" t="inlineStr"><is><t>text</t></is></c>`.
pub fn text_cell(reference: &str, text: &str) -> String {
    format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

/// A row of inline-string cells at `(reference, text)`.
pub fn row(number: u32, cells: &[(&str, &str)]) -> String {
    let cells: String = cells.iter().map(|(r, t)| text_cell(r, t)).collect();
    format!(r#"<row r="{number}">{cells}</row>"#)
}

/// Rewrites the uncompressed size that `name`'s ZIP entry declares, in its local header and in
/// the central directory: the content stays as it is, so it is larger or smaller than it says.
pub fn declare_size(zip: &mut [u8], name: &str, size: u32) {
    let mut rewritten = 0;
    // Local file header: the uncompressed size at 22, the name's length at 26, the name at 30.
    // Central directory header: the same at 24, 28 and 46.
    for (signature, size_at, name_len_at, name_at) in
        [(b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46)]
    {
        let mut at = 0;
        while let Some(found) = find(&zip[at..], signature) {
            let header = at + found;
            let name_len =
                u16::from_le_bytes([zip[header + name_len_at], zip[header + name_len_at + 1]]);
            let named = &zip[header + name_at..header + name_at + usize::from(name_len)];
            if named == name.as_bytes() {
                zip[header + size_at..header + size_at + 4].copy_from_slice(&size.to_le_bytes());
                rewritten += 1;
            }
            at = header + 4;
        }
    }
    assert_eq!(
        rewritten, 2,
        "the entry {name} has a local and a central header"
    );
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// An ODS package whose one sheet, `Sheet1`, holds `rows` (the inside of `<table:table>`).
pub fn ods(rows: &str) -> Vec<u8> {
    ods_package(&ods_content(rows))
}

/// `content.xml` of an ODS package whose one sheet, `Sheet1`, holds `rows`.
pub fn ods_content(rows: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Sheet1">{rows}</table:table></office:spreadsheet></office:body></office:document-content>"#
    )
}

/// An ODS package of `content` (its `content.xml`).
pub fn ods_package(content: &str) -> Vec<u8> {
    let manifest = r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#;
    zip_of(&[
        (
            "mimetype".into(),
            b"application/vnd.oasis.opendocument.spreadsheet".to_vec(),
        ),
        ("content.xml".into(), content.as_bytes().to_vec()),
        ("META-INF/manifest.xml".into(), manifest.into()),
    ])
}

/// An ODS row of string cells.
pub fn ods_row(cells: &[&str]) -> String {
    let cells: String = cells
        .iter()
        .map(|c| {
            format!(r#"<table:table-cell office:value-type="string"><text:p>{c}</text:p></table:table-cell>"#)
        })
        .collect();
    format!("<table:table-row>{cells}</table:table-row>")
}
