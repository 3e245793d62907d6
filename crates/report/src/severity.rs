//! Severity words on the command line and in tables: Trivy's upper-case names for the model's
//! normalised scale.

use crate::error::ReportError;
use crowsnest_model::Severity;
use std::collections::BTreeSet;

/// The upper-case label (`CRITICAL`, …, `UNKNOWN`).
pub fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Unknown => "UNKNOWN",
        Severity::Low => "LOW",
        Severity::Medium => "MEDIUM",
        Severity::High => "HIGH",
        Severity::Critical => "CRITICAL",
    }
}

/// Parses `LOW,MEDIUM,…` (any case, spaces allowed).
pub fn parse_severities(list: &str) -> Result<BTreeSet<Severity>, ReportError> {
    let mut out = BTreeSet::new();
    for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
        let s = match word.to_ascii_uppercase().as_str() {
            "UNKNOWN" => Severity::Unknown,
            "LOW" => Severity::Low,
            "MEDIUM" => Severity::Medium,
            "HIGH" => Severity::High,
            "CRITICAL" => Severity::Critical,
            _ => return Err(ReportError::Severity(word.to_string())),
        };
        out.insert(s);
    }
    if out.is_empty() {
        return Err(ReportError::Severity(list.to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lists_and_rejects_unknown_words() {
        let s = parse_severities("critical, HIGH").unwrap();
        assert_eq!(
            s.into_iter().collect::<Vec<_>>(),
            vec![Severity::High, Severity::Critical]
        );
        assert!(matches!(
            parse_severities("HIGH,severe"),
            Err(ReportError::Severity(w)) if w == "severe"
        ));
        assert!(parse_severities(" , ").is_err());
    }
}
