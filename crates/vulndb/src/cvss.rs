//! CVSS v3.x base scores computed from vectors (several feeds publish only the vector), and
//! metric look-ups for the risk factors. v2 and v4 vectors are kept as text without a score.

/// The value of `metric` (`AV`, `AC`, `A`…) in a CVSS vector.
pub(crate) fn metric<'a>(vector: &'a str, metric: &str) -> Option<&'a str> {
    vector.split('/').find_map(|part| {
        let (k, v) = part.split_once(':')?;
        (k == metric).then_some(v)
    })
}

/// The metrics the risk factors read, found in one pass over the vector (a finding's risk
/// factors are computed for every finding, so this is on the matcher's hot path). Each is the
/// first occurrence, as [`metric`] returns it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RiskMetrics<'a> {
    pub(crate) av: Option<&'a str>,
    pub(crate) ac: Option<&'a str>,
    /// Availability impact: v3's `A`, else v4's `VA`.
    pub(crate) availability: Option<&'a str>,
}

pub(crate) fn risk_metrics(vector: &str) -> RiskMetrics<'_> {
    let (mut av, mut ac, mut a, mut va) = (None, None, None, None);
    let bytes = vector.as_bytes();
    let mut start = 0;
    while start <= bytes.len() {
        // Byte scanning: `/` and `:` are ASCII, so every cut is on a character boundary.
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'/')
            .map_or(bytes.len(), |i| start + i);
        let part = &vector[start..end];
        start = end + 1;
        let Some(colon) = part.bytes().position(|b| b == b':') else {
            continue;
        };
        let (k, v) = (&part[..colon], &part[colon + 1..]);
        let slot = match k {
            "AV" => &mut av,
            "AC" => &mut ac,
            "A" => &mut a,
            "VA" => &mut va,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(v);
        }
    }
    RiskMetrics {
        av,
        ac,
        availability: a.or(va),
    }
}

/// Base score of a `CVSS:3.0/…` or `CVSS:3.1/…` vector; `None` for other versions or a
/// vector missing a base metric.
pub(crate) fn v3_base_score(vector: &str) -> Option<f64> {
    if !(vector.starts_with("CVSS:3.0/") || vector.starts_with("CVSS:3.1/")) {
        return None;
    }
    let changed = match metric(vector, "S")? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match metric(vector, "AV")? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match metric(vector, "AC")? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (metric(vector, "PR")?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match metric(vector, "UI")? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |m: &str| -> Option<f64> {
        match metric(vector, m)? {
            "H" => Some(0.56),
            "L" => Some(0.22),
            "N" => Some(0.0),
            _ => None,
        }
    };
    let (c, i, a) = (cia("C")?, cia("I")?, cia("A")?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02_f64).powi(15)
    } else {
        6.42 * iss
    };
    if impact <= 0.0 {
        return Some(0.0);
    }
    let exploitability = 8.22 * av * ac * pr * ui;
    let raw = if changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    Some(round_up(raw))
}

/// CVSS v3.1 "round up to one decimal", done on integers so 4.000000001 stays 4.0.
fn round_up(x: f64) -> f64 {
    let int = (x * 100_000.0).round() as i64;
    if int % 10_000 == 0 {
        int as f64 / 100_000.0
    } else {
        ((int / 10_000) + 1) as f64 / 10.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_nvd() {
        // Pairs as NVD publishes them (samples/nvd-api2 and the Ubuntu tracker's `[6.5 MEDIUM]`).
        let cases = [
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N", 4.6),
            ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:C/C:N/I:H/A:N", 6.5),
            ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:N/A:N", 6.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
            ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5),
            ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        ];
        for (v, want) in cases {
            assert_eq!(v3_base_score(v), Some(want), "{v}");
        }
        assert_eq!(v3_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P"), None);
        assert_eq!(v3_base_score("CVSS:3.1/AV:X/AC:L"), None);
        assert_eq!(metric("CVSS:3.1/AV:N/AC:L", "AC"), Some("L"));
    }

    #[test]
    fn risk_metrics_agree_with_metric() {
        for v in [
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:L/SC:N/SI:N/SA:N",
            "AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "CVSS:3.1/AV:L/AV:N/A:N/VA:H",
            "",
            "garbage",
            "CVSS:3.1/AV/AC:",
        ] {
            let m = risk_metrics(v);
            assert_eq!(m.av, metric(v, "AV"), "{v}");
            assert_eq!(m.ac, metric(v, "AC"), "{v}");
            assert_eq!(
                m.availability,
                metric(v, "A").or_else(|| metric(v, "VA")),
                "{v}"
            );
        }
    }
}
