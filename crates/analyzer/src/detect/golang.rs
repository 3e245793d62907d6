//! Go binaries: the build information the Go linker embeds (toolchain version and module list).
//!
//! The blob starts with the 14-byte magic `\xff Go buildinf:`. Since Go 1.18 the two strings
//! (version, module info) follow the 32-byte header inline as varint-length strings, so they are
//! found by scanning bytes, for any object format, even in a stream ([`scan_stream`] is used for
//! binaries above the in-memory cap). Older binaries store pointers to the strings instead; those
//! are resolved through the object file's sections with the `object` crate.

use super::package;
use crate::error::ParseError;
use crowsnest_model::{Package, PackageKind};
use object::{Object, ObjectSection};
use std::io::Read;

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER: usize = 32;
/// Module info larger than this is not real build info.
const MAX_STRING: u64 = 4 << 20;

/// Finds and parses Go build info in a whole file; empty when the file is not a Go binary.
pub fn parse_buildinfo(data: &[u8], path: &str) -> Result<Vec<Package>, ParseError> {
    let Some(at) = find_magic(data) else {
        return Ok(Vec::new());
    };
    let blob = &data[at..];
    let (version, modinfo) = match read_inline(blob)? {
        Some(v) => v,
        None => read_pointers(data, blob)?,
    };
    Ok(packages(&version, &modinfo, path))
}

/// The magic sits on a 16-byte boundary of the data section; other hits are string constants
/// (the Go toolchain itself contains the magic as data).
fn find_magic(data: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memmem::find(&data[from..], MAGIC) {
        let at = from + i;
        if data.len() >= at + HEADER {
            let flags = data[at + 15];
            let ptr = data[at + 14];
            if flags & 2 != 0 || ptr == 4 || ptr == 8 {
                return Some(at);
            }
        }
        from = at + 1;
    }
    None
}

fn uvarint(buf: &[u8]) -> Option<(u64, usize)> {
    let mut x = 0u64;
    for (i, b) in buf.iter().take(10).enumerate() {
        x |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((x, i + 1));
        }
    }
    None
}

fn inline_string(buf: &[u8]) -> Result<(String, usize), ParseError> {
    let (len, n) =
        uvarint(buf).ok_or_else(|| ParseError::malformed("Go build info: bad varint"))?;
    if len > MAX_STRING {
        return Err(ParseError::malformed("Go build info: string too long"));
    }
    let end = n + len as usize;
    let s = buf
        .get(n..end)
        .ok_or_else(|| ParseError::malformed("Go build info: truncated"))?;
    Ok((String::from_utf8_lossy(s).into_owned(), end))
}

/// `Ok(None)` for the pre-1.18 pointer layout.
fn read_inline(blob: &[u8]) -> Result<Option<(String, String)>, ParseError> {
    let flags = blob[15];
    if flags & 2 == 0 {
        return Ok(None);
    }
    let rest = &blob[HEADER..];
    let (version, n) = inline_string(rest)?;
    let (modinfo, _) = inline_string(&rest[n..])?;
    Ok(Some((version, modinfo)))
}

fn read_pointers(data: &[u8], blob: &[u8]) -> Result<(String, String), ParseError> {
    let ptr_size = usize::from(blob[14]);
    let big_endian = blob[15] & 1 != 0;
    let file = object::File::parse(data)
        .map_err(|e| ParseError::malformed(format!("Go binary with pointer build info: {e}")))?;
    let read_ptr = |b: &[u8]| -> Option<u64> {
        Some(match (ptr_size, big_endian) {
            (4, false) => u64::from(u32::from_le_bytes(b.get(..4)?.try_into().ok()?)),
            (4, true) => u64::from(u32::from_be_bytes(b.get(..4)?.try_into().ok()?)),
            (8, false) => u64::from_le_bytes(b.get(..8)?.try_into().ok()?),
            (8, true) => u64::from_be_bytes(b.get(..8)?.try_into().ok()?),
            _ => return None,
        })
    };
    let at_addr = |addr: u64, len: u64| -> Option<&[u8]> {
        file.sections().find_map(|s| {
            let start = s.address();
            // A crafted section header can put address + size past u64::MAX.
            if addr >= start && addr.checked_add(len)? <= start.checked_add(s.size())? {
                let d = s.data().ok()?;
                let off = (addr - start) as usize;
                d.get(off..off.checked_add(len as usize)?)
            } else {
                None
            }
        })
    };
    // Each pointer leads to a Go string header (data pointer, length).
    let read_string = |ptr_at: usize| -> Option<String> {
        let hdr_addr = read_ptr(blob.get(ptr_at..)?)?;
        let hdr = at_addr(hdr_addr, 2 * ptr_size as u64)?;
        let data_addr = read_ptr(hdr)?;
        let len = read_ptr(&hdr[ptr_size..])?;
        if len > MAX_STRING {
            return None;
        }
        Some(String::from_utf8_lossy(at_addr(data_addr, len)?).into_owned())
    };
    let version = read_string(16)
        .ok_or_else(|| ParseError::malformed("Go build info: bad version pointer"))?;
    let modinfo = read_string(16 + ptr_size).unwrap_or_default();
    Ok((version, modinfo))
}

/// Scans a stream for inline build info without holding the file; `None` if absent (or in the
/// pointer layout, which needs the whole file).
pub(crate) fn scan_stream<R: Read>(mut r: R, path: &str) -> Result<Vec<Package>, ParseError> {
    const CHUNK: usize = 1 << 20;
    let mut buf: Vec<u8> = Vec::with_capacity(2 * CHUNK);
    let mut eof = false;
    loop {
        let start = buf.len();
        buf.resize(start + CHUNK, 0);
        let n = r.read(&mut buf[start..])?;
        buf.truncate(start + n);
        eof |= n == 0;
        if let Some(at) = find_magic(&buf) {
            if buf[at + 15] & 2 == 0 {
                return Ok(Vec::new());
            }
            // Module lists are a few KB; make sure the window holds them before parsing.
            let want = at + HEADER + MAX_STRING as usize / 4;
            while !eof && buf.len() < want {
                let start = buf.len();
                buf.resize(start + CHUNK, 0);
                let n = r.read(&mut buf[start..])?;
                buf.truncate(start + n);
                eof |= n == 0;
            }
            let (version, modinfo) = read_inline(&buf[at..])?.unwrap_or_default();
            return Ok(packages(&version, &modinfo, path));
        }
        if eof {
            return Ok(Vec::new());
        }
        // Keep a tail so a magic split across chunks is still found.
        let keep = buf.len().saturating_sub(HEADER + MAGIC.len());
        buf.drain(..keep);
    }
}

/// Turns the version string and module info into packages: the standard library and every
/// dependency, with `=>` replacements applied.
fn packages(version: &str, modinfo: &str, path: &str) -> Vec<Package> {
    let mut out = Vec::new();
    let go = version.split_whitespace().next().unwrap_or("");
    if let Some(v) = go.strip_prefix("go")
        && v.starts_with(|c: char| c.is_ascii_digit())
    {
        out.push(package(PackageKind::GoStdlib, "stdlib", v, path));
    }
    // Module info is wrapped in 16-byte sentinels since Go 1.13 (inline) and older.
    let mi = modinfo.as_bytes();
    let modinfo = if mi.len() >= 33 && mi[mi.len() - 17] == b'\n' {
        String::from_utf8_lossy(&mi[16..mi.len() - 16]).into_owned()
    } else {
        modinfo.to_string()
    };
    for line in modinfo.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        // A line without a module path or version names nothing that can be matched.
        match fields.as_slice() {
            [_, "", ..] => {}
            ["mod", p, v, ..] if *v != "(devel)" && !v.is_empty() => {
                out.push(package(PackageKind::Go, p, v, path));
            }
            ["dep", p, v, ..] if !v.is_empty() => out.push(package(PackageKind::Go, p, v, path)),
            ["=>", p, v, ..] if !v.is_empty() => {
                // A replacement applies to the line just before it.
                if let Some(last) = out.last_mut().filter(|l| l.kind == PackageKind::Go) {
                    last.name = p.to_string();
                    last.version = v.to_string();
                }
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inline_blob(version: &str, modinfo: &str) -> Vec<u8> {
        let mut b = vec![0u8; 7];
        b.extend_from_slice(MAGIC);
        b.push(8);
        b.push(2);
        b.resize(7 + HEADER, 0);
        for s in [version, modinfo] {
            let mut n = s.len();
            while n >= 0x80 {
                b.push((n as u8) | 0x80);
                n >>= 7;
            }
            b.push(n as u8);
            b.extend_from_slice(s.as_bytes());
        }
        b
    }

    #[test]
    fn inline_build_info_with_replace() {
        let mut mi = "0123456789abcdef".to_string();
        mi.push_str("path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/sys\tv0.1.0\th1:x\ndep\tgithub.com/a/b\tv1.0.0\th1:y\n=>\tgithub.com/c/b\tv1.2.0\th1:z\n");
        mi.push_str("0123456789abcdef");
        let data = inline_blob("go1.20.4", &mi);
        let p = parse_buildinfo(&data, "bin").unwrap();
        let got: Vec<_> = p
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("stdlib", "1.20.4"),
                ("golang.org/x/sys", "v0.1.0"),
                ("github.com/c/b", "v1.2.0")
            ]
        );
        assert_eq!(scan_stream(&data[..], "bin").unwrap(), p);
    }

    #[test]
    fn truncated_build_info_is_an_error() {
        let mut data = inline_blob("go1.20.4", "xxxxxxxx");
        data.truncate(data.len() - 3);
        assert!(parse_buildinfo(&data, "bin").is_err());
        assert!(parse_buildinfo(b"no magic here", "bin").unwrap().is_empty());
    }
}
