//! Generators for inputs too big to commit. Each builds its bytes in memory in well under a
//! second; what they expand to (or claim to be) is what makes them hostile.

use std::io::{Read, Write};

/// Recipes that build bytes here.
pub const NAMES: &[&str] = &[
    "gzip-bomb",
    "longname-bomb",
    "zstd-bomb",
    "jar-zip-bomb",
    "manifest-oversized",
    "config-oversized",
    "feed-archive-bomb",
    "api-oversized-body",
];

/// Recipes the tests carry out themselves (a proxy fault, a filesystem trick, a request shape).
pub const TEST_ONLY: &[&str] = &[
    "manifest-digest-mismatch",
    "config-size-mismatch",
    "proxy-corrupt-config",
    "proxy-corrupt-layer",
    "proxy-corrupt-layer-end",
    "proxy-truncate-layer",
    "proxy-404-layer",
    "proxy-html-layer",
    "feed-sparse-file",
    "feed-symlink-loop",
    "feed-missing-path",
    "api-huge-header",
    "api-path-traversal",
    "api-huge-query-number",
    "csv-formula-repository",
    "csv-formula-tags",
    "csv-formula-package",
];

/// The bytes of recipe `name`, or `None` for a test-only recipe.
pub fn build(name: &str) -> Option<Vec<u8>> {
    Some(match name {
        "gzip-bomb" => gzip_of_zeros(1 << 30),
        "zstd-bomb" => zstd_rle_bomb(10 << 30),
        "jar-zip-bomb" => crate::recipe::tar_with(&[(
            "opt/app/lib/bomb.jar",
            &jar_bomb(24, 40 << 20),
        )]),
        "manifest-oversized" => padded_json(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#,
            9 << 20,
        ),
        "config-oversized" => {
            let mut cfg = br#"{"architecture":"amd64","os":"linux","config":{"Labels":{"pad":""#.to_vec();
            cfg.resize(cfg.len() + (17 << 20), b'A');
            cfg.extend_from_slice(br#""}},"rootfs":{"type":"layers","diff_ids":[]}}"#);
            cfg
        }
        "feed-archive-bomb" => {
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let size: u64 = 1 << 30;
            let mut h = tar::Header::new_gnu();
            h.set_path("advisories/BOMB-1.json").expect("short path");
            h.set_size(size);
            h.set_mode(0o644);
            h.set_cksum();
            gz.write_all(h.as_bytes()).expect("in memory");
            copy_spaces(&mut gz, size);
            gz.write_all(&[0u8; 1024]).expect("in memory");
            gz.finish().expect("in memory")
        }
        "longname-bomb" => {
            // A GNU long-name header declaring 4 GiB, then 16 MiB of the name: the tar crate
            // alone would try to hold all of it.
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let mut h = tar::Header::new_gnu();
            h.set_size(4 << 30);
            h.set_entry_type(tar::EntryType::GNULongName);
            h.set_cksum();
            gz.write_all(h.as_bytes()).expect("in memory");
            std::io::copy(&mut std::io::repeat(b'a').take(16 << 20), &mut gz).expect("in memory");
            gz.finish().expect("in memory")
        }
        "api-oversized-body" => padded_json(br#"{"specifications":[]}"#, 40 << 20),
        _ => return None,
    })
}

/// A tar of regular files, as a layer.
pub fn tar_with(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, body) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_704_067_200);
        h.set_cksum();
        b.append_data(&mut h, path, *body).expect("in memory");
    }
    b.into_inner().expect("in memory")
}

fn copy_spaces<W: Write>(w: &mut W, n: u64) {
    std::io::copy(&mut std::io::repeat(b' ').take(n), w).expect("in memory");
}

/// `n` zero bytes, gzip'd (about 1,000:1, deflate's best).
pub fn gzip_of_zeros(n: u64) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::copy(&mut std::io::repeat(0).take(n), &mut gz).expect("in memory");
    gz.finish().expect("in memory")
}

/// A zstd frame of `n` zero bytes made of RLE blocks: 4 bytes per 128 KiB, so 10 GiB costs
/// 320 KiB. Written by hand (RFC 8878 §3.1) because compressing 10 GiB would take seconds.
pub fn zstd_rle_bomb(n: u64) -> Vec<u8> {
    const BLOCK: u64 = 128 << 10;
    let blocks = n.div_ceil(BLOCK);
    let mut out = Vec::with_capacity(6 + blocks as usize * 4);
    out.extend_from_slice(&0xFD2F_B528u32.to_le_bytes());
    // Frame header descriptor: no content size, not single-segment, no checksum, no dictionary;
    // then the window descriptor for a 128 KiB window (exponent 7, mantissa 0).
    out.push(0x00);
    out.push(7 << 3);
    for i in 0..blocks {
        let last = u32::from(i + 1 == blocks);
        let size = BLOCK.min(n - i * BLOCK) as u32;
        let header = last | (1 << 1) | (size << 3);
        out.extend_from_slice(&header.to_le_bytes()[..3]);
        out.push(0);
    }
    out
}

/// A jar whose `count` entries `lib/bomb-N.jar` each inflate to `each` zero bytes. The zeros
/// are compressed once and the compressed entry copied under each name.
pub fn jar_bomb(count: usize, each: u64) -> Vec<u8> {
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    let mut one = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    one.start_file("lib/bomb-0.jar", opts).expect("in memory");
    std::io::copy(&mut std::io::repeat(0).take(each), &mut one).expect("in memory");
    let one = one.finish().expect("in memory");
    let mut source = zip::ZipArchive::new(one).expect("just written");
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..count {
        let entry = source.by_index_raw(0).expect("just written");
        zip.raw_copy_file_rename(entry, format!("lib/bomb-{i}.jar"))
            .expect("in memory");
    }
    zip.finish().expect("in memory").into_inner()
}

/// `prefix` (a JSON object) followed by spaces up to `total` bytes: still valid JSON.
fn padded_json(prefix: &[u8], total: usize) -> Vec<u8> {
    let mut v = prefix.to_vec();
    v.resize(total.max(prefix.len()), b' ');
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zstd_bomb_decodes_to_what_it_claims() {
        let bomb = zstd_rle_bomb((1 << 20) + 5);
        let mut d = zstd_decoder(&bomb);
        let mut n = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let k = d.read(&mut buf).unwrap();
            if k == 0 {
                break;
            }
            assert!(buf[..k].iter().all(|b| *b == 0));
            n += k as u64;
        }
        assert_eq!(n, (1 << 20) + 5);
    }

    fn zstd_decoder(b: &[u8]) -> impl Read + '_ {
        // The analyzer decodes layers with the zstd crate; this crate avoids the dependency
        // and checks the frame with a minimal RLE-only reader instead.
        RleFrame::new(b)
    }

    struct RleFrame<'a> {
        rest: &'a [u8],
        pending: u64,
        done: bool,
    }

    impl<'a> RleFrame<'a> {
        fn new(b: &'a [u8]) -> Self {
            assert_eq!(&b[..4], &0xFD2F_B528u32.to_le_bytes());
            RleFrame {
                rest: &b[6..],
                pending: 0,
                done: false,
            }
        }
    }

    impl Read for RleFrame<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            while self.pending == 0 {
                if self.done {
                    return Ok(0);
                }
                let h = u32::from_le_bytes([self.rest[0], self.rest[1], self.rest[2], 0]);
                assert_eq!((h >> 1) & 3, 1, "RLE block");
                self.done = h & 1 == 1;
                self.pending = u64::from(h >> 3);
                self.rest = &self.rest[4..];
            }
            let k = (buf.len() as u64).min(self.pending) as usize;
            buf[..k].fill(0);
            self.pending -= k as u64;
            Ok(k)
        }
    }

    #[test]
    fn every_recipe_with_bytes_builds_nothing_for_test_only_names() {
        for name in TEST_ONLY {
            assert!(build(name).is_none(), "{name}");
        }
    }
}
