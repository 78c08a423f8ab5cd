//! The `Workbook` stream of an XLS file, found as calamine finds it, with every chain bounded.
//!
//! An XLS file is a Compound File: a FAT of sector chains, a directory, streams. calamine
//! follows a chain until it ends or has the length the directory states; a chain that loops
//! back on itself never ends, and calamine then grows one buffer until memory runs out (or
//! spins, on sectors past the end of the file). Here the same chains are walked in the same
//! order, each at most once through every sector of the file: a longer chain loops, and the
//! file is refused. The stream is then returned for [`super::xls_scan`] to measure.

use super::super::Refusal;
use super::limits::EXPORT_AS_CSV;

const SIGNATURE: &[u8] = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1";
const RESERVED: u32 = 0xFFFF_FFFA;
const DIFSECT: u32 = 0xFFFF_FFFC;
const END_OF_CHAIN: u32 = 0xFFFF_FFFE;

/// The sectors of the file, as calamine numbers them (after the header).
struct Sectors<'a> {
    bytes: &'a [u8],
    /// 512 or 4096; the header takes one sector's room.
    size: usize,
    /// The highest sector number calamine accepts.
    max_id: u32,
}

impl Sectors<'_> {
    /// Sector `id`, `None` past the last one calamine accepts. One that starts past the end of
    /// the file is refused: calamine would read zeros, or spin on it.
    fn get(&self, id: u32) -> Result<Option<&[u8]>, Refusal> {
        if id > self.max_id {
            return Ok(None);
        }
        let start = (id as usize + 1) * self.size;
        let end = (start + self.size).min(self.bytes.len());
        match self.bytes.get(start..end) {
            Some(sector) if !sector.is_empty() => Ok(Some(sector)),
            _ => Err(malformed("a sector chain runs past the end of the file")),
        }
    }
}

/// The stream calamine reads as the workbook, or `None` where calamine fails to get it.
/// A chain that loops is refused.
pub fn workbook_stream(bytes: &[u8]) -> Result<Option<Vec<u8>>, Refusal> {
    if bytes.len() < 512 || !bytes.starts_with(SIGNATURE) {
        return Ok(None);
    }
    let u16_at = |at: usize| u16::from_le_bytes([bytes[at], bytes[at + 1]]);
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let version = u16_at(26);
    let size = match u16_at(30) {
        0x0009 => 512,
        0x000C if bytes.len() >= 4096 => 4096,
        _ => return Ok(None),
    };
    if u16_at(32) != 0x0006 {
        return Ok(None);
    }
    let sectors = Sectors {
        bytes,
        size,
        max_id: u32::try_from(bytes.len() / size).unwrap_or(u32::MAX),
    };
    let steps = sectors.max_id as usize + 1;
    let fat_sectors = u32s(&bytes[76..512]);
    let Some(fat_sectors) = difat(&sectors, fat_sectors, u32_at(68))? else {
        return Ok(None);
    };
    // Each FAT sector calamine loads is a copy: more of them than the file has sectors is a
    // file that repeats one, to make calamine's table many times the file's size.
    if fat_sectors.len() > steps {
        return Err(malformed("its FAT names more sectors than the file has"));
    }
    let mut fat = Vec::new();
    for id in fat_sectors {
        match sectors.get(id)? {
            Some(sector) => fat.extend(u32s(sector)),
            None => return Ok(None),
        }
    }
    let Some(directory) = chain(|id| sectors.get(id), &fat, u32_at(48), usize::MAX, steps)? else {
        return Ok(None);
    };
    let entries: Vec<Entry> = directory
        .chunks_exact(128)
        .map(|c| Entry::of(c, size))
        .collect();
    let Some(root) = entries.first() else {
        return Ok(None);
    };
    if version != 3 && root.start == END_OF_CHAIN {
        return Ok(None);
    }
    let mini_fat_len = u32_at(64) as usize;
    let (mini_stream, mini_fat) = if mini_fat_len > 0 {
        let Some(stream) = chain(|id| sectors.get(id), &fat, root.start, root.len, steps)? else {
            return Ok(None);
        };
        let Some(table) = chain(
            |id| sectors.get(id),
            &fat,
            u32_at(60),
            mini_fat_len * size,
            steps,
        )?
        else {
            return Ok(None);
        };
        (stream, u32s(&table))
    } else {
        (Vec::new(), Vec::new())
    };
    let wanted = ["Workbook", "Book"].iter().find_map(|name| {
        entries
            .iter()
            .find(|e| e.name.as_bytes().eq_ignore_ascii_case(name.as_bytes()))
    });
    let Some(entry) = wanted else {
        return Ok(None);
    };
    if entry.len < 4096 {
        let minis = MiniSectors {
            stream: &mini_stream,
            max_id: sectors.max_id.saturating_mul(8),
        };
        chain(
            |id| minis.get(id),
            &mini_fat,
            entry.start,
            entry.len,
            steps * 8,
        )
    } else {
        chain(|id| sectors.get(id), &fat, entry.start, entry.len, steps)
    }
}

/// The FAT's sector numbers: the header's 109, then the DIFAT chain's (bounded as calamine
/// bounds it). `None` where calamine fails.
fn difat(
    sectors: &Sectors<'_>,
    mut ids: Vec<u32>,
    start: u32,
) -> Result<Option<Vec<u32>>, Refusal> {
    let mut id = start;
    let mut seen = 0usize;
    while id < RESERVED {
        seen += 1;
        if seen > sectors.max_id as usize + 1 {
            return Ok(None);
        }
        let Some(sector) = sectors.get(id)? else {
            return Ok(None);
        };
        ids.extend(u32s(sector));
        let Some(next) = ids.pop() else {
            return Ok(None);
        };
        id = next;
    }
    Ok(Some(ids.into_iter().filter(|id| *id < DIFSECT).collect()))
}

/// A chain of sectors (`sector` gives one by number: the file's, or the mini stream's 64-byte
/// ones for a stream under 4,096 bytes), read up to `len` bytes as calamine reads it; refused
/// when it takes more than `steps` sectors (it loops), `None` where calamine fails.
fn chain<'s>(
    sector: impl Fn(u32) -> Result<Option<&'s [u8]>, Refusal>,
    fat: &[u32],
    mut id: u32,
    len: usize,
    steps: usize,
) -> Result<Option<Vec<u8>>, Refusal> {
    let mut out = Vec::new();
    let mut taken = 0;
    while id != END_OF_CHAIN {
        taken += 1;
        if taken > steps {
            return Err(malformed("a chain of its sectors loops"));
        }
        let Some(sector) = sector(id)? else {
            return Ok(None);
        };
        let n = sector.len().min(len - out.len());
        out.extend_from_slice(&sector[..n]);
        if out.len() >= len {
            break;
        }
        let Some(next) = fat.get(id as usize) else {
            return Ok(None);
        };
        id = *next;
    }
    Ok(Some(out))
}

/// The mini stream's 64-byte sectors.
struct MiniSectors<'a> {
    stream: &'a [u8],
    /// The highest mini sector number calamine accepts.
    max_id: u32,
}

impl MiniSectors<'_> {
    /// Mini sector `id`; one past the mini stream is refused: calamine would read whatever
    /// the file holds where it last stopped reading.
    fn get(&self, id: u32) -> Result<Option<&[u8]>, Refusal> {
        if id > self.max_id {
            return Ok(None);
        }
        let start = id as usize * 64;
        match self.stream.get(start..(start + 64).min(self.stream.len())) {
            Some(sector) if !sector.is_empty() => Ok(Some(sector)),
            _ => Err(malformed("a stream runs past the end of the mini stream")),
        }
    }
}

/// A directory entry: its name, first sector and length.
struct Entry {
    name: String,
    start: u32,
    len: usize,
}

impl Entry {
    fn of(raw: &[u8], sector_size: usize) -> Entry {
        // As calamine decodes it (a byte-order mark in it switches the encoding).
        let mut name = encoding_rs::UTF_16LE.decode(&raw[..64]).0.into_owned();
        if let Some(nul) = name.as_bytes().iter().position(|b| *b == 0) {
            name.truncate(nul);
        }
        let start = u32::from_le_bytes(raw[116..120].try_into().expect("4 bytes"));
        let len = if sector_size == 512 {
            u32::from_le_bytes(raw[120..124].try_into().expect("4 bytes")) as usize
        } else {
            usize::try_from(u64::from_le_bytes(
                raw[120..128].try_into().expect("8 bytes"),
            ))
            .unwrap_or(usize::MAX)
        };
        Entry { name, start, len }
    }
}

fn u32s(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn malformed(what: &str) -> Refusal {
    Refusal::new(format!("the XLS file is malformed: {what}")).hint(format!(
        "it would make the reader loop or exhaust memory; {EXPORT_AS_CSV}"
    ))
}
