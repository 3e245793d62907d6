//! A watch on the tar stream's extension headers before the `tar` crate sees them.
//!
//! The `tar` crate reads a GNU long name or long link (`L`, `K`) and a PAX header (`x`, `g`)
//! whole into memory, however large its header says it is. A layer of a few megabytes of gzip
//! can declare an 8 GiB long name, and the process would try to hold it. This reader follows the
//! archive's block structure as the bytes pass (headers, data rounded up to 512, PAX `size`
//! overrides, old-GNU sparse extension blocks) and fails the stream when an extension header
//! declares more than [`MAX_EXTENSION_BYTES`]. It never changes a byte. Where the structure is
//! not what it expects (a header whose checksum does not add up, the end blocks), it stops
//! watching and lets the `tar` crate report what it finds, so a layer it cannot follow is never
//! refused by it.

use std::io::{self, Read};

/// Largest long name, long link or PAX header accepted. Real ones are a path (at most a few
/// KiB) or a handful of attributes (SELinux labels, capabilities).
pub(crate) const MAX_EXTENSION_BYTES: u64 = 1 << 20;

const BLOCK: usize = 512;

#[derive(Debug)]
enum State {
    /// Filling the next 512-byte header.
    Header,
    /// Filling an old-GNU sparse extension block; the entry's data follows the last one.
    SparseExtension { data: u64 },
    /// Passing `left` bytes of an entry's data and padding; a PAX header's data is kept.
    Data { left: u64, pax_left: u64 },
    /// Not watching any more.
    Off,
}

pub(crate) struct ExtensionGuard<R> {
    inner: R,
    state: State,
    block: Box<[u8; BLOCK]>,
    filled: usize,
    pax: Vec<u8>,
    /// The data size a PAX `size` record gives the next entry.
    next_size: Option<u64>,
}

impl<R> ExtensionGuard<R> {
    pub(crate) fn new(inner: R) -> ExtensionGuard<R> {
        ExtensionGuard {
            inner,
            state: State::Header,
            block: Box::new([0; BLOCK]),
            filled: 0,
            pax: Vec::new(),
            next_size: None,
        }
    }

    pub(crate) fn into_inner(self) -> R {
        self.inner
    }

    fn observe(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            match self.state {
                State::Off => return Ok(()),
                State::Data { left, pax_left } => {
                    let n = (left as usize).min(bytes.len());
                    let keep = (pax_left as usize).min(n);
                    self.pax.extend_from_slice(&bytes[..keep]);
                    bytes = &bytes[n..];
                    let (left, pax_left) = (left - n as u64, pax_left - keep as u64);
                    self.state = State::Data { left, pax_left };
                    if left == 0 {
                        if !self.pax.is_empty() {
                            self.next_size = pax_size(&self.pax);
                            self.pax.clear();
                        }
                        self.state = State::Header;
                    }
                }
                State::Header | State::SparseExtension { .. } => {
                    let n = (BLOCK - self.filled).min(bytes.len());
                    self.block[self.filled..self.filled + n].copy_from_slice(&bytes[..n]);
                    self.filled += n;
                    bytes = &bytes[n..];
                    if self.filled == BLOCK {
                        self.filled = 0;
                        self.on_block()?;
                    }
                }
            }
        }
        Ok(())
    }

    fn on_block(&mut self) -> io::Result<()> {
        let b = &self.block;
        if let State::SparseExtension { data } = self.state {
            // Byte 504 of an extension block says whether another follows.
            self.state = if b[504] != 0 {
                State::SparseExtension { data }
            } else {
                data_state(data, 0)
            };
            return Ok(());
        }
        if b.iter().all(|&x| x == 0) || !checksum_ok(b) {
            self.state = State::Off;
            return Ok(());
        }
        let Some(size) = number(&b[124..136]) else {
            self.state = State::Off;
            return Ok(());
        };
        let kind = b[156];
        let extension = matches!(kind, b'L' | b'K' | b'x' | b'g');
        if extension && size > MAX_EXTENSION_BYTES {
            let what = match kind {
                b'L' => "GNU long name",
                b'K' => "GNU long link",
                _ => "PAX header",
            };
            return Err(io::Error::other(format!(
                "a {what} of {size} bytes (more than {MAX_EXTENSION_BYTES}) is not read into memory"
            )));
        }
        if extension {
            let pax_left = if kind == b'x' { size } else { 0 };
            self.state = data_state(size, pax_left);
            return Ok(());
        }
        let size = self.next_size.take().unwrap_or(size);
        // Old-GNU sparse: byte 482 says extension blocks with more of the map come first.
        self.state = if kind == b'S' && b[482] != 0 {
            State::SparseExtension { data: size }
        } else {
            data_state(size, 0)
        };
        Ok(())
    }
}

fn data_state(size: u64, pax_left: u64) -> State {
    match size.div_ceil(BLOCK as u64).checked_mul(BLOCK as u64) {
        Some(0) => State::Header,
        Some(left) => State::Data { left, pax_left },
        None => State::Off,
    }
}

/// The header checksum: the byte sum with the checksum field read as spaces.
fn checksum_ok(b: &[u8; BLOCK]) -> bool {
    let sum: u64 = b
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            if (148..156).contains(&i) {
                32
            } else {
                u64::from(x)
            }
        })
        .sum();
    number(&b[148..156]) == Some(sum)
}

/// A numeric header field: octal text, or base-256 (high bit set) for large values.
fn number(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|&x| x & 0x80 != 0) {
        let tail = &field[field.len().saturating_sub(8)..];
        return Some(tail.iter().fold(0u64, |n, &x| (n << 8) | u64::from(x)));
    }
    let text = std::str::from_utf8(field).ok()?;
    let text = text.trim_matches(|c: char| c == ' ' || c == '\0');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

/// The `size` record of a PAX header (`"<len> size=<n>\n"`), if any.
fn pax_size(pax: &[u8]) -> Option<u64> {
    pax.split(|&c| c == b'\n').find_map(|record| {
        let text = std::str::from_utf8(record).ok()?;
        let (_, kv) = text.split_once(' ')?;
        kv.strip_prefix("size=")?.parse().ok()
    })
}

impl<R: Read> Read for ExtensionGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.observe(&buf[..n])?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(bytes: &[u8]) -> io::Result<usize> {
        // Small reads, so headers and data arrive split across calls.
        let mut g = ExtensionGuard::new(io::Cursor::new(bytes));
        let mut total = 0;
        let mut buf = [0u8; 97];
        loop {
            match g.read(&mut buf)? {
                0 => return Ok(total),
                n => total += n,
            }
        }
    }

    fn archive(build: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        build(&mut b);
        b.into_inner().unwrap()
    }

    fn file(b: &mut tar::Builder<Vec<u8>>, path: &str, body: &[u8]) {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, body).unwrap();
    }

    #[test]
    fn real_archives_pass_untouched() {
        let long = format!("usr/{}/METADATA", "deep/".repeat(60));
        let bytes = archive(|b| {
            file(b, "etc/os-release", b"ID=debian\n");
            file(b, &long, &vec![7u8; 70_000]);
            b.append_pax_extensions([("path", long.as_bytes()), ("size", b"3".as_slice())])
                .unwrap();
            let mut h = tar::Header::new_ustar();
            h.set_size(3);
            b.append_data(&mut h, "x", &b"abc"[..]).unwrap();
            file(b, "empty", b"");
        });
        assert_eq!(read_all(&bytes).unwrap(), bytes.len());
    }

    #[test]
    fn huge_extension_headers_are_refused_before_they_are_read() {
        for kind in [b'L', b'K', b'x'] {
            let mut h = tar::Header::new_gnu();
            h.set_size(8 << 30);
            h.set_entry_type(tar::EntryType::new(kind));
            h.set_cksum();
            // Only the header and a little of the 8 GiB are present; the refusal comes first.
            let mut bytes = h.as_bytes().to_vec();
            bytes.extend_from_slice(&[b'a'; 4096]);
            let e = read_all(&bytes).unwrap_err();
            assert!(e.to_string().contains("8589934592 bytes"), "{e}");
        }
    }

    #[test]
    fn a_pax_size_moves_the_next_header() {
        // The PAX size says the data is 1,024 bytes though the header says 0: the guard must
        // look for the next header after 1,024 bytes, where a huge long name waits.
        let mut b = tar::Builder::new(Vec::new());
        b.append_pax_extensions([("size", b"1024".as_slice())])
            .unwrap();
        // Without the end blocks `into_inner` would add.
        let mut bytes = b.get_ref().clone();
        let mut h = tar::Header::new_gnu();
        h.set_size(0);
        h.set_path("f").unwrap();
        h.set_cksum();
        bytes.extend_from_slice(h.as_bytes());
        bytes.extend_from_slice(&[0u8; 1024]);
        let mut l = tar::Header::new_gnu();
        l.set_size(1 << 40);
        l.set_entry_type(tar::EntryType::GNULongName);
        l.set_cksum();
        bytes.extend_from_slice(l.as_bytes());
        assert!(read_all(&bytes).is_err());
    }

    #[test]
    fn a_stream_it_cannot_follow_is_left_to_tar() {
        let mut garbage = vec![0x5au8; 4096];
        garbage[156] = b'L';
        assert_eq!(read_all(&garbage).unwrap(), 4096);
    }
}
