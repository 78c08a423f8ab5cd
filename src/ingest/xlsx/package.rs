//! A ZIP workbook (XLSX, XLSB, ODS) looked over before calamine opens it.
//!
//! calamine inflates the parts it needs and keeps some of them whole (the shared strings, the
//! styles; ODS's whole `content.xml`), sized by what the file says. So the package's directory
//! is read first: how many parts, how large each says it is, how many shared strings the
//! workbook declares and, when a shared-strings part is large enough to hold more than the
//! limit, how many it really has. A part cannot hold more than it declares: the ZIP reader
//! stops one byte past the declared size with an error, which [`overflowing_part`] then names.

use std::io::{BufReader, Cursor};

use quick_xml::events::Event;
use zip::ZipArchive;

use super::super::Refusal;
use super::limits::{self, grouped, size};
use super::xlsb_strings;

type Archive<'a> = ZipArchive<Cursor<&'a [u8]>>;

/// Refuses a package over the limits of [`limits`]. A file the ZIP reader cannot open at all
/// passes: calamine then says why it cannot read it.
pub fn check(bytes: &[u8]) -> Result<(), Refusal> {
    let Ok(mut archive) = ZipArchive::new(Cursor::new(bytes)) else {
        return Ok(());
    };
    if archive.len() > limits::MAX_PARTS {
        return Err(Refusal::new(format!(
            "the workbook has {} parts; the limit is {}",
            grouped(archive.len() as u64),
            grouped(limits::MAX_PARTS as u64)
        ))
        .hint(not_a_spreadsheet()));
    }
    let mut total: u64 = 0;
    let mut shared_strings = Vec::new();
    for index in 0..archive.len() {
        let Ok(entry) = archive.by_index_data(index) else {
            continue;
        };
        let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
        let declared = entry.size();
        let limit = part_limit(&name);
        if declared > limit {
            return Err(Refusal::new(format!(
                "the workbook's part `{name}` is {} uncompressed; the limit is {}",
                size(declared),
                size(limit)
            ))
            .hint(not_a_spreadsheet()));
        }
        total = total.saturating_add(declared);
        if total > limits::MAX_PACKAGE_BYTES {
            return Err(Refusal::new(format!(
                "the workbook's parts add up to more than {} uncompressed",
                size(limits::MAX_PACKAGE_BYTES)
            ))
            .hint(not_a_spreadsheet()));
        }
        let lower = lower_name(&name);
        if lower.ends_with("sharedstrings.xml") || lower.ends_with("sharedstrings.bin") {
            shared_strings.push((index, lower.ends_with(".bin"), declared));
        }
    }
    for (index, binary, declared) in shared_strings {
        if binary {
            if let Ok(part) = archive.by_index(index) {
                xlsb_strings::check(part)?;
            }
        } else {
            count_shared_strings(&mut archive, index, declared)?;
        }
    }
    Ok(())
}

/// The part, if any, that holds more than its entry declares: the cause of the ZIP reader's
/// "larger than its declared uncompressed size" inside a calamine error.
pub fn overflowing_part(bytes: &[u8]) -> Option<Refusal> {
    let mut archive = ZipArchive::new(Cursor::new(bytes)).ok()?;
    (0..archive.len()).find_map(|index| {
        let mut part = archive.by_index(index).ok()?;
        let declared = part.size();
        let name = String::from_utf8_lossy(part.name_raw()).into_owned();
        let overflows = std::io::copy(&mut part, &mut std::io::sink())
            .is_err_and(|e| e.to_string().contains("larger than its declared"));
        overflows.then(|| {
            Refusal::new(format!(
                "the workbook's part `{name}` holds more than the {} its entry declares",
                size(declared)
            ))
            .hint(not_a_spreadsheet())
        })
    })
}

/// Whether a calamine error is the ZIP reader stopping a part at its declared size.
pub fn is_overflow(error: &str) -> bool {
    error.contains("larger than its declared uncompressed size")
}

pub(super) fn not_a_spreadsheet() -> String {
    format!(
        "this is not a workbook as a spreadsheet application saves it (it may be built to \
         exhaust memory); {}",
        limits::EXPORT_AS_CSV
    )
}

fn lower_name(name: &str) -> String {
    name.replace('\\', "/").to_ascii_lowercase()
}

/// The limit of a part: smaller for the parts read whole into many small objects.
fn part_limit(name: &str) -> u64 {
    let name = lower_name(name);
    let file = name.rsplit('/').next().unwrap_or(&name);
    let small = file.ends_with(".rels")
        || matches!(
            file,
            "styles.xml" | "styles.bin" | "workbook.xml" | "workbook.bin" | "theme1.xml"
        );
    if small {
        limits::MAX_SMALL_PART_BYTES
    } else {
        limits::MAX_PART_BYTES
    }
}

/// The shortest a shared string can be written (`<si/>`): a part smaller than the limit
/// times this cannot hold more strings than the limit, and is not counted.
const SHORTEST_SHARED_STRING: u64 = 5;

/// Refuses shared strings that declare (`uniqueCount`, which calamine reserves room for) or
/// hold more than [`limits::MAX_SHARED_STRINGS`]. The XML is read as calamine reads it.
fn count_shared_strings(
    archive: &mut Archive<'_>,
    index: usize,
    declared: u64,
) -> Result<(), Refusal> {
    let Ok(part) = archive.by_index(index) else {
        return Ok(());
    };
    let count_them = declared / SHORTEST_SHARED_STRING > limits::MAX_SHARED_STRINGS;
    let mut xml = quick_xml::Reader::from_reader(BufReader::new(part));
    let config = xml.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut buf = Vec::with_capacity(1024);
    let mut strings: u64 = 0;
    loop {
        buf.clear();
        let Ok(event) = xml.read_event_into(&mut buf) else {
            // calamine stops at the same error.
            return Ok(());
        };
        match event {
            Event::Start(e) if e.local_name().as_ref() == "sst" => {
                let declared_count = e
                    .try_get_attribute("uniqueCount")
                    .ok()
                    .flatten()
                    .and_then(|a| a.value.parse::<u64>().ok());
                if let Some(n) = declared_count.filter(|n| *n > limits::MAX_SHARED_STRINGS) {
                    return Err(too_many_strings(Some(n)));
                }
                if !count_them {
                    return Ok(());
                }
            }
            Event::Start(e) if e.local_name().as_ref() == "si" => {
                strings += 1;
                if strings > limits::MAX_SHARED_STRINGS {
                    return Err(too_many_strings(None));
                }
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

/// The refusal for the strings a workbook `declares`, or (`None`) holds.
fn too_many_strings(declares: Option<u64>) -> Refusal {
    let max = grouped(limits::MAX_SHARED_STRINGS);
    let message = match declares {
        Some(n) => format!(
            "the workbook declares {} shared strings; the limit is {max}",
            grouped(n)
        ),
        None => format!("the workbook holds more than {max} shared strings, the limit"),
    };
    Refusal::new(message).hint(not_a_spreadsheet())
}
