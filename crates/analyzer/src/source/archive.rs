//! `docker save` archives, read in one streaming pass so a gzip-compressed archive works too:
//! small JSON members (manifest.json, configs, OCI index and manifests) are kept in memory,
//! every other member that looks like a layer is analysed as it streams by, and the manifest
//! then says which analysed members form the image, in which order. Both shapes are handled:
//! the legacy one (`manifest.json` + `<id>/layer.tar`) and the newer one that embeds an OCI
//! layout (`index.json` + `blobs/sha256/…`). Members docker de-duplicated as symlinks are
//! followed.

use super::oci::{Document, blob_rel_path, select};
use crate::analyzer::{Progress, ProgressReader};
use crate::error::Error;
use crate::facts::LayerFacts;
use crate::layer::{self, path};
use crate::limits::Limits;
use serde::Deserialize;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

const MAX_JSON: u64 = 16 << 20;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SaveManifest {
    config: String,
    #[serde(default)]
    layers: Vec<String>,
}

/// What one pass over an archive yields.
pub(crate) struct Scanned {
    pub(crate) config: Vec<u8>,
    pub(crate) layers: Vec<LayerFacts>,
}

/// Reads a docker-archive file and analyses its layers.
pub(crate) fn scan_archive(
    file: &Path,
    limits: &Limits,
    progress: &dyn Progress,
) -> Result<Scanned, Error> {
    let f = std::fs::File::open(file).map_err(|e| Error::io(file.display().to_string(), e))?;
    let total = f.metadata().ok().map(|m| m.len());
    progress.start(total);
    let (_, reader) = layer::decompress::open(ProgressReader::new(f, progress))
        .map_err(|e| Error::io(file.display().to_string(), e))?;
    let mut archive = tar::Archive::new(reader);
    let mut jsons: HashMap<String, Vec<u8>> = HashMap::new();
    let mut facts: HashMap<String, LayerFacts> = HashMap::new();
    let mut aliases: HashMap<String, String> = HashMap::new();
    let bad = |e: std::io::Error| {
        Error::Image(format!(
            "{}: not a readable tar archive: {e}",
            file.display()
        ))
    };
    for entry in archive.entries().map_err(bad)? {
        let entry = entry.map_err(bad)?;
        let Ok(Some(name)) = path::normalize(&entry.path_bytes()) else {
            continue;
        };
        let kind = entry.header().entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            if let Some(target) = entry.link_name_bytes() {
                let target = String::from_utf8_lossy(&target);
                let resolved = if kind.is_symlink() {
                    path::resolve_link(&name, &target)
                } else {
                    target.trim_start_matches("./").to_string()
                };
                aliases.insert(name, resolved);
            }
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        let size = entry.size();
        let mut buf = BufReader::with_capacity(64 << 10, entry);
        let first = buf
            .fill_buf()
            .map_err(bad)?
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .copied();
        if first == Some(b'{') || first == Some(b'[') || name.ends_with(".json") {
            if size <= MAX_JSON {
                let mut bytes = Vec::with_capacity(size as usize);
                buf.read_to_end(&mut bytes).map_err(bad)?;
                jsons.insert(name, bytes);
            }
            continue;
        }
        if name.starts_with("blobs/") || name.ends_with(".tar") || name.ends_with(".tar.gz") {
            let digest = match name.strip_prefix("blobs/").and_then(|r| r.split_once('/')) {
                Some((alg, hex)) => format!("{alg}:{hex}"),
                None => name.clone(),
            };
            let f = layer::analyze(&mut buf, &digest, limits);
            progress.layer_done(&digest);
            facts.insert(name, f);
        }
    }
    let lookup = |name: &str| -> Option<String> {
        let mut n = name.trim_start_matches("./").to_string();
        for _ in 0..8 {
            match aliases.get(&n) {
                Some(t) => n = t.clone(),
                None => return Some(n),
            }
        }
        None
    };
    let get_json = |name: &str| -> Result<&Vec<u8>, Error> {
        lookup(name)
            .and_then(|n| jsons.get(&n))
            .ok_or_else(|| Error::Image(format!("archive member {name:?} missing")))
    };
    let (config, layer_names): (Vec<u8>, Vec<String>) = if let Some(m) = jsons.get("manifest.json")
    {
        let list: Vec<SaveManifest> =
            serde_json::from_slice(m).map_err(|e| Error::Image(format!("manifest.json: {e}")))?;
        let first = list
            .into_iter()
            .next()
            .ok_or_else(|| Error::Image("manifest.json lists no image".into()))?;
        (get_json(&first.config)?.clone(), first.layers)
    } else if let Some(idx) = jsons.get("index.json") {
        let index: Document =
            serde_json::from_slice(idx).map_err(|e| Error::Image(format!("index.json: {e}")))?;
        let mut descs = index.manifests.unwrap_or_default();
        let mut found = None;
        for _ in 0..4 {
            let chosen = select(&descs, None)?.clone();
            let doc: Document = serde_json::from_slice(get_json(&blob_rel_path(&chosen.digest)?)?)
                .map_err(|e| Error::Image(format!("manifest {}: {e}", chosen.digest)))?;
            if let Some(inner) = doc.manifests {
                descs = inner;
                continue;
            }
            let (Some(c), Some(l)) = (doc.config, doc.layers) else {
                return Err(Error::Image("index.json names no image manifest".into()));
            };
            let names = l
                .iter()
                .map(|d| blob_rel_path(&d.digest))
                .collect::<Result<Vec<_>, _>>()?;
            found = Some((get_json(&blob_rel_path(&c.digest)?)?.clone(), names));
            break;
        }
        found.ok_or_else(|| Error::Image("indexes nested too deep".into()))?
    } else {
        return Err(Error::Image(format!(
            "{}: neither manifest.json nor index.json found",
            file.display()
        )));
    };
    let diff_ids = crate::config::ImageConfig::parse(&config, &[])?.diff_ids;
    let mut layers = Vec::with_capacity(layer_names.len());
    for (i, name) in layer_names.iter().enumerate() {
        let Some(mut f) = lookup(name).and_then(|n| facts.get(&n)).cloned() else {
            return Err(Error::Image(format!(
                "layer {name:?} listed in the manifest is not in the archive"
            )));
        };
        // Legacy layer.tar members are uncompressed: their digest is the config's diff_id.
        if !name.starts_with("blobs/")
            && let Some(d) = diff_ids.get(i)
        {
            f.digest = d.clone();
        }
        layers.push(f);
    }
    Ok(Scanned { config, layers })
}
