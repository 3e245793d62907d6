//! One layer, streamed: decompress, walk the tar entries in order, record whiteouts, and read
//! the entries detectors want (and nothing else) into memory under the per-file caps. The output
//! is that layer's [`LayerFacts`]; a broken entry costs a warning, a broken stream ends the walk
//! with the facts gathered so far and `complete = false`.

pub(crate) mod decompress;
mod headers;
pub(crate) mod path;

use crate::detect::{self, Interest};
use crate::facts::{FileFacts, LayerFacts};
use crate::limits::Limits;
use std::io::{self, Read};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Analyses one layer blob.
pub(crate) fn analyze<R: Read>(reader: R, digest: &str, limits: &Limits) -> LayerFacts {
    let mut facts = LayerFacts {
        digest: digest.to_string(),
        ..LayerFacts::default()
    };
    let short = short_digest(digest);
    let decoded = match decompress::open(reader) {
        Ok((_, r)) => r,
        Err(e) => {
            facts
                .warnings
                .push(format!("layer {short}: cannot read: {e}"));
            return facts;
        }
    };
    let mut archive = tar::Archive::new(headers::ExtensionGuard::new(decompress::Capped::new(
        decoded,
        limits.max_layer_bytes,
    )));
    let result = walk(&mut archive, &mut facts, limits, short);
    let mut capped = archive.into_inner().into_inner();
    match result {
        Ok(()) => {
            // Drain what follows the tar's end blocks so a bomb hidden after them is still
            // counted and a corrupt compressed trailer is still noticed.
            match io::copy(&mut capped, &mut io::sink()) {
                Ok(_) => facts.complete = true,
                Err(e) => {
                    let what = if capped.exceeded {
                        "rejected"
                    } else {
                        "corrupt after the tar end"
                    };
                    facts.warnings.push(format!("layer {short}: {what}: {e}"));
                }
            }
        }
        Err(e) => {
            let what = if capped.exceeded {
                "rejected"
            } else {
                "truncated or corrupt"
            };
            facts.warnings.push(format!(
                "layer {short}: {what}: {e}; later entries not analysed"
            ));
        }
    }
    facts.uncompressed_bytes = capped.read;
    facts
}

fn short_digest(d: &str) -> &str {
    let hex = d.split_once(':').map_or(d, |(_, h)| h);
    &hex[..hex.len().min(12)]
}

fn walk<R: Read>(
    archive: &mut tar::Archive<R>,
    facts: &mut LayerFacts,
    limits: &Limits,
    short: &str,
) -> io::Result<()> {
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = match path::normalize(&entry.path_bytes()) {
            Ok(Some(p)) => p,
            Ok(None) => continue,
            Err(e) => {
                facts
                    .warnings
                    .push(format!("layer {short}: entry skipped: {e}"));
                continue;
            }
        };
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", &path));
        if let Some(hidden) = name.strip_prefix(".wh.") {
            if hidden == ".wh..opq" {
                facts.opaque_dirs.push(dir.to_string());
            } else if !hidden.starts_with(".wh.") && !hidden.is_empty() {
                facts.whiteouts.push(if dir.is_empty() {
                    hidden.to_string()
                } else {
                    format!("{dir}/{hidden}")
                });
            }
            continue;
        }
        let header = entry.header();
        let mode = header.mode().unwrap_or(0);
        let kind = header.entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            if detect::classify(&path, 0).is_none() {
                continue;
            }
            let Some(target) = entry.link_name_bytes() else {
                continue;
            };
            let target = String::from_utf8_lossy(&target).into_owned();
            let fact = if kind.is_symlink() {
                FileFacts::Symlink { target }
            } else {
                match path::normalize(target.as_bytes()) {
                    // A hard link to a file this layer already parsed shares its facts.
                    Ok(Some(t)) => facts
                        .files
                        .get(&t)
                        .cloned()
                        .unwrap_or(FileFacts::HardLink { target: t }),
                    _ => {
                        facts.warnings.push(format!(
                            "layer {short}: /{path}: hard link to {target:?} refused"
                        ));
                        continue;
                    }
                }
            };
            facts.files.insert(path, fact);
            continue;
        }
        // A GNU sparse entry is a regular file to whoever extracts the image: skipping it would
        // let a sparse package DB hide the real one from the scan.
        let sparse = kind == tar::EntryType::GNUSparse;
        if !kind.is_file() && kind != tar::EntryType::Continuous && !sparse {
            // A directory or special file replacing a file of interest hides it, like any file.
            if facts.files.contains_key(&path) {
                facts.files.remove(&path);
            }
            continue;
        }
        let size = entry.size();
        for flag in crate::flags::by_path_and_mode(&path, mode) {
            facts.flagged.push(crowsnest_model::inventory::FlaggedFile {
                path: path.clone(),
                mode,
                flag,
                layer_digest: Some(facts.digest.clone()),
            });
        }
        if crate::flags::may_be_private_key(&path) && size <= crate::flags::MAX_KEY_BYTES {
            let mut data = Vec::with_capacity(size as usize);
            (&mut entry)
                .take(crate::flags::MAX_KEY_BYTES)
                .read_to_end(&mut data)?;
            if crate::flags::is_private_key(&data) {
                facts.flagged.push(crowsnest_model::inventory::FlaggedFile {
                    path: path.clone(),
                    mode,
                    flag: crowsnest_model::inventory::FileFlag::PrivateKey,
                    layer_digest: Some(facts.digest.clone()),
                });
            }
            continue;
        }
        let Some(interest) = detect::classify(&path, mode) else {
            continue;
        };
        let cap = detect::cap_for(interest, limits);
        let outcome = if sparse && size > cap {
            // Mostly holes by construction: streaming a 10 GiB hole through the Go build-info
            // scanner would cost minutes and find nothing, and holes escape the layer cap.
            Some(Err(crate::ParseError::TooLarge {
                what: "sparse file",
                limit: cap,
            }))
        } else if interest == Interest::Executable {
            read_executable(&mut entry, &path, size, cap, limits)?
        } else if size > cap {
            Some(Err(crate::ParseError::TooLarge {
                what: "file",
                limit: cap,
            }))
        } else {
            let mut data = Vec::with_capacity(size as usize);
            (&mut entry).take(cap).read_to_end(&mut data)?;
            Some(run_detector(interest, &path, &data, limits))
        };
        match outcome {
            Some(Ok(Some(f))) => {
                facts.files.insert(path, f);
            }
            None | Some(Ok(None)) => {
                facts.files.insert(path, FileFacts::Nothing);
            }
            Some(Err(e)) => {
                facts.warnings.push(format!("layer {short}: /{path}: {e}"));
                facts.files.insert(
                    path,
                    FileFacts::Unreadable {
                        error: e.to_string(),
                    },
                );
            }
        }
    }
    Ok(())
}

type Outcome = Option<Result<Option<FileFacts>, crate::ParseError>>;

/// Executables are read only if their first bytes say object file; big ones are scanned for Go
/// build info as they stream past instead of being held.
fn read_executable<R: Read>(
    entry: &mut R,
    path: &str,
    size: u64,
    cap: u64,
    limits: &Limits,
) -> io::Result<Outcome> {
    if size < 64 {
        return Ok(None);
    }
    let mut head = [0u8; 4];
    entry.read_exact(&mut head)?;
    let object = head.starts_with(b"\x7fELF")
        || head.starts_with(b"MZ")
        || matches!(
            head,
            [0xfe, 0xed, 0xfa, 0xce | 0xcf]
                | [0xce | 0xcf, 0xfa, 0xed, 0xfe]
                | [0xca, 0xfe, 0xba, 0xbe]
        );
    if !object {
        return Ok(None);
    }
    if size > cap {
        let found = detect::golang::scan_stream((&head[..]).chain(entry), path);
        return Ok(Some(found.map(|p| {
            (!p.is_empty()).then_some(FileFacts::Packages { packages: p })
        })));
    }
    let mut data = Vec::with_capacity(size as usize);
    data.extend_from_slice(&head);
    entry.take(cap).read_to_end(&mut data)?;
    Ok(Some(run_detector(
        Interest::Executable,
        path,
        &data,
        limits,
    )))
}

/// Detectors are pure functions over bytes; a bug in one must cost only that file.
fn run_detector(
    interest: Interest,
    path: &str,
    data: &[u8],
    limits: &Limits,
) -> Result<Option<FileFacts>, crate::ParseError> {
    catch_unwind(AssertUnwindSafe(|| {
        detect::detect(interest, path, data, limits)
    }))
    .unwrap_or_else(|_| {
        Err(crate::ParseError::malformed(
            "detector failed on this input",
        ))
    })
}
