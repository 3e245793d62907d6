//! Stacking layer facts into an image: bottom to top, each layer's whiteouts and opaque
//! directories first hide what the layers below had, then its own files are laid on top (the
//! top layer wins). What stays visible becomes the [`Inventory`]: the OS from the visible
//! identification files (symlinks followed inside the root, with a hop limit against loops),
//! the packages from the visible package files, each tagged with the lowest layer from which it
//! was continuously present, and each given its purl.

use crate::detect::os::os_info;
use crate::facts::{FileFacts, LayerFacts, OsFile, ReleaseKind};
use crate::layer::path::resolve_link;
use crate::purl::purl;
use crowsnest_model::{ImageConfigFacts, Inventory, Package, PackageKind};
use std::collections::{BTreeMap, HashSet};

const MAX_LINK_HOPS: usize = 40;

/// Merges the facts of an image's layers (bottom first) into its inventory.
pub fn merge(layers: &[LayerFacts], config: Option<&ImageConfigFacts>) -> Inventory {
    let mut visible: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, layer) in layers.iter().enumerate() {
        for dir in &layer.opaque_dirs {
            remove_under(&mut visible, dir, false);
        }
        for w in &layer.whiteouts {
            remove_under(&mut visible, w, true);
        }
        for path in layer.files.keys() {
            visible.insert(path, i);
        }
    }
    let mut inv = Inventory {
        config: config.cloned().unwrap_or_default(),
        ..Inventory::default()
    };
    for layer in layers {
        inv.warnings.extend(layer.warnings.iter().cloned());
    }

    // OS identification.
    let lookup = |path: &str, warnings: &mut Vec<String>| -> Option<&FileFacts> {
        let mut path = path.to_string();
        for _ in 0..MAX_LINK_HOPS {
            let layer = *visible.get(path.as_str())?;
            match layers[layer].files.get(&path)? {
                FileFacts::Symlink { target } => path = resolve_link(&path, target),
                FileFacts::HardLink { target } => path = target.clone(),
                f => return Some(f),
            }
        }
        warnings.push(format!(
            "/{path}: symlink loop (more than {MAX_LINK_HOPS} hops), not followed"
        ));
        None
    };
    let mut warnings = Vec::new();
    let os_release = ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .find_map(|p| match lookup(p, &mut warnings) {
            Some(FileFacts::Os {
                os: f @ OsFile::OsRelease { .. },
            }) => Some(f.clone()),
            _ => None,
        });
    let mut releases: Vec<(ReleaseKind, String)> = Vec::new();
    for p in [
        "etc/alpine-release",
        "etc/debian_version",
        "etc/redhat-release",
    ] {
        if let Some(FileFacts::Os {
            os: OsFile::Release { kind, text },
        }) = lookup(p, &mut warnings)
        {
            releases.push((*kind, text.clone()));
        }
    }
    let release_refs: Vec<(ReleaseKind, &str)> =
        releases.iter().map(|(k, t)| (*k, t.as_str())).collect();
    inv.os = os_info(os_release.as_ref(), &release_refs);
    let has_status = visible.contains_key("var/lib/dpkg/status");
    let has_status_d = visible
        .range("var/lib/dpkg/status.d/"..)
        .next()
        .is_some_and(|(p, _)| p.starts_with("var/lib/dpkg/status.d/"));
    if let Some(os) = inv.os.as_mut() {
        os.distroless = has_status_d && !has_status;
    }
    inv.warnings.extend(warnings);

    // Packages.
    let mut packages: Vec<Package> = Vec::new();
    for (path, &top) in &visible {
        let Some(FileFacts::Packages { packages: found }) = layers[top].files.get(*path) else {
            continue;
        };
        for p in found {
            let mut p = p.clone();
            let introduced = introducing_layer(layers, path, top, &p);
            p.layer_digest = Some(layers[introduced].digest.clone());
            p.purl = Some(purl(&p, inv.os.as_ref()));
            packages.push(p);
        }
    }
    // A lock file and the node_modules it produced list the same packages; keep the installed ones.
    let installed: HashSet<(String, String)> = packages
        .iter()
        .filter(|p| p.kind == PackageKind::Npm && p.path.ends_with("/package.json"))
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    packages.retain(|p| {
        !(p.kind == PackageKind::Npm
            && !p.path.ends_with("/package.json")
            && installed.contains(&(p.name.clone(), p.version.clone())))
    });
    packages.sort_by(|a, b| {
        (a.kind, &a.name, &a.version, &a.path).cmp(&(b.kind, &b.name, &b.version, &b.path))
    });
    packages.dedup_by(|a, b| {
        a.kind == b.kind
            && a.name == b.name
            && a.version == b.version
            && a.path == b.path
            && a.arch == b.arch
    });
    inv.packages = packages;
    inv.flagged_files = flagged_files(layers);
    inv
}

/// Flagged files still present in the merged image: a later layer's whiteout, opaque directory
/// or own version of the path removes a lower layer's flag.
fn flagged_files(layers: &[LayerFacts]) -> Vec<crowsnest_model::inventory::FlaggedFile> {
    let under =
        |p: &str, dir: &str| dir.is_empty() || p == dir || p.starts_with(&format!("{dir}/"));
    let mut out: Vec<crowsnest_model::inventory::FlaggedFile> = Vec::new();
    for layer in layers {
        out.retain(|f| {
            !layer
                .opaque_dirs
                .iter()
                .any(|d| d.is_empty() || f.path.starts_with(&format!("{d}/")))
                && !layer.whiteouts.iter().any(|w| under(&f.path, w))
                && !layer.files.contains_key(&f.path)
                && !layer.flagged.iter().any(|g| g.path == f.path)
        });
        out.extend(layer.flagged.iter().cloned());
    }
    out.sort_by(|a, b| (&a.path, a.flag as u8).cmp(&(&b.path, b.flag as u8)));
    out
}

/// Removes `path` (when `itself`) and everything under it.
fn remove_under(visible: &mut BTreeMap<&str, usize>, path: &str, itself: bool) {
    if path.is_empty() {
        visible.clear();
        return;
    }
    if itself {
        visible.remove(path);
    }
    let prefix = format!("{path}/");
    let doomed: Vec<&str> = visible
        .range(prefix.as_str()..)
        .take_while(|(p, _)| p.starts_with(&prefix))
        .map(|(p, _)| *p)
        .collect();
    for p in doomed {
        visible.remove(p);
    }
}

fn hides(layer: &LayerFacts, path: &str) -> bool {
    let under = |dir: &str, itself: bool| {
        dir.is_empty()
            || (itself && path == dir)
            || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
    };
    layer.whiteouts.iter().any(|w| under(w, true))
        || layer.opaque_dirs.iter().any(|d| under(d, false))
}

/// The lowest layer from which the package stayed present at `path` up to `top`.
fn introducing_layer(layers: &[LayerFacts], path: &str, top: usize, p: &Package) -> usize {
    let mut introduced = top;
    if hides(&layers[top], path) {
        return introduced;
    }
    for k in (0..top).rev() {
        match layers[k].files.get(path) {
            Some(FileFacts::Packages { packages }) => {
                if packages
                    .iter()
                    .any(|q| q.kind == p.kind && q.name == p.name && q.version == p.version)
                {
                    introduced = k;
                } else {
                    break;
                }
            }
            Some(_) => break,
            None => {}
        }
        if hides(&layers[k], path) {
            break;
        }
    }
    introduced
}
