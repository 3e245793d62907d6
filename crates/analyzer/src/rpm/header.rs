//! The rpm header blob as the databases store it (without the 8-byte lead magic): a count of
//! index entries and a data length (both big-endian u32), the 16-byte index entries (tag, type,
//! offset, count), then the data store. Every offset is checked against the store.

use crate::error::ParseError;

const TAG_NAME: i32 = 1000;
const TAG_VERSION: i32 = 1001;
const TAG_RELEASE: i32 = 1002;
const TAG_EPOCH: i32 = 1003;
const TAG_LICENSE: i32 = 1014;
const TAG_ARCH: i32 = 1022;
const TAG_SOURCERPM: i32 = 1044;
const TAG_MODULARITYLABEL: i32 = 5096;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm limits headers to 0x10000 index entries and 256 MB of data.
const MAX_ENTRIES: u32 = 0x10000;
const MAX_DATA: u32 = 256 << 20;

/// The identity fields of one installed rpm.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RpmHeader {
    pub name: String,
    pub epoch: Option<u32>,
    pub version: String,
    pub release: String,
    pub arch: Option<String>,
    pub source_rpm: Option<String>,
    pub modularity_label: Option<String>,
    pub license: Option<String>,
}

impl RpmHeader {
    /// `[epoch:]version-release`, as rpm prints `%{EVR}` with the epoch shown when set.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(e) => format!("{e}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

fn be32(b: &[u8], at: usize) -> Result<u32, ParseError> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
        .ok_or_else(|| ParseError::malformed("rpm header truncated"))
}

/// Parses one header blob.
pub fn parse_header(blob: &[u8]) -> Result<RpmHeader, ParseError> {
    let il = be32(blob, 0)?;
    let dl = be32(blob, 4)?;
    if il == 0 || il > MAX_ENTRIES || dl > MAX_DATA {
        return Err(ParseError::malformed(format!(
            "rpm header with {il} entries and {dl} data bytes"
        )));
    }
    let index_end = 8 + il as usize * 16;
    let data = blob
        .get(index_end..index_end + dl as usize)
        .ok_or_else(|| ParseError::malformed("rpm header shorter than its index says"))?;
    let mut h = RpmHeader::default();
    for i in 0..il as usize {
        let at = 8 + i * 16;
        let tag = be32(blob, at)? as i32;
        let ty = be32(blob, at + 4)?;
        let offset = be32(blob, at + 8)? as usize;
        let count = be32(blob, at + 12)?;
        let wanted = matches!(
            tag,
            TAG_NAME
                | TAG_VERSION
                | TAG_RELEASE
                | TAG_EPOCH
                | TAG_LICENSE
                | TAG_ARCH
                | TAG_SOURCERPM
                | TAG_MODULARITYLABEL
        );
        if !wanted {
            continue;
        }
        if offset >= data.len() {
            return Err(ParseError::malformed(format!(
                "rpm tag {tag} points outside the data"
            )));
        }
        let value = &data[offset..];
        if tag == TAG_EPOCH {
            if ty != TYPE_INT32 || count < 1 {
                return Err(ParseError::malformed("rpm EPOCH is not an int32"));
            }
            h.epoch = Some(be32(value, 0)?);
            continue;
        }
        if !matches!(ty, TYPE_STRING | TYPE_STRING_ARRAY | TYPE_I18NSTRING) {
            return Err(ParseError::malformed(format!(
                "rpm tag {tag} has type {ty}, expected a string"
            )));
        }
        let end = value
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| ParseError::malformed(format!("rpm tag {tag}: unterminated string")))?;
        let s = String::from_utf8_lossy(&value[..end]).into_owned();
        match tag {
            TAG_NAME => h.name = s,
            TAG_VERSION => h.version = s,
            TAG_RELEASE => h.release = s,
            TAG_LICENSE => h.license = Some(s),
            TAG_ARCH => h.arch = Some(s),
            TAG_SOURCERPM => h.source_rpm = Some(s),
            _ => h.modularity_label = Some(s),
        }
    }
    if h.name.is_empty() || h.version.is_empty() {
        return Err(ParseError::malformed("rpm header without NAME or VERSION"));
    }
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_truncated_and_out_of_range_headers() {
        assert!(parse_header(&[]).is_err());
        assert!(parse_header(&[0, 0, 0, 1, 0, 0, 0, 4]).is_err());
        // One NAME entry whose offset is past the 4-byte store.
        let mut b = vec![0, 0, 0, 1, 0, 0, 0, 4];
        b.extend_from_slice(&1000i32.to_be_bytes());
        b.extend_from_slice(&6u32.to_be_bytes());
        b.extend_from_slice(&9u32.to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(b"abc\0");
        assert!(parse_header(&b).is_err());
        let n = b.len();
        b[8 + 8..8 + 12].copy_from_slice(&0u32.to_be_bytes());
        b[n - 4..].copy_from_slice(b"abc\0");
        // Now NAME parses but VERSION is missing.
        assert!(parse_header(&b).is_err());
    }
}
