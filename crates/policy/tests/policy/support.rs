//! Test data: real CVE records from NVD, a real image's package list, and builders around them.

use crowsnest_model::scan_result::Vulnerability;
use crowsnest_model::{Finding, FixStatus, Package, PackageKind, Severity};
use jiff::Timestamp;
use serde_json::Value;
use std::path::PathBuf;

pub(crate) const DAY: i64 = 86_400;

pub(crate) fn shared() -> PathBuf {
    let p = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"));
    assert!(
        p.join("vulndb").is_dir(),
        "the shared test data is missing: expected it at {} (../shared from the workspace)",
        p.display()
    );
    p
}

fn read_json(rel: &str) -> Value {
    let path = shared().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

pub(crate) fn now() -> Timestamp {
    "2026-11-01T10:00:00Z".parse().unwrap()
}

pub(crate) fn days_ago(days: i64) -> i64 {
    now().as_second() - days * DAY
}

/// One CVE of NVD's API 2.0 sample: the CVSS score and vector, publication date and English
/// description are NVD's.
struct NvdRecord {
    cve: String,
    cvss: Option<(f64, String)>,
    published: i64,
    description: String,
}

impl NvdRecord {
    fn link(&self) -> String {
        format!("https://nvd.nist.gov/vuln/detail/{}", self.cve)
    }
}

fn nvd_records() -> Vec<NvdRecord> {
    let doc = read_json("vulndb/samples/nvd-api2/nvd-cve-api2-3cves.json");
    let mut out = Vec::new();
    for item in doc["vulnerabilities"].as_array().expect("vulnerabilities") {
        let cve = &item["cve"];
        let metrics = &cve["metrics"];
        let cvss = ["cvssMetricV31", "cvssMetricV30", "cvssMetricV2"]
            .iter()
            .find_map(|k| {
                let m = metrics[*k].get(0)?;
                Some((
                    m["cvssData"]["baseScore"].as_f64()?,
                    m["cvssData"]["vectorString"].as_str()?.to_string(),
                ))
            });
        let published: Timestamp = format!("{}Z", cve["published"].as_str().unwrap())
            .parse()
            .unwrap();
        let description = cve["descriptions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["lang"] == "en")
            .and_then(|d| d["value"].as_str())
            .unwrap_or("")
            .to_string();
        out.push(NvdRecord {
            cve: cve["id"].as_str().unwrap().to_string(),
            cvss,
            published: published.as_second(),
            description,
        });
    }
    assert_eq!(out.len(), 3, "the NVD sample has three CVEs");
    out
}

/// The three CVEs of NVD's sample as the matcher's findings for an OS package, rated by the
/// model's severity rule with no vendor word (so by the CVSS band).
pub(crate) fn nvd_findings() -> Vec<Finding> {
    nvd_records()
        .into_iter()
        .map(|r| {
            let cvss = r.cvss.as_ref().map(|(score, _)| *score);
            Finding {
                id: r.cve.clone(),
                aliases: Vec::new(),
                package_name: "coreutils".into(),
                package_version: "8.32-4".into(),
                package_kind: PackageKind::Dpkg,
                source_name: None,
                fix: FixStatus::Open,
                fixed_versions: Vec::new(),
                vendor_severity: None,
                severity: Severity::rate(None, cvss),
                cvss,
                cvss_vector: r.cvss.as_ref().map(|(_, vector)| vector.clone()),
                cvss_source: r.cvss.as_ref().map(|_| "nvd".to_string()),
                sources: vec!["nvd".into()],
                published: Some(r.published),
                fix_date: None,
                link: r.link(),
                description: r.description,
                kev: false,
                epss: None,
                risk_factors: Vec::new(),
                applicable_rules: Vec::new(),
                layer_digest: None,
                package_path: String::new(),
            }
        })
        .collect()
}

/// A finding builder over a real NVD record.
pub(crate) struct F(pub(crate) Finding);

pub(crate) fn nvd(cve: &str) -> F {
    F(nvd_findings()
        .into_iter()
        .find(|f| f.id == cve)
        .unwrap_or_else(|| panic!("{cve} is not in the NVD sample")))
}

impl F {
    /// The vendor's word, rated as the matcher rates it.
    pub(crate) fn severity(mut self, word: &str) -> F {
        self.0.vendor_severity = Some(word.to_string());
        self.0.severity = Severity::rate(Some(word), self.0.cvss);
        self
    }
    pub(crate) fn fixed(mut self, version: &str, fix_date: i64) -> F {
        self.0.fix = FixStatus::Fixed(version.to_string());
        self.0.fix_date = Some(fix_date);
        self.0.risk_factors.push("Has fix".into());
        self
    }
    pub(crate) fn published(mut self, at: i64) -> F {
        self.0.published = Some(at);
        self
    }
    pub(crate) fn risk(mut self, factor: &str) -> F {
        self.0.risk_factors.push(factor.into());
        self
    }
    pub(crate) fn pkg(mut self, kind: PackageKind, name: &str, version: &str) -> F {
        self.0.package_kind = kind;
        self.0.package_name = name.into();
        self.0.package_version = version.into();
        self
    }
    pub(crate) fn build(self) -> Finding {
        self.0
    }
}

/// The three CVEs of NVD's sample as Prisma vulnerabilities of OS packages (the shape stored
/// results and the CSV carry); the severity is left to the CVSS band, as for a finding with no
/// vendor word.
pub(crate) fn nvd_vulnerabilities() -> Vec<Vulnerability> {
    nvd_records()
        .into_iter()
        .map(|r| Vulnerability {
            id: 46,
            cve: r.cve.clone(),
            cvss: r.cvss.as_ref().map_or(0.0, |(score, _)| *score),
            vec_str: r.cvss.as_ref().map(|(_, v)| v.clone()).unwrap_or_default(),
            package_name: "coreutils".into(),
            package_version: "8.32-4".into(),
            package_type: "package".into(),
            status: "open".into(),
            published: r.published,
            link: r.link(),
            description: r.description,
            ..Vulnerability::default()
        })
        .collect()
}

/// A Prisma vulnerability builder over a real NVD record.
pub(crate) struct V(pub(crate) Vulnerability);

pub(crate) fn nvd_wire(cve: &str) -> V {
    V(nvd_vulnerabilities()
        .into_iter()
        .find(|v| v.cve == cve)
        .unwrap_or_else(|| panic!("{cve} is not in the NVD sample")))
}

impl V {
    pub(crate) fn fixed(mut self, version: &str, fix_date: i64) -> V {
        self.0.status = format!("fixed in {version}");
        self.0.fix_date = fix_date;
        self.0
            .risk_factors
            .insert("Has fix".into(), Default::default());
        self
    }
    pub(crate) fn pkg(mut self, kind_id: i64, kind: &str, name: &str, version: &str) -> V {
        self.0.id = kind_id;
        self.0.package_type = kind.into();
        self.0.package_name = name.into();
        self.0.package_version = version.into();
        self
    }
    pub(crate) fn build(self) -> Vulnerability {
        self.0
    }
}

/// The apk packages of trivy's `vulnimage` integration image (a PHP image on Alpine that ships
/// an SSH server), as the analyzer would report them.
pub(crate) fn vulnimage_packages() -> Vec<Package> {
    let doc = read_json(
        "testdata/trivy/pkg/fanal/test/integration/testdata/goldens/packages/vulnimage.json.golden",
    );
    doc.as_array()
        .expect("a package list")
        .iter()
        .map(|p| Package {
            kind: PackageKind::Apk,
            name: p["Name"].as_str().unwrap().to_string(),
            version: p["Version"].as_str().unwrap().to_string(),
            source_name: None,
            source_version: None,
            arch: p["Arch"].as_str().map(str::to_string),
            module: None,
            path: "lib/apk/db/installed".into(),
            purl: None,
            license: None,
            layer_digest: None,
        })
        .collect()
}
