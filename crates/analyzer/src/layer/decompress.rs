//! Turns a layer blob into a tar stream. The compression is sniffed from the magic bytes, not
//! taken from the media type (registries and `docker save` mislabel layers), and the inflated
//! stream is capped so that a decompression bomb ends the layer with an error instead of
//! running forever.

use std::io::{self, BufRead, BufReader, Read};

const GZIP: &[u8] = &[0x1f, 0x8b];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// The compression a blob turned out to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    Gzip,
    Zstd,
    None,
}

/// Wraps `reader` in the right decoder.
pub(crate) fn open<'a, R: Read + 'a>(reader: R) -> io::Result<(Compression, Box<dyn Read + 'a>)> {
    let mut buf = BufReader::with_capacity(256 << 10, reader);
    let head = buf.fill_buf()?;
    Ok(if head.starts_with(GZIP) {
        // Multi-member gzip is legal and some layer writers emit it.
        (
            Compression::Gzip,
            Box::new(flate2::bufread::MultiGzDecoder::new(buf)),
        )
    } else if head.starts_with(ZSTD) {
        (
            Compression::Zstd,
            Box::new(zstd::stream::read::Decoder::with_buffer(buf)?),
        )
    } else {
        (Compression::None, Box::new(buf))
    })
}

/// Counts inflated bytes and fails once they pass `limit`.
pub(crate) struct Capped<R> {
    inner: R,
    pub(crate) read: u64,
    limit: u64,
    pub(crate) exceeded: bool,
}

impl<R> Capped<R> {
    pub(crate) fn new(inner: R, limit: u64) -> Self {
        Capped {
            inner,
            read: 0,
            limit,
            exceeded: false,
        }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            self.exceeded = true;
            return Err(io::Error::other(format!(
                "layer inflates past the {}-byte cap (decompression bomb?)",
                self.limit
            )));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn sniffs_and_caps() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&vec![0u8; 100_000]).unwrap();
        let gz = gz.finish().unwrap();
        let (c, r) = open(&gz[..]).unwrap();
        assert_eq!(c, Compression::Gzip);
        let mut capped = Capped::new(r, 50_000);
        let err = io::copy(&mut capped, &mut io::sink()).unwrap_err();
        assert!(err.to_string().contains("cap"));
        assert!(capped.exceeded);
        let (c, _) = open(&b"plain tar bytes"[..]).unwrap();
        assert_eq!(c, Compression::None);
    }
}
