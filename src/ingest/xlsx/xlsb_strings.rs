//! An XLSB workbook's shared strings counted before calamine reads them.
//!
//! calamine reads `sharedStrings.bin` record by record into one buffer that it grows but never
//! clears, and decodes each string item from that buffer: a two-byte record after a 1 MiB one
//! decodes the 1 MiB string again. So a few bytes a string can make gigabytes. The records are
//! walked here exactly as calamine walks them, keeping of the buffer only its length and the
//! five bytes a string item reads its length from, and the strings' count and text are held to
//! the limits.

use std::io::Read;

use super::super::Refusal;
use super::limits::{self, grouped, size};
use super::package::not_a_spreadsheet;

/// The walk of calamine's `RecordIter`: a record type, then a length, each 7 bits a byte.
struct Records<R> {
    input: R,
    /// The length calamine's buffer has grown to.
    buffer_len: usize,
    /// Its first bytes (a string item's flags and character count).
    head: [u8; 5],
}

impl<R: Read> Records<R> {
    fn byte(&mut self) -> Option<u8> {
        let mut b = [0];
        self.input.read_exact(&mut b).ok()?;
        Some(b[0])
    }

    fn record_type(&mut self) -> Option<u16> {
        let b = self.byte()?;
        Some(if b & 0x80 != 0 {
            u16::from(b & 0x7F) + (u16::from(self.byte()? & 0x7F) << 7)
        } else {
            u16::from(b)
        })
    }

    /// Reads a record's body into the (mirrored) buffer.
    fn body(&mut self) -> Option<usize> {
        let mut b = self.byte()?;
        let mut len = usize::from(b & 0x7F);
        for i in 1..4 {
            if b & 0x80 == 0 {
                break;
            }
            b = self.byte()?;
            len += usize::from(b & 0x7F) << (7 * i);
        }
        self.buffer_len = self.buffer_len.max(len);
        let head = len.min(self.head.len());
        self.input.read_exact(&mut self.head[..head]).ok()?;
        let rest = (len - head) as u64;
        let skipped =
            std::io::copy(&mut (&mut self.input).take(rest), &mut std::io::sink()).ok()?;
        (skipped == rest).then_some(len)
    }

    /// calamine's `next_skip_blocks`: the next record of type `wanted`, skipping the records
    /// between a `from` and its `to`.
    fn next(&mut self, wanted: u16, skip: Option<(u16, u16)>) -> Option<()> {
        loop {
            let typ = self.record_type()?;
            self.body()?;
            if typ == wanted {
                return Some(());
            }
            if let Some((from, to)) = skip
                && typ == from
            {
                while self.record_type()? != to {
                    self.body()?;
                }
                self.body()?;
            }
        }
    }
}

/// Refuses shared strings that calamine would make too many or too large.
pub fn check(part: impl Read) -> Result<(), Refusal> {
    let mut records = Records {
        input: std::io::BufReader::new(part),
        buffer_len: 0,
        head: [0; 5],
    };
    // BrtBeginSst, then as many BrtSSTItem as its count says.
    if records.next(0x009F, None).is_none() || records.buffer_len < 8 {
        return Ok(());
    }
    // calamine reads as many items as BrtBeginSst says; all that are there are counted here.
    let mut strings: u64 = 0;
    let mut text: u64 = 0;
    loop {
        if records.next(0x0013, Some((0x0023, 0x0024))).is_none() {
            return Ok(());
        }
        // wide_str(&buf[1..]): a u32 count of UTF-16 units, then the units.
        if records.buffer_len < 5 {
            return Ok(());
        }
        let units = u64::from(u32::from_le_bytes(
            records.head[1..5].try_into().expect("4 bytes"),
        ));
        if (records.buffer_len as u64 - 1) < 4 + 2 * units {
            return Ok(());
        }
        strings += 1;
        text = text.saturating_add(3 * units + 24);
        if strings > limits::MAX_SHARED_STRINGS {
            return Err(Refusal::new(format!(
                "the workbook holds more than {} shared strings, the limit",
                grouped(limits::MAX_SHARED_STRINGS)
            ))
            .hint(not_a_spreadsheet()));
        }
        if text > limits::MAX_TEXT_BYTES {
            return Err(Refusal::new(format!(
                "the workbook's shared strings hold more than {} of text",
                size(limits::MAX_TEXT_BYTES)
            ))
            .hint(not_a_spreadsheet()));
        }
    }
}
