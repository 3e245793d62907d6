//! OCI image layouts: `index.json` → (nested index →) manifest → config and layer blobs under
//! `blobs/<alg>/<hex>`. Tags come from the `org.opencontainers.image.ref.name` annotation;
//! multi-platform indexes resolve to the host platform (else linux/amd64), and attestation
//! manifests (`unknown/unknown`) are never chosen.

use super::{ImageSource, SourceLayer};
use crate::error::Error;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const MAX_JSON: u64 = 16 << 20;

#[derive(Debug, Deserialize, Clone)]
pub(crate) struct Descriptor {
    #[serde(rename = "mediaType", default)]
    pub(crate) media_type: String,
    pub(crate) digest: String,
    #[serde(default)]
    pub(crate) size: Option<u64>,
    #[serde(default)]
    pub(crate) annotations: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) platform: Option<Platform>,
}

#[derive(Debug, Deserialize, Clone)]
pub(crate) struct Platform {
    #[serde(default)]
    pub(crate) architecture: String,
    #[serde(default)]
    pub(crate) os: String,
}

/// An index or a manifest: which one is told by the fields present.
#[derive(Debug, Deserialize)]
pub(crate) struct Document {
    #[serde(default)]
    pub(crate) manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    pub(crate) config: Option<Descriptor>,
    #[serde(default)]
    pub(crate) layers: Option<Vec<Descriptor>>,
}

pub(crate) fn host_arch() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "arm64",
        "arm" => "arm",
        "s390x" => "s390x",
        "powerpc64" => "ppc64le",
        _ => "amd64",
    }
}

/// `sha256:<hex>` → `blobs/sha256/<hex>`, refusing digests that could name another path.
pub(crate) fn blob_rel_path(digest: &str) -> Result<String, Error> {
    let (alg, hex) = digest
        .split_once(':')
        .ok_or_else(|| Error::Image(format!("invalid digest {digest:?}")))?;
    let ok = !alg.is_empty()
        && alg.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || b == b'+'
                || b == b'.'
                || b == b'_'
                || b == b'-'
        })
        && !hex.is_empty()
        && hex.bytes().all(|b| b.is_ascii_hexdigit());
    if !ok {
        return Err(Error::Image(format!("invalid digest {digest:?}")));
    }
    Ok(format!("blobs/{alg}/{hex}"))
}

/// Chooses one manifest among index entries: by tag, then by platform.
pub(crate) fn select<'a>(
    descs: &'a [Descriptor],
    tag: Option<&str>,
) -> Result<&'a Descriptor, Error> {
    let tagged: Vec<&Descriptor> = match tag {
        Some(t) => descs
            .iter()
            .filter(|d| {
                d.annotations
                    .get("org.opencontainers.image.ref.name")
                    .is_some_and(|n| n == t || n.ends_with(&format!(":{t}")))
                    || d.annotations
                        .get("io.containerd.image.name")
                        .is_some_and(|n| n.ends_with(&format!(":{t}")))
            })
            .collect(),
        None => descs.iter().collect(),
    };
    let candidates: Vec<&Descriptor> = tagged
        .into_iter()
        .filter(|d| {
            !d.annotations.contains_key("vnd.docker.reference.type")
                && d.platform.as_ref().is_none_or(|p| p.os != "unknown")
        })
        .collect();
    let host = host_arch();
    candidates
        .iter()
        .find(|d| {
            d.platform
                .as_ref()
                .is_some_and(|p| p.architecture == host && p.os == "linux")
        })
        .or_else(|| {
            candidates.iter().find(|d| {
                d.platform
                    .as_ref()
                    .is_some_and(|p| p.architecture == "amd64")
            })
        })
        .or(candidates.first())
        .copied()
        .ok_or_else(|| {
            Error::NotFound(tag.map_or_else(
                || "any manifest in the index".into(),
                |t| format!("tag {t:?}"),
            ))
        })
}

fn read_json(path: &Path) -> Result<Vec<u8>, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path.display().to_string(), e))?;
    if meta.len() > MAX_JSON {
        return Err(Error::Image(format!(
            "{} is too large for a manifest",
            path.display()
        )));
    }
    std::fs::read(path).map_err(|e| Error::io(path.display().to_string(), e))
}

pub(super) fn open(dir: &Path, tag: Option<&str>) -> Result<ImageSource, Error> {
    let index_bytes = read_json(&dir.join("index.json"))?;
    let index: Document = serde_json::from_slice(&index_bytes)
        .map_err(|e| Error::Image(format!("index.json: {e}")))?;
    let mut descs = index.manifests.unwrap_or_default();
    let mut tag = tag;
    for _ in 0..4 {
        let chosen = select(&descs, tag)?.clone();
        let bytes = read_json(&dir.join(blob_rel_path(&chosen.digest)?))?;
        let doc: Document = serde_json::from_slice(&bytes)
            .map_err(|e| Error::Image(format!("manifest {}: {e}", chosen.digest)))?;
        if let Some(inner) = doc.manifests {
            descs = inner;
            tag = None;
            continue;
        }
        let (Some(config), Some(layers)) = (doc.config, doc.layers) else {
            return Err(Error::Image(format!(
                "{} is neither an index nor an image manifest",
                chosen.digest
            )));
        };
        let config_bytes = read_json(&dir.join(blob_rel_path(&config.digest)?))?;
        let layers = layers
            .into_iter()
            .map(|l| {
                Ok(SourceLayer {
                    path: PathBuf::from(dir).join(blob_rel_path(&l.digest)?),
                    digest: l.digest,
                    media_type: l.media_type,
                    size: l.size,
                })
            })
            .collect::<Result<Vec<_>, Error>>()?;
        return Ok(ImageSource {
            manifest_digest: Some(chosen.digest),
            config: config_bytes,
            layers,
        });
    }
    Err(Error::Image("indexes nested more than 4 deep".into()))
}
