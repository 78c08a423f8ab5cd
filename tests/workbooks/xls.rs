//! XLS files built by hand: a Compound File of 512-byte sectors (a FAT sector, a directory
//! sector, the `Workbook` stream) holding BIFF8 records, enough for calamine to read a sheet,
//! and for a test to write what Excel never would (a cell at column 65,536, a looping chain).

const END_OF_CHAIN: u32 = 0xFFFF_FFFE;
const FREE: u32 = 0xFFFF_FFFF;
const FAT_SECTOR: u32 = 0xFFFF_FFFD;

/// A BIFF record.
pub fn record(typ: u16, data: &[u8]) -> Vec<u8> {
    let mut out = typ.to_le_bytes().to_vec();
    out.extend((data.len() as u16).to_le_bytes());
    out.extend(data);
    out
}

/// A Label cell (BIFF8: row, column, format, then the string, one byte a character).
pub fn label(row: u16, column: u16, text: &str) -> Vec<u8> {
    let mut data = Vec::new();
    data.extend(row.to_le_bytes());
    data.extend(column.to_le_bytes());
    data.extend(0u16.to_le_bytes());
    data.extend((text.len() as u16).to_le_bytes());
    data.push(0);
    data.extend(text.as_bytes());
    record(0x0204, &data)
}

/// A Number cell.
pub fn number(row: u16, column: u16, value: f64) -> Vec<u8> {
    let mut data = Vec::new();
    data.extend(row.to_le_bytes());
    data.extend(column.to_le_bytes());
    data.extend(0u16.to_le_bytes());
    data.extend(value.to_le_bytes());
    record(0x0203, &data)
}

fn bof(kind: u16) -> Vec<u8> {
    let mut data = 0x0600u16.to_le_bytes().to_vec();
    data.extend(kind.to_le_bytes());
    data.extend([0; 12]);
    record(0x0809, &data)
}

/// The `Workbook` stream of one sheet, `Sheet1`, holding `cells` (records).
pub fn workbook_stream(cells: &[Vec<u8>]) -> Vec<u8> {
    let name = b"Sheet1";
    let sheet_entry_len = 4 + 4 + 4 + name.len();
    let globals_len = bof(0x0005).len() + sheet_entry_len + 4;
    let mut sheet_data = (globals_len as u32).to_le_bytes().to_vec();
    sheet_data.extend([0, 0, name.len() as u8, 0]);
    sheet_data.extend(name);
    let mut stream = bof(0x0005);
    stream.extend(record(0x0085, &sheet_data));
    stream.extend(record(0x000A, &[]));
    assert_eq!(stream.len(), globals_len);
    stream.extend(bof(0x0010));
    for cell in cells {
        stream.extend(cell);
    }
    stream.extend(record(0x000A, &[]));
    // A stream under 4,096 bytes would live in the mini stream; pad past it.
    stream.resize(stream.len().max(4096), 0);
    stream
}

/// A Compound File holding `stream` as `Workbook`. With `looping`, the stream's chain goes
/// back to its first sector instead of ending, and its length says 1 GiB.
pub fn compound_file(stream: &[u8], looping: bool) -> Vec<u8> {
    let sectors = stream.len().div_ceil(512) as u32;
    let mut header = vec![0u8; 512];
    header[..8].copy_from_slice(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1");
    let mut put16 = |at: usize, v: u16| header[at..at + 2].copy_from_slice(&v.to_le_bytes());
    put16(24, 0x003E);
    put16(26, 3);
    put16(28, 0xFFFE);
    put16(30, 9);
    put16(32, 6);
    let mut put32 = |at: usize, v: u32| header[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put32(44, 1);
    put32(48, 1);
    put32(56, 4096);
    put32(60, END_OF_CHAIN);
    put32(68, END_OF_CHAIN);
    put32(76, 0);
    for i in 1..109 {
        put32(76 + 4 * i, FREE);
    }

    let mut fat = vec![FAT_SECTOR, END_OF_CHAIN];
    for i in 0..sectors {
        let next = if i + 1 < sectors {
            2 + i + 1
        } else if looping {
            2
        } else {
            END_OF_CHAIN
        };
        fat.push(next);
    }
    fat.resize(128, FREE);
    let fat: Vec<u8> = fat.iter().flat_map(|v| v.to_le_bytes()).collect();

    let length = if looping {
        1 << 30
    } else {
        stream.len() as u32
    };
    let mut directory = entry("Root Entry", 5, END_OF_CHAIN, 0);
    directory.extend(entry("Workbook", 2, 2, length));
    directory.resize(512, 0);

    let mut file = header;
    file.extend(fat);
    file.extend(directory);
    file.extend(stream);
    file.resize(512 * (3 + sectors as usize), 0);
    file
}

fn entry(name: &str, kind: u8, start: u32, size: u32) -> Vec<u8> {
    let mut entry = vec![0u8; 128];
    for (i, unit) in name.encode_utf16().enumerate() {
        entry[2 * i..2 * i + 2].copy_from_slice(&unit.to_le_bytes());
    }
    entry[64..66].copy_from_slice(&((name.len() as u16 + 1) * 2).to_le_bytes());
    entry[66] = kind;
    entry[68..80].copy_from_slice(&[0xFF; 12]);
    entry[116..120].copy_from_slice(&start.to_le_bytes());
    entry[120..124].copy_from_slice(&size.to_le_bytes());
    entry
}
