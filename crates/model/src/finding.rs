//! A vulnerability finding: one advisory affecting one installed package, with the evidence.
//!
//! This module also holds Crowsnest's one severity rule, [`Severity::rate`]: the vendor's word
//! when it names a level, else the CVSS score's band. The matcher rates findings with it, and
//! whatever counts severities of Prisma-shaped results (the scanner's distributions) calls it
//! too, so a finding never gets two different severities.

use serde::{Deserialize, Serialize};

/// Normalised severity (api-reference §5: vendor words map onto these four, plus unknown).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Maps a vendor's severity word onto the normalised scale (Prisma's cvss-scoring table).
    pub fn from_vendor(word: &str) -> Option<Severity> {
        match word.trim().to_ascii_lowercase().as_str() {
            "unimportant" | "unassigned" | "negligible" | "not yet assigned" | "low" => {
                Some(Severity::Low)
            }
            "medium" | "moderate" => Some(Severity::Medium),
            "high" | "important" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// The severity rule: the vendor's word when it maps onto the scale ([`Severity::from_vendor`]),
    /// else the band of the CVSS score ([`Severity::from_cvss`]), else unknown. A vendor word
    /// that names no level (`unknown`, `not set`) defers to the score rather than hiding it.
    pub fn rate(vendor: Option<&str>, cvss: Option<f64>) -> Severity {
        vendor
            .and_then(Severity::from_vendor)
            .or_else(|| cvss.map(Severity::from_cvss))
            .unwrap_or(Severity::Unknown)
    }

    /// CVSS score bands used when no vendor word is known.
    pub fn from_cvss(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Unknown
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// The vendor's fix status for a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", content = "version", rename_all = "snake_case")]
pub enum FixStatus {
    /// Fixed in this version (the first fixed version that applies).
    Fixed(String),
    /// Affected, no fix yet.
    Open,
    WillNotFix,
    Deferred,
}

impl FixStatus {
    /// The Prisma `status` string (`fixed in 1.2.3`, `open`, `will not fix`, `deferred`).
    pub fn prisma_status(&self) -> String {
        match self {
            FixStatus::Fixed(v) => format!("fixed in {v}"),
            FixStatus::Open => "open".to_string(),
            FixStatus::WillNotFix => "will not fix".to_string(),
            FixStatus::Deferred => "deferred".to_string(),
        }
    }
}

/// One advisory affecting one package of one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// CVE id when there is one, else the advisory id (GHSA, RUSTSEC, GO, ALSA, DSA…).
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub package_name: String,
    pub package_version: String,
    pub package_kind: crate::PackageKind,
    /// Source package the feed matched on, when that differs from the binary name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    pub fix: FixStatus,
    /// Every version that fixes it for this package, the one in `fix` first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
    /// The vendor's own severity word (`high`, `important`, `unimportant`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor_severity: Option<String>,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_vector: Option<String>,
    /// Who published `cvss`/`cvss_vector` (`nvd`, `ubuntu`, `rustsec`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss_source: Option<String>,
    /// Which feed each piece came from (`debian`, `nvd`, `osv:PyPI`…).
    #[serde(default)]
    pub sources: Vec<String>,
    /// Unix seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_date: Option<i64>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub link: String,
    #[serde(default)]
    pub kev: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub epss: Option<f64>,
    /// Prisma risk factor names (`Has fix`, `Critical severity`, …).
    #[serde(default)]
    pub risk_factors: Vec<String>,
    /// Human-readable affected-range rules that matched (`<1.1.20-r5`).
    #[serde(default)]
    pub applicable_rules: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer_digest: Option<String>,
    /// Path of the package (for language packages).
    #[serde(default)]
    pub package_path: String,
}

impl Finding {
    /// The severity word results show (Prisma's `severity`): the vendor's own word when the feed
    /// gave one, so users see the distribution's wording, else the normalised level.
    pub fn severity_word(&self) -> &str {
        self.vendor_severity
            .as_deref()
            .unwrap_or(self.severity.as_str())
    }

    /// The package results group the finding under: the source package the feed matched on
    /// when there is one, else the installed package.
    pub fn reported_package(&self) -> &str {
        self.source_name.as_deref().unwrap_or(&self.package_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendor_word_wins_over_the_score_and_an_unknown_word_defers_to_it() {
        assert_eq!(
            Severity::rate(Some("unimportant"), Some(9.8)),
            Severity::Low
        );
        assert_eq!(Severity::rate(Some("Important"), None), Severity::High);
        assert_eq!(Severity::rate(Some("not set"), Some(7.5)), Severity::High);
        assert_eq!(Severity::rate(None, Some(4.0)), Severity::Medium);
        assert_eq!(Severity::rate(None, Some(0.0)), Severity::Unknown);
        assert_eq!(Severity::rate(None, None), Severity::Unknown);
    }
}
