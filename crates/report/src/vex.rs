//! VEX documents: a supplier's statements that a vulnerability does or does not affect a
//! product. Two formats are read, recognised by their content rather than the file name:
//!
//! - **OpenVEX** (`@context` starting with `https://openvex.dev/ns`): `statements[]` with
//!   `vulnerability` (an object with `name` and `aliases`, or a bare id in v0.0.x),
//!   `products[]` (objects with `@id`, `identifiers.purl` and `subcomponents[]`, or bare ids in
//!   v0.0.x, which also has statement-level `subcomponents`), and `status`.
//! - **CycloneDX VEX** (`bomFormat: CycloneDX`): `vulnerabilities[]` with `id`, `analysis.state`
//!   and `affects[].ref`, where a ref is a purl, a BOM-Link ending in `#<purl>`, or the
//!   `bom-ref` of one of the document's own components (resolved to its purl).
//!
//! A statement's package purls restrict it to those packages; a statement that names only the
//! image (`pkg:oci/…`, `pkg:docker/…`) or nothing applies to every package of the scanned image.

use crate::error::ReportError;
use crate::purl::{self, PurlKey};
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What a statement does to the findings it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VexEffect {
    /// Remove the finding (`not_affected`, `fixed`; CycloneDX `not_affected`, `false_positive`,
    /// `resolved`, `resolved_with_pedigree`).
    Suppress,
    /// Keep it and show the state (`affected`, `under_investigation`; `exploitable`, `in_triage`).
    Annotate,
}

/// One statement, reduced to what matching needs.
#[derive(Debug, Clone)]
pub struct VexStatement {
    /// The vulnerability id and its aliases.
    pub ids: Vec<String>,
    /// The state as the document words it (`not_affected`, `in_triage`, …).
    pub status: String,
    pub justification: Option<String>,
    pub effect: VexEffect,
    /// Package purls this statement is limited to; empty means every package.
    pub(crate) packages: Vec<PurlKey>,
}

/// The statements of one VEX file.
#[derive(Debug, Clone)]
pub struct VexDocument {
    pub path: PathBuf,
    pub statements: Vec<VexStatement>,
}

impl VexStatement {
    /// Does this statement speak about `id` (or an alias of the finding) in package `pkg_purl`?
    pub(crate) fn covers(&self, ids: &[&str], pkg_purl: Option<&PurlKey>) -> bool {
        let named = self
            .ids
            .iter()
            .any(|s| ids.iter().any(|i| i.eq_ignore_ascii_case(s)));
        if !named {
            return false;
        }
        if self.packages.is_empty() {
            return true;
        }
        pkg_purl.is_some_and(|p| self.packages.iter().any(|s| s.covers(p)))
    }
}

impl VexDocument {
    /// Reads and parses a VEX file.
    pub fn load(path: &Path) -> Result<VexDocument, ReportError> {
        let bytes = std::fs::read(path).map_err(|source| ReportError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        VexDocument::parse(path, &bytes)
    }

    /// Parses VEX JSON; `path` is only used in error messages.
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<VexDocument, ReportError> {
        let bad = |message: String| ReportError::Vex {
            path: path.to_path_buf(),
            message,
        };
        let doc: Value =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        let statements = if doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
            cyclonedx(&doc).map_err(bad)?
        } else if doc
            .get("@context")
            .and_then(Value::as_str)
            .is_some_and(|c| c.starts_with("https://openvex.dev/ns"))
        {
            openvex(&doc).map_err(bad)?
        } else {
            return Err(bad(
                "neither an OpenVEX document (@context https://openvex.dev/ns…) nor CycloneDX VEX (bomFormat CycloneDX)".into(),
            ));
        };
        Ok(VexDocument {
            path: path.to_path_buf(),
            statements,
        })
    }
}

/// Package purls among `ids`; image purls and non-purl ids are dropped (they name the image).
fn package_purls<'a>(ids: impl IntoIterator<Item = &'a str>) -> Vec<PurlKey> {
    ids.into_iter()
        .filter_map(purl::parse)
        .filter(|p| !p.is_image())
        .collect()
}

fn openvex(doc: &Value) -> Result<Vec<VexStatement>, String> {
    let list = doc
        .get("statements")
        .and_then(Value::as_array)
        .ok_or("OpenVEX document without a statements array")?;
    let mut out = Vec::with_capacity(list.len());
    for (i, s) in list.iter().enumerate() {
        let at = |m: &str| format!("statement {}: {m}", i + 1);
        let mut ids = Vec::new();
        match s.get("vulnerability") {
            Some(Value::String(id)) => ids.push(id.clone()),
            Some(Value::Object(v)) => {
                for key in ["name", "@id"] {
                    if let Some(id) = v.get(key).and_then(Value::as_str) {
                        ids.push(id.to_string());
                    }
                }
                if let Some(aliases) = v.get("aliases").and_then(Value::as_array) {
                    ids.extend(aliases.iter().filter_map(Value::as_str).map(str::to_string));
                }
            }
            _ => return Err(at("no vulnerability")),
        }
        ids.retain(|id| !id.trim().is_empty());
        if ids.is_empty() {
            return Err(at("the vulnerability has no name"));
        }
        let status = s
            .get("status")
            .and_then(Value::as_str)
            .ok_or_else(|| at("no status"))?
            .to_string();
        let effect = match status.as_str() {
            "not_affected" | "fixed" => VexEffect::Suppress,
            "affected" | "under_investigation" => VexEffect::Annotate,
            other => return Err(at(&format!("unknown status {other:?}"))),
        };
        let mut names: Vec<String> = Vec::new();
        let push_ids = |v: &Value, names: &mut Vec<String>| match v {
            Value::String(id) => names.push(id.clone()),
            Value::Object(o) => {
                if let Some(id) = o.get("@id").and_then(Value::as_str) {
                    names.push(id.to_string());
                }
                if let Some(p) = o
                    .get("identifiers")
                    .and_then(|i| i.get("purl"))
                    .and_then(Value::as_str)
                {
                    names.push(p.to_string());
                }
            }
            _ => {}
        };
        for key in ["products", "subcomponents"] {
            for p in s.get(key).and_then(Value::as_array).into_iter().flatten() {
                push_ids(p, &mut names);
                for sub in p
                    .get("subcomponents")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    push_ids(sub, &mut names);
                }
            }
        }
        out.push(VexStatement {
            ids,
            status,
            justification: s
                .get("justification")
                .and_then(Value::as_str)
                .map(str::to_string),
            effect,
            packages: package_purls(names.iter().map(String::as_str)),
        });
    }
    Ok(out)
}

fn cyclonedx(doc: &Value) -> Result<Vec<VexStatement>, String> {
    let mut by_ref: HashMap<&str, &str> = HashMap::new();
    let mut stack: Vec<&Value> = doc
        .get("components")
        .and_then(Value::as_array)
        .map(|c| c.iter().collect())
        .unwrap_or_default();
    if let Some(c) = doc.get("metadata").and_then(|m| m.get("component")) {
        stack.push(c);
    }
    while let Some(c) = stack.pop() {
        if let (Some(r), Some(p)) = (
            c.get("bom-ref").and_then(Value::as_str),
            c.get("purl").and_then(Value::as_str),
        ) {
            by_ref.insert(r, p);
        }
        stack.extend(
            c.get("components")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    }
    let list = doc
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or("CycloneDX document without a vulnerabilities array")?;
    let mut out = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let at = |m: &str| format!("vulnerabilities[{i}]: {m}");
        let id = v
            .get("id")
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| at("no id"))?;
        let mut ids = vec![id.to_string()];
        for r in v
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(alias) = r.get("id").and_then(Value::as_str) {
                ids.push(alias.to_string());
            }
        }
        let Some(analysis) = v.get("analysis") else {
            // A vulnerability without analysis states nothing; a plain BOM lists many such.
            continue;
        };
        let state = analysis
            .get("state")
            .and_then(Value::as_str)
            .ok_or_else(|| at("analysis without a state"))?
            .to_string();
        let effect = match state.as_str() {
            "not_affected" | "false_positive" | "resolved" | "resolved_with_pedigree" => {
                VexEffect::Suppress
            }
            "exploitable" | "in_triage" => VexEffect::Annotate,
            other => return Err(at(&format!("unknown analysis state {other:?}"))),
        };
        let mut refs: Vec<&str> = Vec::new();
        for a in v
            .get("affects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(r) = a.get("ref").and_then(Value::as_str) else {
                return Err(at("an affects entry without ref"));
            };
            if r.starts_with("pkg:") {
                refs.push(r);
            } else if let Some((_, p)) = r.split_once("#pkg:") {
                // A BOM-Link to a component by purl: keep the purl part.
                refs.push(&r[r.len() - p.len() - 4..]);
            } else if let Some(p) = by_ref.get(r) {
                refs.push(p);
            } else {
                return Err(at(&format!(
                    "affects ref {r:?} is neither a purl nor a bom-ref with a purl in this document"
                )));
            }
        }
        out.push(VexStatement {
            ids,
            status: state,
            justification: analysis
                .get("justification")
                .and_then(Value::as_str)
                .map(str::to_string),
            effect,
            packages: package_purls(refs),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<VexDocument, ReportError> {
        VexDocument::parse(Path::new("t.json"), s.as_bytes())
    }

    #[test]
    fn reads_openvex_v02_statements() {
        let d = parse(r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[
            {"vulnerability":{"name":"CVE-2020-1967","aliases":["GHSA-x"]},
             "products":[{"@id":"pkg:oci/alpine","subcomponents":[{"@id":"pkg:apk/alpine/libssl1.1"}]}],
             "status":"not_affected","justification":"vulnerable_code_not_in_execute_path"},
            {"vulnerability":{"name":"CVE-2021-1"},"products":[{"@id":"pkg:oci/x"}],"status":"under_investigation"}]}"#).unwrap();
        let s = &d.statements[0];
        assert_eq!(s.ids, vec!["CVE-2020-1967", "GHSA-x"]);
        assert_eq!(s.effect, VexEffect::Suppress);
        assert_eq!(
            s.packages.len(),
            1,
            "the image purl is not a package restriction"
        );
        let ssl = purl::parse("pkg:apk/alpine/libssl1.1@1.1.1d-r2").unwrap();
        let other = purl::parse("pkg:apk/alpine/musl@1").unwrap();
        assert!(s.covers(&["CVE-2020-1967"], Some(&ssl)));
        assert!(!s.covers(&["CVE-2020-1967"], Some(&other)));
        assert!(!s.covers(&["CVE-1999-0001"], Some(&ssl)));
        assert_eq!(d.statements[1].effect, VexEffect::Annotate);
        assert!(d.statements[1].covers(&["cve-2021-1"], None));
    }

    #[test]
    fn reads_openvex_v001_bare_ids() {
        let d = parse(
            r#"{"@context":"https://openvex.dev/ns","statements":[
            {"vulnerability":"CVE-1","products":["pkg:deb/debian/openssl"],"status":"fixed"}]}"#,
        )
        .unwrap();
        assert_eq!(d.statements[0].packages.len(), 1);
        assert_eq!(d.statements[0].effect, VexEffect::Suppress);
    }

    #[test]
    fn reads_cyclonedx_vex_with_bom_refs() {
        let d = parse(r#"{"bomFormat":"CycloneDX","specVersion":"1.5",
            "components":[{"bom-ref":"c1","type":"library","name":"musl","purl":"pkg:apk/alpine/musl@1.1.22-r3"}],
            "vulnerabilities":[
              {"id":"CVE-2","analysis":{"state":"false_positive"},"affects":[{"ref":"c1"}]},
              {"id":"CVE-3","analysis":{"state":"in_triage"},"affects":[{"ref":"urn:cdx:1/1#pkg:apk/alpine/zlib"}]},
              {"id":"CVE-4","affects":[{"ref":"c1"}]}]}"#).unwrap();
        assert_eq!(d.statements.len(), 2, "no analysis, no statement");
        let musl = purl::parse("pkg:apk/alpine/musl@1.1.22-r3").unwrap();
        assert!(d.statements[0].covers(&["CVE-2"], Some(&musl)));
        assert_eq!(d.statements[1].packages[0].name, "zlib");
        assert_eq!(d.statements[1].effect, VexEffect::Annotate);
    }

    #[test]
    fn malformed_documents_are_typed_errors() {
        for bad in [
            "",
            "[]",
            r#"{"statements":[]}"#,
            r#"{"@context":"https://openvex.dev/ns/v0.2.0"}"#,
            r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"status":"fixed"}]}"#,
            r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-1"},"status":"maybe"}]}"#,
            r#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":""},"status":"fixed"}]}"#,
            r#"{"bomFormat":"CycloneDX","vulnerabilities":[{"analysis":{"state":"not_affected"}}]}"#,
            r#"{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"nope"}}]}"#,
            r#"{"bomFormat":"CycloneDX","vulnerabilities":[{"id":"CVE-1","analysis":{"state":"not_affected"},"affects":[{"ref":"missing"}]}]}"#,
        ] {
            assert!(matches!(parse(bad), Err(ReportError::Vex { .. })), "{bad}");
        }
    }
}
