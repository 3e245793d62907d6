//! Feed import: walks directories and `.tar.gz` archives (the same code path for a local mirror,
//! a downloaded bundle or the shared snapshot), recognises each file's upstream format by its path
//! and top-level keys, and hands it to that format's parser. Parsers write normalised records
//! into a [`Collector`] and account for every record in the [`ImportReport`]: imported,
//! withdrawn (skipped), or malformed (counted with its file name; the import goes on).

mod alma_errata;
mod alpine;
mod csaf;
mod debian;
mod enrich;
mod friendsofphp;
mod nodejs;
mod osv;
mod oval;
mod photon;
mod rubysec;
mod suse_csaf;
mod ubuntu;
mod updateinfo;

use crate::record::Collector;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Knobs for an import. `Default` is what `crowsnest db import` uses.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct ImportOptions {
    /// Keep at most this many characters of each description (0 = keep all).
    pub max_description: usize,
}

impl ImportOptions {
    pub fn new() -> ImportOptions {
        ImportOptions {
            max_description: 600,
        }
    }
}

/// What was read from one source (one upstream feed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceReport {
    /// Records read and kept (OSV files, DSA blocks, tracker CVE files, KEV entries…).
    pub records: u64,
    /// Records the upstream marks as withdrawn/rejected; skipped.
    pub withdrawn: u64,
    pub malformed: u64,
    /// Package rules (or enrichment facts) the records produced.
    pub entries: u64,
    /// Newest date found in the data (Unix seconds): the feed's "as of" date.
    pub newest: Option<i64>,
}

/// One record that could not be read; the rest of the file and the import went on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Malformed {
    pub source: String,
    pub file: String,
    pub error: String,
}

/// Everything an import did, per source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub sources: BTreeMap<String, SourceReport>,
    pub malformed: Vec<Malformed>,
    /// Files that belong to no supported format (READMEs, indexes, schemas, unsupported feeds).
    pub ignored_files: u64,
}

impl ImportReport {
    pub fn source(&self, name: &str) -> Option<&SourceReport> {
        self.sources.get(name)
    }
}

/// A failure that stops the whole import (a path that cannot be read at all).
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("nothing to import: no path given")]
    NoInput,
}

/// The largest single feed file read (a file on disk or an archive entry). The biggest real
/// upstream files (NVD's yearly JSON, Debian's CVE list) are a few hundred MB at most; anything
/// larger is a bomb or a sparse file, which would otherwise be read whole into memory.
pub(crate) const MAX_FEED_FILE_BYTES: u64 = 512 << 20;

fn too_large(size: u64) -> String {
    format!("{size} bytes, larger than the {MAX_FEED_FILE_BYTES}-byte cap for one feed file")
}

/// Shared state of one import, handed to every parser.
pub(crate) struct Ctx<'a> {
    pub(crate) out: &'a mut Collector,
    pub(crate) report: &'a mut ImportReport,
    pub(crate) opts: &'a ImportOptions,
}

impl Ctx<'_> {
    pub(crate) fn src(&mut self, source: &str) -> &mut SourceReport {
        if !self.report.sources.contains_key(source) {
            self.report
                .sources
                .insert(source.to_string(), SourceReport::default());
        }
        self.report
            .sources
            .get_mut(source)
            .expect("inserted just above")
    }

    pub(crate) fn record(&mut self, source: &str) {
        self.src(source).records += 1;
    }

    pub(crate) fn withdrawn(&mut self, source: &str) {
        self.src(source).withdrawn += 1;
    }

    pub(crate) fn entries(&mut self, source: &str, n: u64) {
        self.src(source).entries += n;
    }

    pub(crate) fn date(&mut self, source: &str, secs: Option<i64>) {
        if let Some(secs) = secs {
            let s = self.src(source);
            if s.newest.is_none_or(|n| secs > n) {
                s.newest = Some(secs);
            }
        }
    }

    pub(crate) fn malformed(&mut self, source: &str, file: &str, error: impl ToString) {
        self.src(source).malformed += 1;
        self.report.malformed.push(Malformed {
            source: source.to_string(),
            file: file.to_string(),
            error: error.to_string(),
        });
    }

    pub(crate) fn text(&self, s: &str) -> String {
        let s = s.trim();
        let max = self.opts.max_description;
        if max == 0 || s.len() <= max {
            return s.to_string();
        }
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    }
}

/// Reads every path (directory, `.tar.gz`/`.tgz` archive, or single feed file) into `out`.
pub(crate) fn import_into(
    paths: &[PathBuf],
    opts: &ImportOptions,
    out: &mut Collector,
) -> Result<ImportReport, ImportError> {
    if paths.is_empty() {
        return Err(ImportError::NoInput);
    }
    let mut report = ImportReport::default();
    let mut ctx = Ctx {
        out,
        report: &mut report,
        opts,
    };
    for p in paths {
        let meta = std::fs::metadata(p).map_err(|source| ImportError::Io {
            path: p.clone(),
            source,
        })?;
        if meta.is_dir() {
            walk_dir(&mut ctx, p)?;
        } else {
            import_file(&mut ctx, p, true);
        }
    }
    Ok(report)
}

/// Reads one feed file's bytes as if found at `path` (see [`crate::fuzzing`]).
pub(crate) fn import_bytes(
    path: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    out: &mut Collector,
) -> ImportReport {
    let mut report = ImportReport::default();
    let mut ctx = Ctx {
        out,
        report: &mut report,
        opts,
    };
    dispatch(&mut ctx, path, bytes);
    report
}

fn walk_dir(ctx: &mut Ctx<'_>, dir: &Path) -> Result<(), ImportError> {
    let io = |source| ImportError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    children.sort();
    for child in children {
        let Ok(meta) = std::fs::metadata(&child) else {
            continue;
        };
        if meta.is_dir() {
            if child.file_name().is_some_and(|n| n == ".git") {
                continue;
            }
            walk_dir(ctx, &child)?;
        } else {
            import_file(ctx, &child, false);
        }
    }
    Ok(())
}

fn is_archive(name: &str) -> bool {
    name.ends_with(".tar.gz") || name.ends_with(".tgz")
}

/// Reads one file. A file found while walking a folder is read only when its name says it may be
/// a feed; a file named explicitly (`explicit`) is always read, its format recognised by content
/// when the name has no extension (vendor fixtures such as Oracle's `mock_data`).
fn import_file(ctx: &mut Ctx<'_>, path: &Path, explicit: bool) {
    let display = path.display().to_string();
    if is_archive(&display) {
        if let Err(e) = import_archive(ctx, path) {
            ctx.malformed(&hint_source(&display), &display, format!("archive: {e}"));
        }
        return;
    }
    if !explicit && !interesting(&display) {
        ctx.report.ignored_files += 1;
        return;
    }
    let read = std::fs::File::open(path).and_then(|f| {
        let size = f.metadata()?.len();
        if size > MAX_FEED_FILE_BYTES {
            return Err(std::io::Error::other(too_large(size)));
        }
        let mut bytes = Vec::with_capacity(size as usize);
        // The length may grow while we read; never past the cap.
        f.take(MAX_FEED_FILE_BYTES + 1).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > MAX_FEED_FILE_BYTES {
            return Err(std::io::Error::other(too_large(bytes.len() as u64)));
        }
        Ok(bytes)
    });
    match read {
        Ok(bytes) => dispatch(ctx, &display, &bytes),
        Err(e) => ctx.malformed(&hint_source(&display), &display, e),
    }
}

fn import_archive(ctx: &mut Ctx<'_>, path: &Path) -> std::io::Result<()> {
    let file = std::fs::File::open(path)?;
    let gz = flate2::read::GzDecoder::new(std::io::BufReader::with_capacity(1 << 16, file));
    let mut archive = tar::Archive::new(gz);
    let archive_name = path.display().to_string();
    let mut buf = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let inner = entry.path()?.display().to_string();
        let display = format!("{archive_name}!{inner}");
        if !interesting(&inner) {
            ctx.report.ignored_files += 1;
            continue;
        }
        // The header's size is the archive's claim; a gzip bomb makes it true cheaply.
        let size = entry.size();
        if size > MAX_FEED_FILE_BYTES {
            ctx.malformed(&hint_source(&display), &display, too_large(size));
            continue;
        }
        buf.clear();
        entry.read_to_end(&mut buf)?;
        dispatch(ctx, &display, &buf);
    }
    Ok(())
}

/// Cheap path test that skips files no parser wants before reading them.
fn interesting(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.ends_with(".json")
        || name.ends_with(".yaml")
        || name.ends_with(".yml")
        || name.ends_with(".csv")
    {
        return true;
    }
    if name == "list" {
        return true;
    }
    if name.ends_with(".xml") || name.ends_with(".xml.gz") || name.ends_with(".xml.bz2") {
        return true;
    }
    ubuntu::is_tracker_file(path)
}

/// A source label for a file that could not even be parsed, from its path.
fn hint_source(path: &str) -> String {
    let p = path.to_ascii_lowercase();
    for (needle, label) in [
        ("go-vulndb", "go-vulndb"),
        ("rustsec", "rustsec"),
        ("pypa", "pypa"),
        ("almalinux", "almalinux"),
        ("ghsa", "ghsa"),
        ("rubysec", "rubysec"),
        ("friendsofphp", "friendsofphp"),
        ("nodejs", "nodejs-security-wg"),
        ("ubuntu", "ubuntu"),
        ("amazon", "amazon"),
        ("alas", "amazon"),
        ("oracle", "oracle"),
        ("elsa", "oracle"),
        ("suse", "suse"),
        ("photon", "photon"),
        ("mariner", "azurelinux"),
        ("azure", "azurelinux"),
        ("wolfi", "wolfi"),
        ("chainguard", "chainguard"),
        ("/dsa/", "debian-dsa"),
        ("/dla/", "debian-dla"),
        ("/dtsa/", "debian-dtsa"),
        ("/cve/list", "debian-cve"),
        ("alpine", "alpine"),
        ("csaf", "redhat-csaf"),
        ("nvd", "nvd"),
        ("kev", "cisa-kev"),
        ("epss", "epss"),
    ] {
        if p.contains(needle) {
            return label.to_string();
        }
    }
    "unknown".to_string()
}

fn dispatch(ctx: &mut Ctx<'_>, path: &str, bytes: &[u8]) {
    let inner = path.rsplit('!').next().unwrap_or(path);
    if inner.ends_with("/data/DSA/list") || inner == "data/DSA/list" {
        return debian::import_advisory_list(ctx, path, bytes, "debian-dsa");
    }
    if inner.ends_with("/data/DLA/list") || inner == "data/DLA/list" {
        return debian::import_advisory_list(ctx, path, bytes, "debian-dla");
    }
    if inner.ends_with("/data/DTSA/list") || inner == "data/DTSA/list" {
        return debian::import_advisory_list(ctx, path, bytes, "debian-dtsa");
    }
    if inner.ends_with("/data/CVE/list") || inner == "data/CVE/list" {
        return debian::import_cve_list(ctx, path, bytes);
    }
    if ubuntu::is_tracker_file(inner) {
        return ubuntu::import(ctx, path, bytes);
    }
    if let Some(stem) = inner
        .strip_suffix(".gz")
        .or_else(|| inner.strip_suffix(".bz2"))
    {
        let bz2 = inner.ends_with(".bz2");
        let decoded = if bz2 {
            decompress(bzip2::read::BzDecoder::new(bytes))
        } else {
            decompress(flate2::read::GzDecoder::new(bytes))
        };
        let outer = &path[..path.len() - (inner.len() - stem.len())];
        return match decoded {
            Ok(plain) => dispatch(ctx, outer, &plain),
            Err(e) => ctx.malformed(
                &hint_source(path),
                path,
                format!("{}: {e}", if bz2 { "bzip2" } else { "gzip" }),
            ),
        };
    }
    let no_extension = !inner.rsplit('/').next().unwrap_or(inner).contains('.');
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if inner.ends_with(".xml") || (no_extension && first == Some(&b'<')) {
        return import_xml(ctx, path, bytes);
    }
    if inner.ends_with(".csv") {
        if bytes.starts_with(b"#model_version") || bytes.starts_with(b"cve,epss") {
            return enrich::import_epss(ctx, path, bytes);
        }
        // The KEV CSV repeats the KEV JSON, which is the one imported.
        ctx.report.ignored_files += 1;
        return;
    }
    let is_yaml = inner.ends_with(".yaml") || inner.ends_with(".yml");
    let value: Value = if is_yaml {
        match serde_yaml_ng::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => return ctx.malformed(&hint_source(path), path, format!("YAML: {e}")),
        }
    } else if inner.ends_with(".json") || (no_extension && first == Some(&b'{')) {
        match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(e) => return ctx.malformed(&hint_source(path), path, format!("JSON: {e}")),
        }
    } else {
        ctx.report.ignored_files += 1;
        return;
    };
    if value.is_array() && photon::branch_of(inner).is_some() {
        return photon::import(ctx, path, &value);
    }
    if alma_errata::looks_like(&value) {
        return alma_errata::import(ctx, path, &value);
    }
    let Some(obj) = value.as_object() else {
        ctx.report.ignored_files += 1;
        return;
    };
    let has = |k: &str| obj.contains_key(k);
    if (has("distroversion") || alpine::rolling_distribution(&value).is_some()) && has("packages") {
        alpine::import(ctx, path, &value)
    } else if has("id") && (has("affected") || has("withdrawn") || has("modified")) {
        osv::import(ctx, path, &value)
    } else if has("gem") || (inner.contains("/rubies/") && has("engine")) {
        rubysec::import(ctx, path, &value)
    } else if obj
        .get("reference")
        .and_then(Value::as_str)
        .is_some_and(|r| r.starts_with("composer://"))
    {
        friendsofphp::import(ctx, path, &value)
    } else if has("module_name") && has("vulnerable_versions") {
        nodejs::import_npm(ctx, path, &value)
    } else if inner.contains("/vuln/core/") && has("vulnerable") {
        nodejs::import_core(ctx, path, &value)
    } else if obj
        .get("document")
        .and_then(|d| d.get("csaf_version"))
        .is_some()
    {
        if suse_csaf::is_suse(&value) {
            suse_csaf::import(ctx, path, &value)
        } else {
            csaf::import(ctx, path, &value)
        }
    } else if has("vulnerabilities") && (has("resultsPerPage") || has("format")) {
        enrich::import_nvd(ctx, path, &value)
    } else if has("catalogVersion") && has("vulnerabilities") {
        enrich::import_kev(ctx, path, &value)
    } else if debian::looks_like_tracker_json(obj) {
        debian::import_tracker_json(ctx, path, &value)
    } else {
        ctx.report.ignored_files += 1;
    }
}

/// A compressed feed file's content, never more than [`MAX_FEED_FILE_BYTES`] (a bomb is an error).
fn decompress(reader: impl Read) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    reader.take(MAX_FEED_FILE_BYTES + 1).read_to_end(&mut out)?;
    if out.len() as u64 > MAX_FEED_FILE_BYTES {
        return Err(std::io::Error::other(too_large(out.len() as u64)));
    }
    Ok(out)
}

/// XML feeds, told apart by their root element: OVAL definitions or yum updateinfo. Other XML
/// (repomd, RSS, CVRF) is not imported.
fn import_xml(ctx: &mut Ctx<'_>, path: &str, bytes: &[u8]) {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => return ctx.malformed(&hint_source(path), path, format!("XML: {e}")),
    };
    let doc = match roxmltree::Document::parse(text) {
        Ok(d) => d,
        Err(e) => return ctx.malformed(&hint_source(path), path, format!("XML: {e}")),
    };
    match doc.root_element().tag_name().name() {
        "oval_definitions" => oval::import(ctx, path, &doc),
        "updates" => updateinfo::import(ctx, path, &doc),
        _ => ctx.report.ignored_files += 1,
    }
}

/// A string field, also accepting numbers (YAML writes `cvss_v3: 7.5` and `cve: 2016-1`).
pub(crate) fn str_of(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A list of strings (a single string counts as a list of one).
pub(crate) fn strs_of(v: &Value, key: &str) -> Vec<String> {
    match v.get(key) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

pub(crate) fn f64_of(v: &Value, key: &str) -> Option<f64> {
    match v.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
