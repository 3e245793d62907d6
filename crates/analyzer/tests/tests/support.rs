//! Test helpers: paths into `../shared/testdata`, and a builder for tar layers (including the
//! malformed entries no well-behaved tar writer produces).

use crowsnest_analyzer::{Analyzer, LayerFacts, Limits};
use std::io::Write;
use std::path::PathBuf;

/// A file under `../shared/testdata`; panics with a clear message when shared/ is missing.
pub(crate) fn testdata(rel: &str) -> PathBuf {
    let root = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/testdata"
    ));
    assert!(
        root.is_dir(),
        "these tests read real package databases from {}: put the project's shared/ folder beside the checkout",
        root.display()
    );
    let p = root.join(rel);
    assert!(p.exists(), "missing test data file {}", p.display());
    p
}

pub(crate) fn read(rel: &str) -> Vec<u8> {
    std::fs::read(testdata(rel)).unwrap()
}

enum Item {
    File {
        name: Vec<u8>,
        data: Vec<u8>,
        mode: u32,
    },
    Link {
        name: String,
        target: String,
        hard: bool,
    },
}

/// Builds a tar layer in memory, entry by entry, in the given order.
#[derive(Default)]
pub(crate) struct LayerBuilder {
    items: Vec<Item>,
}

impl LayerBuilder {
    pub(crate) fn new() -> Self {
        Self::default()
    }
    pub(crate) fn file(mut self, path: &str, data: impl AsRef<[u8]>) -> Self {
        self.items.push(Item::File {
            name: path.as_bytes().to_vec(),
            data: data.as_ref().to_vec(),
            mode: 0o644,
        });
        self
    }
    pub(crate) fn exec(mut self, path: &str, data: impl AsRef<[u8]>) -> Self {
        self.items.push(Item::File {
            name: path.as_bytes().to_vec(),
            data: data.as_ref().to_vec(),
            mode: 0o755,
        });
        self
    }
    /// A regular file with explicit mode bits (setuid and setgid included).
    pub(crate) fn with_mode(mut self, path: &str, mode: u32, data: impl AsRef<[u8]>) -> Self {
        self.items.push(Item::File {
            name: path.as_bytes().to_vec(),
            data: data.as_ref().to_vec(),
            mode,
        });
        self
    }
    /// A regular file whose raw name is written as given (traversal, absolute, non-UTF-8).
    pub(crate) fn raw(mut self, name: &[u8], data: impl AsRef<[u8]>) -> Self {
        self.items.push(Item::File {
            name: name.to_vec(),
            data: data.as_ref().to_vec(),
            mode: 0o644,
        });
        self
    }
    pub(crate) fn symlink(mut self, path: &str, target: &str) -> Self {
        self.items.push(Item::Link {
            name: path.into(),
            target: target.into(),
            hard: false,
        });
        self
    }
    pub(crate) fn hardlink(mut self, path: &str, target: &str) -> Self {
        self.items.push(Item::Link {
            name: path.into(),
            target: target.into(),
            hard: true,
        });
        self
    }
    /// `.wh.<name>` for `path`.
    pub(crate) fn whiteout(self, path: &str) -> Self {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let wh = if dir.is_empty() {
            format!(".wh.{name}")
        } else {
            format!("{dir}/.wh.{name}")
        };
        self.file(&wh, b"")
    }
    pub(crate) fn opaque(self, dir: &str) -> Self {
        self.file(&format!("{dir}/.wh..wh..opq"), b"")
    }

    pub(crate) fn tar(&self) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for item in &self.items {
            let mut h = tar::Header::new_ustar();
            match item {
                Item::File { name, data, mode } => {
                    set_raw_name(&mut h, name);
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_mode(*mode);
                    h.set_size(data.len() as u64);
                    h.set_cksum();
                    b.append(&h, &data[..]).unwrap();
                }
                Item::Link { name, target, hard } => {
                    set_raw_name(&mut h, name.as_bytes());
                    h.set_entry_type(if *hard {
                        tar::EntryType::Link
                    } else {
                        tar::EntryType::Symlink
                    });
                    h.set_link_name(target).unwrap();
                    h.set_mode(0o777);
                    h.set_size(0);
                    h.set_cksum();
                    b.append(&h, &[][..]).unwrap();
                }
            }
        }
        b.into_inner().unwrap()
    }

    pub(crate) fn gzip(&self) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&self.tar()).unwrap();
        gz.finish().unwrap()
    }

    pub(crate) fn zstd(&self) -> Vec<u8> {
        zstd::encode_all(&self.tar()[..], 1).unwrap()
    }
}

/// Writes the name bytes straight into the ustar header, bypassing the checks `set_path` does.
fn set_raw_name(h: &mut tar::Header, name: &[u8]) {
    let old = h.as_old_mut();
    assert!(
        name.len() < old.name.len(),
        "test names must fit the 100-byte field"
    );
    old.name = [0; 100];
    old.name[..name.len()].copy_from_slice(name);
}

pub(crate) fn analyze(digest: &str, blob: &[u8]) -> LayerFacts {
    Analyzer::default().analyze_layer(digest, blob)
}

pub(crate) fn analyze_with(limits: Limits, digest: &str, blob: &[u8]) -> LayerFacts {
    Analyzer::new(limits).analyze_layer(digest, blob)
}

/// A minimal image config for `n` layers.
pub(crate) fn config(n: usize) -> Vec<u8> {
    let hist: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"created_by":"layer {i}"}}"#))
        .collect();
    format!(r#"{{"architecture":"amd64","os":"linux","config":{{}},"rootfs":{{"type":"layers","diff_ids":[]}},"history":[{}]}}"#, hist.join(",")).into_bytes()
}

/// (name, version) pairs of an inventory's packages of one kind, sorted.
pub(crate) fn names_versions(
    inv: &crowsnest_analyzer::Inventory,
    kind: crowsnest_analyzer::PackageKind,
) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = inv
        .packages
        .iter()
        .filter(|p| p.kind == kind)
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    v.sort();
    v
}
