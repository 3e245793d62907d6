//! BerkeleyDB hash databases (`/var/lib/rpm/Packages`, rpm < 4.16). Page 0 is the metadata page
//! (magic, page size, last page); each hash page lists key/value items, and every rpm value is
//! an off-page item that points to a chain of overflow pages holding the header blob. We do not
//! follow the hash function: walking every hash page finds every value, which is what listing
//! all packages needs.

use super::header::{RpmHeader, parse_header};
use crate::error::ParseError;

const HASH_MAGIC: u32 = 0x0006_1561;
const PAGE_HEADER: usize = 26;
const P_HASH_UNSORTED: u8 = 2;
const P_OVERFLOW: u8 = 7;
const P_HASH: u8 = 13;
const H_OFFPAGE: u8 = 3;

struct Db<'a> {
    data: &'a [u8],
    page_size: usize,
    big_endian: bool,
}

impl Db<'_> {
    fn u16_at(&self, b: &[u8], at: usize) -> Option<u16> {
        let s: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(s)
        } else {
            u16::from_le_bytes(s)
        })
    }
    fn u32_at(&self, b: &[u8], at: usize) -> Option<u32> {
        let s: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(s)
        } else {
            u32::from_le_bytes(s)
        })
    }
    fn page(&self, no: u32) -> Option<&[u8]> {
        let start = (no as usize).checked_mul(self.page_size)?;
        self.data.get(start..start.checked_add(self.page_size)?)
    }

    /// Concatenates an overflow chain; the last page holds `free_offset` bytes, the others are full.
    fn overflow(&self, first: u32, len: usize) -> Result<Vec<u8>, ParseError> {
        let bad = |m: &str| ParseError::malformed(format!("BerkeleyDB overflow chain: {m}"));
        let mut out = Vec::with_capacity(len.min(self.data.len()));
        let mut no = first;
        let max_pages = self.data.len() / self.page_size + 1;
        for _ in 0..max_pages {
            if no == 0 {
                break;
            }
            let page = self.page(no).ok_or_else(|| bad("page out of range"))?;
            if page[25] != P_OVERFLOW {
                return Err(bad("not an overflow page"));
            }
            let next = self.u32_at(page, 16).ok_or_else(|| bad("short page"))?;
            let used = if next == 0 {
                usize::from(self.u16_at(page, 22).ok_or_else(|| bad("short page"))?)
            } else {
                self.page_size - PAGE_HEADER
            };
            let chunk = page
                .get(PAGE_HEADER..PAGE_HEADER + used)
                .ok_or_else(|| bad("length past page"))?;
            out.extend_from_slice(chunk);
            no = next;
        }
        if no != 0 {
            return Err(bad("loop"));
        }
        Ok(out)
    }
}

/// Lists the header blobs of a BerkeleyDB hash `Packages` file and parses them.
pub fn parse_bdb(data: &[u8]) -> Result<Vec<RpmHeader>, ParseError> {
    if data.len() < 512 {
        return Err(ParseError::WrongFormat("BerkeleyDB file (too short)"));
    }
    let magic_le = u32::from_le_bytes(data[12..16].try_into().unwrap_or_default());
    let magic_be = u32::from_be_bytes(data[12..16].try_into().unwrap_or_default());
    let big_endian = match (magic_le == HASH_MAGIC, magic_be == HASH_MAGIC) {
        (true, _) => false,
        (_, true) => true,
        _ => {
            return Err(ParseError::WrongFormat(
                "BerkeleyDB hash database (bad magic)",
            ));
        }
    };
    let mut db = Db {
        data,
        page_size: 0,
        big_endian,
    };
    let page_size = db.u32_at(data, 20).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(ParseError::malformed(format!(
            "BerkeleyDB page size {page_size}"
        )));
    }
    if data[24] != 0 {
        return Err(ParseError::Unsupported("encrypted BerkeleyDB".into()));
    }
    db.page_size = page_size;
    let last_page = db.u32_at(data, 32).unwrap_or(0);
    let mut headers = Vec::new();
    let mut errors = 0usize;
    for no in 1..=last_page {
        let Some(page) = db.page(no) else {
            return Err(ParseError::malformed(format!(
                "BerkeleyDB truncated at page {no} of {last_page}"
            )));
        };
        if page[25] != P_HASH && page[25] != P_HASH_UNSORTED {
            continue;
        }
        let entries = usize::from(db.u16_at(page, 20).unwrap_or(0));
        // Items come in key/value pairs; the values are at odd positions of the offset table.
        for i in (1..entries).step_by(2) {
            let Some(off) = db.u16_at(page, PAGE_HEADER + 2 * i).map(usize::from) else {
                break;
            };
            if page.get(off) != Some(&H_OFFPAGE) {
                continue;
            }
            let (Some(first), Some(len)) = (db.u32_at(page, off + 4), db.u32_at(page, off + 8))
            else {
                errors += 1;
                continue;
            };
            match db
                .overflow(first, len as usize)
                .and_then(|blob| parse_header(&blob))
            {
                Ok(h) => headers.push(h),
                Err(_) => errors += 1,
            }
        }
    }
    // The hash metadata counts stored items; rpm keeps one small non-package record, so more
    // than one item with no header found means the pages that held them are damaged.
    let items = db.u32_at(data, 88).unwrap_or(0);
    if headers.is_empty() && (errors > 0 || items > 1) {
        return Err(ParseError::malformed(format!(
            "BerkeleyDB: no readable package among {items} items ({errors} damaged)"
        )));
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_bdb() {
        assert!(parse_bdb(b"short").is_err());
        assert!(parse_bdb(&[0u8; 4096]).is_err());
    }
}
