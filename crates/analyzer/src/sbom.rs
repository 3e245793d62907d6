//! SBOM writers for an [`Inventory`]: the native JSON (the inventory itself), CycloneDX 1.5 JSON
//! and SPDX 2.3 JSON. Each package becomes one component / package with its purl, license and
//! the layer that introduced it; the OS becomes an operating-system component (CycloneDX) or a
//! package of purpose OPERATING_SYSTEM (SPDX; the JSON schema spells it with `_`).

use crowsnest_model::{Inventory, Package, PackageKind};
use serde_json::{Value, json};
use std::io::{self, Write};

/// Output formats of `crowsnest sbom`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    CycloneDx,
    Spdx,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "json" | "native" => Ok(Format::Json),
            "cyclonedx" | "cyclonedx-json" | "cdx" => Ok(Format::CycloneDx),
            "spdx" | "spdx-json" => Ok(Format::Spdx),
            _ => Err(format!("unknown SBOM format {s:?} (json, cyclonedx, spdx)")),
        }
    }
}

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

const TOOL: &str = concat!("crowsnest-", env!("CARGO_PKG_VERSION"));

/// Renders `inv` (of the image named `subject`) in `format`.
pub fn render(inv: &Inventory, subject: &str, format: Format) -> Value {
    match format {
        Format::Json => json!({ "subject": subject, "inventory": inv }),
        Format::CycloneDx => cyclonedx(inv, subject),
        Format::Spdx => spdx(inv, subject),
    }
}

/// Writes `inv` as pretty JSON in `format`, with a trailing newline.
pub fn write(inv: &Inventory, subject: &str, format: Format, mut w: impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut w, &render(inv, subject, format))?;
    w.write_all(b"\n")
}

fn kind_name(k: PackageKind) -> &'static str {
    match k {
        PackageKind::Dpkg => "dpkg",
        PackageKind::Apk => "apk",
        PackageKind::Rpm => "rpm",
        PackageKind::Python => "python",
        PackageKind::Npm => "npm",
        PackageKind::Go => "go",
        PackageKind::GoStdlib => "go-stdlib",
        PackageKind::Java => "java",
        PackageKind::Cargo => "cargo",
        PackageKind::Gem => "gem",
        PackageKind::Composer => "composer",
        PackageKind::Nuget => "nuget",
    }
}

fn ref_id(i: usize, p: &Package) -> String {
    format!(
        "{}-{}",
        i + 1,
        p.purl
            .clone()
            .unwrap_or_else(|| format!("{}:{}@{}", kind_name(p.kind), p.name, p.version))
    )
}

fn cyclonedx(inv: &Inventory, subject: &str) -> Value {
    let mut components: Vec<Value> = Vec::new();
    if let Some(os) = &inv.os {
        components.push(json!({
            "type": "operating-system",
            "bom-ref": "os",
            "name": os.id,
            "version": os.version_id,
            "description": os.pretty_name,
        }));
    }
    for (i, p) in inv.packages.iter().enumerate() {
        let mut c = json!({
            "type": "library",
            "bom-ref": ref_id(i, p),
            "name": p.name,
            "version": p.version,
        });
        if let Some(purl) = &p.purl {
            c["purl"] = json!(purl);
        }
        if let Some(l) = &p.license {
            c["licenses"] = json!([{ "license": { "name": l } }]);
        }
        let mut props = vec![
            json!({"name": "crowsnest:package:type", "value": kind_name(p.kind)}),
            json!({"name": "crowsnest:location:path", "value": p.path}),
        ];
        for (k, v) in [
            ("layer_digest", &p.layer_digest),
            ("source_name", &p.source_name),
            ("source_version", &p.source_version),
            ("arch", &p.arch),
            ("module", &p.module),
        ] {
            if let Some(v) = v {
                props.push(json!({"name": format!("crowsnest:{k}"), "value": v}));
            }
        }
        c["properties"] = Value::Array(props);
        components.push(c);
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "version": 1,
        "metadata": {
            "timestamp": now(),
            "tools": { "components": [{ "type": "application", "name": "crowsnest", "version": env!("CARGO_PKG_VERSION") }] },
            "component": { "type": "container", "bom-ref": "image", "name": subject },
        },
        "components": components,
    })
}

/// SPDX identifiers allow only letters, digits, `.` and `-`.
fn spdx_id(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn spdx(inv: &Inventory, subject: &str) -> Value {
    let mut packages = vec![json!({
        "name": subject,
        "SPDXID": "SPDXRef-Image",
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "CONTAINER",
    })];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": "SPDXRef-Image",
    })];
    if let Some(os) = &inv.os {
        packages.push(json!({
            "name": os.id,
            "SPDXID": "SPDXRef-OperatingSystem",
            "versionInfo": os.version_id,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "primaryPackagePurpose": "OPERATING_SYSTEM",
        }));
        relationships.push(json!({"spdxElementId": "SPDXRef-Image", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-OperatingSystem"}));
    }
    for (i, p) in inv.packages.iter().enumerate() {
        let id = format!(
            "SPDXRef-Package-{}-{}-{}",
            kind_name(p.kind),
            i + 1,
            spdx_id(&p.name)
        );
        let mut pkg = json!({
            "name": p.name,
            "SPDXID": id,
            "versionInfo": p.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "licenseConcluded": "NOASSERTION",
            "licenseDeclared": "NOASSERTION",
            "copyrightText": "NOASSERTION",
            "sourceInfo": format!("found in {}{}", p.path, p.layer_digest.as_ref().map(|d| format!(" (layer {d})")).unwrap_or_default()),
            "primaryPackagePurpose": "LIBRARY",
        });
        if let Some(l) = &p.license {
            // Free-text licence names are not SPDX expressions; they go in the comment.
            pkg["licenseComments"] = json!(format!("declared: {l}"));
        }
        if let Some(purl) = &p.purl {
            pkg["externalRefs"] = json!([{ "referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": purl }]);
        }
        packages.push(pkg);
        relationships.push(json!({"spdxElementId": "SPDXRef-Image", "relationshipType": "CONTAINS", "relatedSpdxElement": id}));
    }
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": subject,
        "documentNamespace": format!("urn:uuid:{}", uuid::Uuid::new_v4()),
        "creationInfo": { "created": now(), "creators": [format!("Tool: {TOOL}")] },
        "packages": packages,
        "relationships": relationships,
    })
}
