//! The results CSV of `GET /registry/download` (api-reference §6), written as a stream.
//!
//! [`CsvReport::new`] writes the Console's 38-column header; [`CsvReport::write_image`] writes one
//! row per vulnerability of one image and keeps nothing of it, so a caller can page results out
//! of the store and never hold them all. Every cell passes [`neutralise`] first: a cell a
//! spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, carriage return, line feed) gets a
//! leading `'`, because repository names, tags and descriptions come from whoever pushed the image.

use crate::error::PolicyError;
use crate::package_type::package_type_label;
use crate::scope::is_docker_hub;
use crowsnest_model::scan_result::{ImageScanResult, Vulnerability};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write;

/// The Console's image-vulnerability CSV header, exactly.
pub const CSV_HEADER: [&str; 38] = [
    "Registry",
    "Repository",
    "Tag",
    "Id",
    "Distro",
    "Hosts",
    "Layer",
    "CVE ID",
    "Compliance ID",
    "Type",
    "Severity",
    "Packages",
    "Source Package",
    "Package Version",
    "Package License",
    "CVSS",
    "Fix Status",
    "Fix Date",
    "Grace Days",
    "Risk Factors",
    "Vulnerability Tags",
    "Description",
    "Cause",
    "Containers",
    "Custom Labels",
    "Published",
    "Discovered",
    "Binaries",
    "Clusters",
    "Namespaces",
    "Collections",
    "Digest",
    "Vulnerability Link",
    "Apps",
    "Package Path",
    "Start Time",
    "Defender Hosts",
    "Agentless Hosts",
];

/// Makes a cell safe to open in a spreadsheet: one that would start a formula gets a `'` first.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r' | b'\n') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// `YYYY-MM-DD HH:MM:SS.000` in UTC; empty for unset times.
fn csv_time_unix(secs: i64) -> String {
    if secs <= 0 {
        return String::new();
    }
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d %H:%M:%S.%3f").to_string())
        .unwrap_or_default()
}

fn csv_time_rfc3339(s: &str) -> String {
    match crate::rule::parse_time(s) {
        Some(t) if t.as_second() > 0 => t.strftime("%Y-%m-%d %H:%M:%S.%3f").to_string(),
        _ => String::new(),
    }
}

fn number(x: f64) -> String {
    if x > 0.0 {
        x.to_string()
    } else {
        String::new()
    }
}

/// A streaming CSV writer of scan results.
#[derive(Debug)]
pub struct CsvReport<W: Write> {
    out: csv::Writer<W>,
    rows: u64,
}

impl<W: Write> CsvReport<W> {
    /// Starts the report by writing the header.
    pub fn new(sink: W) -> Result<CsvReport<W>, PolicyError> {
        let mut out = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(sink);
        out.write_record(CSV_HEADER)?;
        Ok(CsvReport { out, rows: 0 })
    }

    /// Writes one row per vulnerability of the image; returns how many.
    pub fn write_image(&mut self, image: &ImageScanResult) -> Result<u64, PolicyError> {
        let Some(vulns) = image.vulnerabilities.as_deref() else {
            return Ok(0);
        };
        let ctx = ImageCells::new(image);
        let mut n = 0;
        for v in vulns {
            for cell in ctx.row(image, v) {
                self.out.write_field(neutralise(&cell).as_bytes())?;
            }
            self.out.write_record(None::<&[u8]>)?;
            n += 1;
        }
        self.rows += n;
        Ok(n)
    }

    /// Rows written so far (header excluded).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Flushes buffered rows to the sink, for a caller that streams chunk by chunk.
    pub fn flush(&mut self) -> Result<(), PolicyError> {
        self.out.flush().map_err(|e| PolicyError::Csv(e.into()))
    }

    /// Flushes and hands the sink back.
    pub fn finish(self) -> Result<W, PolicyError> {
        self.out
            .into_inner()
            .map_err(|e| PolicyError::Csv(e.into_error().into()))
    }
}

/// The per-image cells and lookups, computed once per image.
struct ImageCells<'a> {
    registry: String,
    packages: HashMap<(&'a str, &'a str), (&'a str, &'a str)>,
    layers: HashMap<i64, &'a str>,
    labels: String,
    collections: String,
}

impl<'a> ImageCells<'a> {
    fn new(image: &'a ImageScanResult) -> ImageCells<'a> {
        let registry = if is_docker_hub(&image.repo_tag.registry) {
            String::new()
        } else {
            image.repo_tag.registry.clone()
        };
        let mut packages = HashMap::new();
        for group in &image.packages {
            for p in &group.pkgs {
                packages
                    .entry((p.name.as_str(), p.version.as_str()))
                    .or_insert((p.license.as_str(), p.path.as_str()));
            }
        }
        let mut layers = HashMap::new();
        for h in &image.history {
            if !h.empty_layer && h.created > 0 {
                layers.entry(h.created).or_insert(h.instruction.as_str());
            }
        }
        let mut labels: Vec<String> = image
            .image
            .labels
            .iter()
            .map(|(k, v)| format!("{k}:{v}"))
            .collect();
        labels.extend(image.labels.iter().cloned());
        ImageCells {
            registry,
            packages,
            layers,
            labels: labels.join(", "),
            collections: image.collections.join(", "),
        }
    }

    fn row<'r>(&'r self, image: &'r ImageScanResult, v: &'r Vulnerability) -> [Cow<'r, str>; 38] {
        let (license, path) = self
            .packages
            .get(&(v.package_name.as_str(), v.package_version.as_str()))
            .copied()
            .unwrap_or(("", ""));
        let risk: Vec<&str> = v.risk_factors.keys().map(String::as_str).collect();
        // OS findings are keyed by source package; language packages are their own source.
        let source = if v.id == 46 {
            v.package_name.as_str()
        } else {
            ""
        };
        let b = |s: &'r str| Cow::Borrowed(s);
        [
            b(&self.registry),
            b(&image.repo_tag.repo),
            b(&image.repo_tag.tag),
            b(&image.id),
            b(&image.distro),
            b(&image.hostname),
            b(self.layers.get(&v.layer_time).copied().unwrap_or("")),
            b(&v.cve),
            Cow::Owned(v.id.to_string()),
            b(package_type_label(v.id)),
            b(&v.severity),
            b(&v.package_name),
            b(source),
            b(&v.package_version),
            b(license),
            Cow::Owned(number(v.cvss)),
            b(&v.status),
            Cow::Owned(csv_time_unix(v.fix_date)),
            Cow::Owned(
                v.grace_period_days
                    .map(|d| d.to_string())
                    .unwrap_or_default(),
            ),
            Cow::Owned(risk.join(", ")),
            b(""),
            b(&v.description),
            b(&v.cause),
            b(""),
            b(&self.labels),
            Cow::Owned(csv_time_unix(v.published)),
            Cow::Owned(csv_time_rfc3339(&v.discovered)),
            Cow::Owned(v.binary_pkgs.join(", ")),
            b(""),
            b(""),
            b(&self.collections),
            b(&image.repo_tag.digest),
            b(&v.link),
            b(""),
            b(path),
            b(""),
            b(""),
            b(""),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralising() {
        for hostile in ["=1+1", "+cmd", "-2", "@SUM(A1)", "\tx", "\rx", "\nx"] {
            assert_eq!(neutralise(hostile), format!("'{hostile}"));
        }
        for fine in ["", "a=b", "CVE-1", "1.0-1", " =x"] {
            assert_eq!(neutralise(fine), fine);
        }
    }

    #[test]
    fn times() {
        assert_eq!(csv_time_unix(1_609_784_100), "2021-01-04 18:15:00.000");
        assert_eq!(csv_time_unix(0), "");
        assert_eq!(
            csv_time_rfc3339("2021-01-04T18:15:00.25Z"),
            "2021-01-04 18:15:00.250"
        );
        assert_eq!(csv_time_rfc3339("0001-01-01T00:00:00Z"), "");
        assert_eq!(csv_time_rfc3339("nonsense"), "");
    }

    #[test]
    fn header_has_38_columns() {
        assert_eq!(CSV_HEADER.len(), 38);
    }
}
