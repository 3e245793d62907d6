//! The database file and its in-memory form.
//!
//! File layout (all integers little-endian):
//!
//! | bytes | content |
//! |---|---|
//! | 8 | magic `CRWSNDB\n` |
//! | 4 | format version ([`FORMAT_VERSION`]) |
//! | 4 | header length H |
//! | H | header: postcard-encoded [`DbStatus`] (sources, counts, build time) |
//! | 8 | payload length before compression |
//! | rest | zstd frame of the postcard-encoded payload: advisories, the rule and note tables, entries (advisory, rule, module, note), the name index, enrichment |
//!
//! The header is readable without decompressing the payload, so `db status` is instant. Writing
//! goes to a temporary file in the same directory, is fsynced, then renamed over the old file:
//! a scan that already opened the old file keeps reading it, and no reader sees half a file.

use crate::import::{ImportError, ImportOptions, ImportReport, SourceReport};
use crate::record::{Advisory, Collector, Enrichment, Rule, StoredEntry};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"CRWSNDB\n";
/// Bumped whenever the payload's shape changes; older files are refused with a clear error.
/// 2: rules and notes in shared tables.
pub const FORMAT_VERSION: u32 = 2;

/// Errors reading or writing a database file.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a Crowsnest vulnerability database")]
    NotADatabase { path: PathBuf },
    #[error(
        "{path} has database format {found}, this build reads format {FORMAT_VERSION}; run `crowsnest db update` or `db import` again"
    )]
    Format { path: PathBuf, found: u32 },
    #[error("{path} is damaged: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("cannot encode the database: {0}")]
    Encode(String),
    #[error(transparent)]
    Import(#[from] ImportError),
}

/// What the header says: enough for `db status` and for `serve` to report the DB's age.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DbStatus {
    /// Unix seconds.
    pub built_at: i64,
    pub sources: BTreeMap<String, SourceReport>,
    pub advisories: u64,
    pub entries: u64,
    /// Namespace (`debian:bookworm`, `PyPI`…) → package names with rules.
    pub namespaces: BTreeMap<String, u64>,
    pub malformed: u64,
}

/// (namespace, [(name, first entry, count)]), sorted: the on-disk form of the name index.
type IndexList = Vec<(String, Vec<(String, u32, u32)>)>;

#[derive(Serialize, Deserialize)]
struct Payload {
    advisories: Vec<Advisory>,
    rules: Vec<Rule>,
    notes: Vec<String>,
    entries: Vec<StoredEntry>,
    /// (namespace, [(name, first entry, count)]) sorted.
    index: IndexList,
    enrichment: Vec<(String, Enrichment)>,
}

/// A loaded vulnerability database. Cheap to share behind an `Arc`; never mutated.
#[derive(Debug, Clone, Default)]
pub struct Database {
    pub(crate) status: DbStatus,
    pub(crate) advisories: Vec<Advisory>,
    /// Rules of a namespace's package names, grouped by name (see `index`).
    pub(crate) entries: Vec<StoredEntry>,
    /// Distinct rules, which entries point into.
    pub(crate) rules: Vec<Rule>,
    /// Distinct vendor notes, which entries point into.
    pub(crate) notes: Vec<String>,
    pub(crate) index: HashMap<String, HashMap<String, (u32, u32)>>,
    pub(crate) enrichment: HashMap<String, Enrichment>,
}

impl Database {
    /// Imports feeds from directories, archives or files and builds the database in memory.
    pub fn build(
        paths: &[PathBuf],
        opts: &ImportOptions,
    ) -> Result<(Database, ImportReport), DbError> {
        let mut collector = Collector::default();
        let report = crate::import::import_into(paths, opts, &mut collector)?;
        let built_at = jiff::Timestamp::now().as_second();
        Ok((
            Database::from_collector(collector, &report, built_at),
            report,
        ))
    }

    pub(crate) fn from_collector(c: Collector, report: &ImportReport, built_at: i64) -> Database {
        let mut entries = Vec::new();
        let mut tables = Tables::default();
        let mut index: HashMap<String, HashMap<String, (u32, u32)>> = HashMap::new();
        let mut namespaces = BTreeMap::new();
        let mut ns_sorted: Vec<_> = c.entries.into_iter().collect();
        ns_sorted.sort_by(|a, b| a.0.cmp(&b.0));
        for (ns, names) in ns_sorted {
            let mut names: Vec<_> = names.into_iter().collect();
            names.sort_by(|a, b| a.0.cmp(&b.0));
            let slot = index.entry(ns.clone()).or_default();
            for (name, mut list) in names {
                if !c.rejected.is_empty() {
                    list.retain(|e| !c.rejected.contains(&c.advisories[e.advisory as usize].id));
                    if list.is_empty() {
                        continue;
                    }
                }
                let start = entries.len() as u32;
                let len = list.len() as u32;
                entries.extend(list.into_iter().map(|e| tables.store(e)));
                slot.insert(name, (start, len));
            }
            namespaces.insert(ns, slot.len() as u64);
        }
        let status = DbStatus {
            built_at,
            sources: report.sources.clone(),
            advisories: c.advisories.len() as u64,
            entries: entries.len() as u64,
            namespaces,
            malformed: report.malformed.len() as u64,
        };
        Database {
            status,
            advisories: c.advisories,
            entries,
            rules: tables.rules,
            notes: tables.notes,
            index,
            enrichment: c.enrichment,
        }
    }

    pub fn status(&self) -> &DbStatus {
        &self.status
    }

    /// Encodes the database (see the module docs for the layout).
    pub fn to_bytes(&self) -> Result<Vec<u8>, DbError> {
        let mut index: IndexList = self
            .index
            .iter()
            .map(|(ns, names)| {
                let mut v: Vec<_> = names
                    .iter()
                    .map(|(n, (s, l))| (n.clone(), *s, *l))
                    .collect();
                v.sort();
                (ns.clone(), v)
            })
            .collect();
        index.sort_by(|a, b| a.0.cmp(&b.0));
        let mut enrichment: Vec<_> = self
            .enrichment
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        enrichment.sort_by(|a, b| a.0.cmp(&b.0));
        let payload = Payload {
            advisories: self.advisories.clone(),
            rules: self.rules.clone(),
            notes: self.notes.clone(),
            entries: self.entries.clone(),
            index,
            enrichment,
        };
        let raw = postcard::to_stdvec(&payload).map_err(|e| DbError::Encode(e.to_string()))?;
        let compressed =
            zstd::bulk::compress(&raw, 9).map_err(|e| DbError::Encode(e.to_string()))?;
        let header =
            postcard::to_stdvec(&self.status).map_err(|e| DbError::Encode(e.to_string()))?;
        let mut out = Vec::with_capacity(compressed.len() + header.len() + 24);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(header.len() as u32).to_le_bytes());
        out.extend_from_slice(&header);
        out.extend_from_slice(&(raw.len() as u64).to_le_bytes());
        out.extend_from_slice(&compressed);
        Ok(out)
    }

    /// Writes to `path` atomically: temp file in the same directory, fsync, rename.
    pub fn write_atomic(&self, path: &Path) -> Result<u64, DbError> {
        let bytes = self.to_bytes()?;
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let io = |source| DbError::Io {
            path: path.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        remove_stale_temp_files(dir, &name);
        let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let result = (|| {
            // Owner-only, whatever the umask: the database sits in the Console's data dir.
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)?;
            // The rename is durable only once the directory entry is.
            // Some filesystems cannot sync a directory; the database is written all the same,
            // so this is worth a warning and not a failure.
            if let Err(e) = std::fs::File::open(dir).and_then(|d| d.sync_all()) {
                tracing::warn!(dir = %dir.display(), error = %e, "cannot sync the database directory; the new database may not survive a power loss");
            }
            Ok(())
        })();
        if result.is_err()
            && let Err(e) = std::fs::remove_file(&tmp)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(path = %tmp.display(), error = %e, "cannot remove the temporary database file of a failed write");
        }
        result.map_err(io)?;
        Ok(bytes.len() as u64)
    }

    /// Reads only the header of a database file.
    pub fn read_status(path: &Path) -> Result<DbStatus, DbError> {
        let bytes = std::fs::read(path).map_err(|source| DbError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let (status, _) = split(path, &bytes)?;
        Ok(status)
    }

    pub fn open(path: &Path) -> Result<Database, DbError> {
        let bytes = std::fs::read(path).map_err(|source| DbError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Database::from_bytes(path, &bytes)
    }

    /// Decodes a database; `path` is only used in error messages.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Database, DbError> {
        let (status, rest) = split(path, bytes)?;
        let corrupt = |reason: String| DbError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let (len, body) = rest
            .split_first_chunk::<8>()
            .ok_or_else(|| corrupt("missing payload".into()))?;
        let len = u64::from_le_bytes(*len);
        // A corrupt length must not size what we decode. The zstd frame states the decoded size
        // too, and the two must agree. (Not a bound on the compression ratio: repetitive feeds
        // compress far beyond any fixed one; the fuzzer built a valid database at 80:1.)
        if !matches!(zstd::zstd_safe::get_frame_content_size(body), Ok(Some(n)) if n == len) {
            return Err(corrupt(format!(
                "the stated payload size {len} disagrees with the zstd frame"
            )));
        }
        let payload = decode_payload(body, len).map_err(corrupt)?;
        let n = payload.entries.len() as u64;
        let mut index = HashMap::with_capacity(payload.index.len());
        for (ns, names) in payload.index {
            let mut m = HashMap::with_capacity(names.len());
            for (name, start, count) in names {
                if u64::from(start) + u64::from(count) > n {
                    return Err(corrupt(format!("index of {ns}/{name} out of range")));
                }
                m.insert(name, (start, count));
            }
            index.insert(ns, m);
        }
        let (adv_n, rule_n, note_n) = (
            payload.advisories.len(),
            payload.rules.len(),
            payload.notes.len(),
        );
        if payload.entries.iter().any(|e| {
            e.advisory as usize >= adv_n
                || e.rule as usize >= rule_n
                || e.note.is_some_and(|n| n as usize >= note_n)
        }) {
            return Err(corrupt("entry points past its tables".into()));
        }
        Ok(Database {
            status,
            advisories: payload.advisories,
            entries: payload.entries,
            rules: payload.rules,
            notes: payload.notes,
            index,
            enrichment: payload.enrichment.into_iter().collect(),
        })
    }

    /// The entries for a package name (already normalised) in a namespace, with the index of
    /// the first one (unique per name: the matcher's cache key).
    pub(crate) fn lookup(&self, namespace: &str, name: &str) -> Option<(u32, &[StoredEntry])> {
        let &(start, len) = self.index.get(namespace)?.get(name)?;
        Some((start, &self.entries[start as usize..(start + len) as usize]))
    }
}

impl Database {
    /// The rule of an entry (indices are checked when the database is loaded).
    pub(crate) fn rule(&self, entry: &StoredEntry) -> &Rule {
        &self.rules[entry.rule as usize]
    }

    pub(crate) fn note(&self, entry: &StoredEntry) -> Option<&str> {
        entry.note.map(|n| self.notes[n as usize].as_str())
    }
}

/// Decompresses and decodes the payload in one pass. The decompressed bytes (49 MB for the
/// whole snapshot) are never held at once: postcard reads them from a small window refilled from
/// the zstd stream, so loading peaks at the size of the decoded tables rather than 1.35× that.
fn decode_payload(compressed: &[u8], len: u64) -> Result<Payload, String> {
    use serde::Deserialize;
    let decoder =
        zstd::stream::read::Decoder::with_buffer(compressed).map_err(|e| format!("zstd: {e}"))?;
    // One byte more than the stated length tells a payload that runs on from one that ends,
    // and bounds what a damaged frame can make us inflate.
    let mut de = postcard::Deserializer::from_flavor(Streamed::new(decoder, len));
    let decoded = Payload::deserialize(&mut de);
    let mut input = de.finalize().map_err(|e| format!("payload: {e}"))?;
    let payload = decoded.map_err(|e| match input.error.take() {
        Some(io) => format!("zstd: {io}"),
        None => format!("payload: {e}"),
    })?;
    if input.consumed() != len || input.has_more() {
        return Err(format!(
            "the payload does not end where the header says ({len} bytes)"
        ));
    }
    Ok(payload)
}

/// Bytes decompressed at a time while decoding.
const WINDOW: usize = 1 << 16;

/// A postcard input over a stream: a window of decompressed bytes, refilled as postcard reads.
/// Every payload field is an owned value, so nothing needs to borrow from the input; a string
/// longer than what is left in the window is assembled in `spill`.
struct Streamed<'de, R> {
    reader: std::io::Take<R>,
    window: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Bytes read from the stream so far, the window's included.
    read: u64,
    /// The stated payload length: no single field can be longer.
    len: u64,
    spill: Vec<u8>,
    /// The first read error (postcard only knows "unexpected end", which would hide it).
    error: Option<std::io::Error>,
    _input: std::marker::PhantomData<&'de [u8]>,
}

impl<'de, R: std::io::Read> Streamed<'de, R> {
    fn new(reader: R, len: u64) -> Self {
        Streamed {
            reader: reader.take(len.saturating_add(1)),
            window: vec![0u8; WINDOW].into_boxed_slice(),
            pos: 0,
            end: 0,
            read: 0,
            len,
            spill: Vec::new(),
            error: None,
            _input: std::marker::PhantomData,
        }
    }

    /// Bytes handed to postcard.
    fn consumed(&self) -> u64 {
        self.read - (self.end - self.pos) as u64
    }

    /// Refills an exhausted window; false at the end of the stream or on an error.
    fn refill(&mut self) -> bool {
        loop {
            match self.reader.read(&mut self.window) {
                Ok(n) => {
                    self.pos = 0;
                    self.end = n;
                    self.read += n as u64;
                    return n > 0;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.error.get_or_insert(e);
                    return false;
                }
            }
        }
    }

    fn has_more(&mut self) -> bool {
        self.pos < self.end || self.refill()
    }
}

impl<'de, R: std::io::Read + 'de> postcard::de_flavors::Flavor<'de> for Streamed<'de, R> {
    type Remainder = Self;
    type Source = ();

    #[inline]
    fn pop(&mut self) -> postcard::Result<u8> {
        if self.pos == self.end && !self.refill() {
            return Err(postcard::Error::DeserializeUnexpectedEnd);
        }
        let byte = self.window[self.pos];
        self.pos += 1;
        Ok(byte)
    }

    fn try_take_n(&mut self, _ct: usize) -> postcard::Result<&'de [u8]> {
        // Borrowing from a stream is impossible; no payload field asks for it.
        Err(postcard::Error::WontImplement)
    }

    fn try_take_n_temp<'a>(&'a mut self, ct: usize) -> postcard::Result<&'a [u8]>
    where
        'de: 'a,
    {
        if self.end - self.pos >= ct {
            let start = self.pos;
            self.pos += ct;
            return Ok(&self.window[start..self.pos]);
        }
        // A corrupt length must not make us allocate more than the payload could hold.
        if ct as u64 > self.len.saturating_sub(self.consumed()) {
            return Err(postcard::Error::DeserializeUnexpectedEnd);
        }
        self.spill.clear();
        self.spill.reserve(ct);
        while self.spill.len() < ct {
            if self.pos == self.end && !self.refill() {
                return Err(postcard::Error::DeserializeUnexpectedEnd);
            }
            let take = (ct - self.spill.len()).min(self.end - self.pos);
            self.spill
                .extend_from_slice(&self.window[self.pos..self.pos + take]);
            self.pos += take;
        }
        Ok(&self.spill)
    }

    fn finalize(self) -> postcard::Result<Self> {
        Ok(self)
    }
}

/// Builds the shared rule and note tables while entries are stored.
#[derive(Default)]
struct Tables {
    rules: Vec<Rule>,
    rule_ids: HashMap<Rule, u32>,
    notes: Vec<String>,
    note_ids: HashMap<String, u32>,
}

impl Tables {
    fn store(&mut self, e: crate::record::Entry) -> StoredEntry {
        let rule = match self.rule_ids.get(&e.rule) {
            Some(&i) => i,
            None => {
                let i = self.rules.len() as u32;
                self.rules.push(e.rule.clone());
                self.rule_ids.insert(e.rule, i);
                i
            }
        };
        let note = e.note.map(|n| match self.note_ids.get(&n) {
            Some(&i) => i,
            None => {
                let i = self.notes.len() as u32;
                self.notes.push(n.clone());
                self.note_ids.insert(n, i);
                i
            }
        });
        StoredEntry {
            advisory: e.advisory,
            rule,
            module: e.module,
            note,
        }
    }
}

fn split<'a>(path: &Path, bytes: &'a [u8]) -> Result<(DbStatus, &'a [u8]), DbError> {
    let not_db = || DbError::NotADatabase {
        path: path.to_path_buf(),
    };
    let rest = bytes.strip_prefix(MAGIC.as_slice()).ok_or_else(not_db)?;
    let (ver, rest) = rest.split_first_chunk::<4>().ok_or_else(not_db)?;
    let found = u32::from_le_bytes(*ver);
    if found != FORMAT_VERSION {
        return Err(DbError::Format {
            path: path.to_path_buf(),
            found,
        });
    }
    let corrupt = |reason: &str| DbError::Corrupt {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let (hlen, rest) = rest
        .split_first_chunk::<4>()
        .ok_or_else(|| corrupt("truncated header"))?;
    let hlen = u32::from_le_bytes(*hlen) as usize;
    if rest.len() < hlen {
        return Err(corrupt("truncated header"));
    }
    let status: DbStatus =
        postcard::from_bytes(&rest[..hlen]).map_err(|_| corrupt("unreadable header"))?;
    Ok((status, &rest[hlen..]))
}

/// `<data-dir>/vulndb/crowsnest.db`.
/// Removes the temporary files of [`Database::write_atomic`] (`.<name>.tmp-<pid>`) that writers
/// killed mid-write left in `dir`: each is as large as a database, and nothing else would ever
/// delete them. A file whose process still runs is another writer's work in progress and stays.
/// Where `/proc` does not say which processes run, nothing is removed.
fn remove_stale_temp_files(dir: &Path, name: &str) {
    let proc = Path::new("/proc");
    if !proc.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.tmp-");
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id()
            && !proc.join(pid.to_string()).exists()
            && let Err(e) = std::fs::remove_file(entry.path())
        {
            tracing::warn!(path = %entry.path().display(), error = %e, "cannot remove a stale temporary database file");
        }
    }
}

pub fn default_path(data_dir: &Path) -> PathBuf {
    data_dir.join("vulndb").join("crowsnest.db")
}

impl DbStatus {
    /// The table `crowsnest db status` prints: one line per source with its counts and the
    /// newest date in its data.
    pub fn render(&self) -> String {
        let mut out = format!(
            "built {} UTC; {} advisories, {} package rules, {} namespaces, {} malformed records\n",
            crate::date::day(self.built_at),
            self.advisories,
            self.entries,
            self.namespaces.len(),
            self.malformed
        );
        out.push_str(&format!(
            "{:<22} {:>8} {:>9} {:>9} {:>9}  {}\n",
            "source", "records", "withdrawn", "malformed", "rules", "data as of"
        ));
        for (name, s) in &self.sources {
            out.push_str(&format!(
                "{:<22} {:>8} {:>9} {:>9} {:>9}  {}\n",
                name,
                s.records,
                s.withdrawn,
                s.malformed,
                s.entries,
                s.newest.map(crate::date::day).unwrap_or_else(|| "-".into())
            ));
        }
        out
    }

    /// Whole days since the database was built.
    pub fn age_days(&self, now: i64) -> i64 {
        (now - self.built_at).max(0) / 86_400
    }
}

#[cfg(all(test, target_os = "linux"))]
mod stale_temp_file_tests {
    #[test]
    fn temp_files_of_dead_writers_go_those_of_running_ones_stay() {
        let dir = tempfile::tempdir().unwrap();
        let mut finished = std::process::Command::new("true").spawn().unwrap();
        let dead = finished.id();
        finished.wait().unwrap();
        let running = std::os::unix::process::parent_id();
        for name in [
            format!(".crowsnest.db.tmp-{dead}"),
            format!(".crowsnest.db.tmp-{running}"),
            format!(".other.db.tmp-{dead}"),
        ] {
            std::fs::write(dir.path().join(name), b"half a database").unwrap();
        }
        super::remove_stale_temp_files(dir.path(), "crowsnest.db");
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                format!(".crowsnest.db.tmp-{running}"),
                format!(".other.db.tmp-{dead}")
            ]
        );
    }
}
