//! NDB, rpm's own database format (`Packages.db`, SUSE and rpm ≥ 4.16 `--with-ndb`). All fields
//! are little-endian u32. A 32-byte header (`RpmP`, version 0, generation, slot page count, …) is
//! followed by slot entries (`Slot`, package index, block offset, block count) filling the slot
//! pages; each used slot points at a blob (`BlbS` header of 16 bytes, then the rpm header blob)
//! at `block offset × 16`.

use super::header::{RpmHeader, parse_header};
use crate::error::ParseError;

const PAGE_SIZE: usize = 4096;
const SLOT_SIZE: usize = 16;
const FILE_HEADER: usize = 32;
const BLOCK_SIZE: usize = 16;
const HEADER_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Lists and parses the header blobs of an NDB `Packages.db`.
pub fn parse_ndb(data: &[u8]) -> Result<Vec<RpmHeader>, ParseError> {
    if le32(data, 0) != Some(HEADER_MAGIC) {
        return Err(ParseError::WrongFormat("NDB database (bad magic)"));
    }
    if le32(data, 4) != Some(0) {
        return Err(ParseError::Unsupported("NDB version other than 0".into()));
    }
    let slot_pages = le32(data, 12).unwrap_or(0) as usize;
    let slots_end = slot_pages
        .checked_mul(PAGE_SIZE)
        .filter(|&e| e <= data.len() && e >= PAGE_SIZE)
        .ok_or_else(|| {
            ParseError::malformed(format!("NDB slot pages ({slot_pages}) past the file"))
        })?;
    let mut headers = Vec::new();
    // The 32-byte file header (magic, version, generation, slot pages, next package index and
    // reserved words) occupies the first two slot-sized cells of page 0.
    for at in (FILE_HEADER..slots_end).step_by(SLOT_SIZE) {
        let (Some(magic), Some(pkg), Some(block)) =
            (le32(data, at), le32(data, at + 4), le32(data, at + 8))
        else {
            break;
        };
        if magic != SLOT_MAGIC {
            return Err(ParseError::malformed(format!(
                "NDB slot at {at} has a bad magic"
            )));
        }
        if pkg == 0 {
            continue;
        }
        let blob_at = block as usize * BLOCK_SIZE;
        let bad = |m: &str| ParseError::malformed(format!("NDB blob of package {pkg}: {m}"));
        if le32(data, blob_at) != Some(BLOB_MAGIC) {
            return Err(bad("bad magic"));
        }
        if le32(data, blob_at + 4) != Some(pkg) {
            return Err(bad("package index mismatch"));
        }
        let len = le32(data, blob_at + 12).ok_or_else(|| bad("truncated"))? as usize;
        let blob = data
            .get(blob_at + 16..blob_at + 16 + len)
            .ok_or_else(|| bad("length past the end of the file"))?;
        headers.push(parse_header(blob)?);
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_magic_and_short_files() {
        assert!(parse_ndb(b"nope").is_err());
        let mut d = vec![0u8; 64];
        d[..4].copy_from_slice(b"RpmP");
        d[12] = 9; // nine slot pages in a 64-byte file
        assert!(parse_ndb(&d).is_err());
    }
}
