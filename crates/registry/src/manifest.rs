//! Manifest formats: parsing the bytes a registry returns into either an image manifest (Docker
//! schema 2, OCI, Docker schema 1) or an index (OCI index, Docker manifest list), computing the
//! digest the registry would give those bytes, and choosing an index entry for a platform.
//!
//! Parsing is pure (bytes in, typed value out) so it is unit-tested on real documents; the client
//! fetches and verifies, then calls [`parse_manifest`].

use crate::artifact::{ArtifactKind, classify_manifest};
use crate::{Digest, RegistryError};
use base64::Engine as _;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_SCHEMA1: &str = "application/vnd.docker.distribution.manifest.v1+json";
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// The `Accept` header for manifest requests. Every type must be listed: distribution 2.8
/// answers 404 for an OCI manifest or index that is not accepted, and silently rewrites a Docker
/// schema 2 manifest to schema 1 (with another digest) when schema 2 is missing.
pub(crate) const MANIFEST_ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.v1+prettyjws;q=0.5, \
application/vnd.docker.distribution.manifest.v1+json;q=0.5";

/// A content descriptor: what a manifest says about a config, a layer or an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    #[serde(default)]
    pub media_type: String,
    pub digest: Digest,
    /// Always present in schema 2 and OCI; Docker schema 1 layers carry no size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An index entry's platform as the index states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    #[serde(default)]
    pub os: String,
    #[serde(default)]
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

/// The platform a scan wants, from the specification's `os` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TargetPlatform {
    #[default]
    LinuxAmd64,
    LinuxArm64,
    WindowsAmd64,
}

impl TargetPlatform {
    /// `linux` (or empty) → linux/amd64, `linuxARM64` → linux/arm64, `windows` → windows/amd64.
    pub fn from_spec_os(os: &str) -> Result<TargetPlatform, RegistryError> {
        match os {
            "" | "linux" => Ok(TargetPlatform::LinuxAmd64),
            "linuxARM64" => Ok(TargetPlatform::LinuxArm64),
            "windows" => Ok(TargetPlatform::WindowsAmd64),
            other => Err(RegistryError::Spec(format!(
                "unknown os {other:?}; expected linux, linuxARM64 or windows"
            ))),
        }
    }

    fn os_arch(self) -> (&'static str, &'static str) {
        match self {
            TargetPlatform::LinuxAmd64 => ("linux", "amd64"),
            TargetPlatform::LinuxArm64 => ("linux", "arm64"),
            TargetPlatform::WindowsAmd64 => ("windows", "amd64"),
        }
    }

    /// arm64 entries are written with variant `v8` or none; any variant is accepted because
    /// amd64 and arm64 have no incompatible variants in practice.
    pub fn matches(self, p: &Platform) -> bool {
        let (os, arch) = self.os_arch();
        p.os.eq_ignore_ascii_case(os) && p.architecture.eq_ignore_ascii_case(arch)
    }
}

impl fmt::Display for TargetPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (os, arch) = self.os_arch();
        write!(f, "{os}/{arch}")
    }
}

/// A parsed manifest document.
#[derive(Debug, Clone, PartialEq)]
pub enum Manifest {
    Image(ImageManifest),
    Index(Index),
}

/// A single-platform image: config plus layers, bottom layer first.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageManifest {
    pub media_type: String,
    /// `None` for Docker schema 1, which has no config blob.
    pub config: Option<Descriptor>,
    pub layers: Vec<Descriptor>,
    /// Schema 1 only: the `created` of the top `history[].v1Compatibility` entry.
    pub created: Option<Timestamp>,
    /// Set when the manifest holds a Helm chart, signature, SBOM or other non-image artifact.
    pub artifact: Option<ArtifactKind>,
}

/// A multi-platform index or manifest list.
#[derive(Debug, Clone, PartialEq)]
pub struct Index {
    pub media_type: String,
    pub manifests: Vec<Descriptor>,
}

impl Index {
    /// The entry for `target`. Entries without a platform or marked as attestations
    /// (`unknown/unknown`) never match.
    pub fn select(&self, target: TargetPlatform) -> Option<&Descriptor> {
        self.manifests
            .iter()
            .find(|d| d.platform.as_ref().is_some_and(|p| target.matches(p)))
    }

    /// "linux/amd64, linux/arm64/v8" for error messages.
    pub fn platforms(&self) -> String {
        let v: Vec<String> = self
            .manifests
            .iter()
            .map(|d| {
                d.platform
                    .as_ref()
                    .map_or_else(|| "?".to_string(), |p| p.to_string())
            })
            .collect();
        if v.is_empty() {
            "no entries".to_string()
        } else {
            v.join(", ")
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Wire {
    schema_version: Option<i64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    artifact_type: Option<String>,
    config: Option<Descriptor>,
    layers: Option<Vec<Descriptor>>,
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    fs_layers: Option<Vec<FsLayer>>,
    #[serde(default)]
    history: Option<Vec<V1History>>,
    #[serde(default)]
    signatures: Option<Vec<Signature>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FsLayer {
    blob_sum: Digest,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct V1History {
    v1_compatibility: String,
}

#[derive(Deserialize)]
struct Signature {
    protected: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Protected {
    format_length: usize,
    format_tail: String,
}

#[derive(Deserialize)]
struct V1Compat {
    created: Option<String>,
}

/// Parses manifest bytes. `content_type` is the response's `Content-Type`, used only when the
/// document has no `mediaType` of its own. Returns the manifest and the digest the registry
/// computes for these bytes (for signed schema 1, the digest of the payload without signatures).
pub fn parse_manifest(
    what: &str,
    bytes: &[u8],
    content_type: Option<&str>,
) -> Result<(Manifest, Digest), RegistryError> {
    let wire: Wire = serde_json::from_slice(bytes)
        .map_err(|e| RegistryError::malformed(what, format!("not a JSON manifest: {e}")))?;
    let content_type = content_type
        .map(|c| c.split(';').next().unwrap_or("").trim().to_string())
        .filter(|c| c.starts_with("application/vnd."));
    if wire.schema_version == Some(1) || wire.fs_layers.is_some() {
        return parse_schema1(what, bytes, wire);
    }
    let media_type = wire.media_type.clone().or(content_type).unwrap_or_else(|| {
        // OCI made mediaType optional; the shape tells index from image.
        if wire.manifests.is_some() {
            OCI_INDEX.to_string()
        } else {
            OCI_MANIFEST.to_string()
        }
    });
    let digest = Digest::of(bytes);
    match media_type.as_str() {
        OCI_INDEX | DOCKER_LIST => {
            let manifests = wire
                .manifests
                .ok_or_else(|| RegistryError::malformed(what, "index without \"manifests\""))?;
            Ok((
                Manifest::Index(Index {
                    media_type,
                    manifests,
                }),
                digest,
            ))
        }
        OCI_MANIFEST | DOCKER_MANIFEST => {
            let config = wire
                .config
                .ok_or_else(|| RegistryError::malformed(what, "manifest without \"config\""))?;
            let layers = wire.layers.unwrap_or_default();
            for d in std::iter::once(&config).chain(&layers) {
                if d.size.is_none() {
                    return Err(RegistryError::malformed(
                        what,
                        format!("descriptor {} has no size", d.digest),
                    ));
                }
            }
            let artifact = classify_manifest(
                wire.artifact_type.as_deref(),
                Some(&config.media_type),
                layers.iter().map(|l| l.media_type.as_str()),
            );
            Ok((
                Manifest::Image(ImageManifest {
                    media_type,
                    config: Some(config),
                    layers,
                    created: None,
                    artifact,
                }),
                digest,
            ))
        }
        other => Err(RegistryError::UnsupportedMediaType {
            what: what.to_string(),
            media_type: other.to_string(),
        }),
    }
}

fn parse_schema1(
    what: &str,
    bytes: &[u8],
    wire: Wire,
) -> Result<(Manifest, Digest), RegistryError> {
    let fs_layers = wire
        .fs_layers
        .ok_or_else(|| RegistryError::malformed(what, "schema 1 manifest without fsLayers"))?;
    let history = wire.history.unwrap_or_default();
    // history[0] describes the top layer, and its v1Compatibility is the image's own config.
    let created = match history.first() {
        Some(h) => {
            let compat: V1Compat = serde_json::from_str(&h.v1_compatibility).map_err(|e| {
                RegistryError::malformed(what, format!("history[0].v1Compatibility: {e}"))
            })?;
            compat.created.as_deref().and_then(parse_created)
        }
        None => None,
    };
    let (media_type, digest) = match wire.signatures.as_deref() {
        Some([first, ..]) => (
            DOCKER_SCHEMA1_SIGNED.to_string(),
            Digest::of(&schema1_payload(what, bytes, &first.protected)?),
        ),
        _ => (DOCKER_SCHEMA1.to_string(), Digest::of(bytes)),
    };
    // fsLayers lists the top layer first; everything else here is bottom-first.
    let layers = fs_layers
        .into_iter()
        .rev()
        .map(|l| Descriptor {
            media_type: "application/vnd.docker.image.rootfs.diff.tar.gzip".to_string(),
            digest: l.blob_sum,
            size: None,
            platform: None,
            annotations: BTreeMap::new(),
        })
        .collect();
    Ok((
        Manifest::Image(ImageManifest {
            media_type,
            config: None,
            layers,
            created,
            artifact: None,
        }),
        digest,
    ))
}

/// The bytes a signed schema 1 manifest's digest covers: the document cut at `formatLength`
/// (which drops the `signatures` member) with `formatTail` (the closing brace) put back, both
/// taken from the JWS protected header.
fn schema1_payload(what: &str, bytes: &[u8], protected: &str) -> Result<Vec<u8>, RegistryError> {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = b64
        .decode(protected.trim_end_matches('='))
        .map_err(|e| RegistryError::malformed(what, format!("signature header: {e}")))?;
    let p: Protected = serde_json::from_slice(&header)
        .map_err(|e| RegistryError::malformed(what, format!("signature header: {e}")))?;
    let tail = b64
        .decode(p.format_tail.trim_end_matches('='))
        .map_err(|e| RegistryError::malformed(what, format!("formatTail: {e}")))?;
    let head = bytes.get(..p.format_length).ok_or_else(|| {
        RegistryError::malformed(what, "formatLength is beyond the end of the document")
    })?;
    let mut payload = head.to_vec();
    payload.extend_from_slice(&tail);
    Ok(payload)
}

/// RFC 3339 timestamps as images write them; anything else counts as "no date" rather than an
/// error, because a bad date must not hide an otherwise scannable image.
pub(crate) fn parse_created(s: &str) -> Option<Timestamp> {
    s.parse::<Timestamp>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_002() -> String {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/seeds");
        let entry = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("shared seeds missing at {dir}: {e}"))
            .filter_map(Result::ok)
            .find(|e| e.file_name().to_string_lossy().starts_with("002_"))
            .expect("seed 002 missing from shared/seeds");
        std::fs::read_to_string(entry.path()).unwrap()
    }

    /// The seed shows a real schema 1 response between "tag1" and the signatures' closing lines.
    #[test]
    fn schema1_from_the_seed() {
        let text = seed_002();
        let start = text
            .find("{\n\"schemaVersion\": 1")
            .expect("manifest in seed");
        let end = text[start..]
            .find("\n]\n*in the above")
            .expect("end of manifest")
            + start;
        let doc = format!("{}\n]\n}}", &text[start..end]);
        let (m, digest) = parse_manifest("seed", doc.as_bytes(), None).unwrap();
        let Manifest::Image(img) = m else {
            panic!("not an image")
        };
        assert_eq!(img.media_type, DOCKER_SCHEMA1_SIGNED);
        assert_eq!(img.layers.len(), 7);
        assert_eq!(
            img.layers[6].digest.as_str(),
            "sha256:1fdf3151d2441cbd026b76f321eb327b7c2f2081fa3ffbaf8dda8ca68c0b8eaf"
        );
        assert_eq!(
            img.created.unwrap().to_string(),
            "2023-10-11T07:24:17.335360064Z"
        );
        // The seed's whitespace was reflowed, so formatLength points elsewhere; the digest
        // still comes from a payload and is a valid digest.
        assert!(digest.as_str().starts_with("sha256:"));
    }

    #[test]
    fn schema1_payload_follows_format_length() {
        let body = br#"{"schemaVersion":1,"fsLayers":[{"blobSum":"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}],"history":[{"v1Compatibility":"{}"}],"signatures":[{"protected":"PROT"}]}"#;
        let cut = body
            .windows(15)
            .position(|w| w == b",\"signatures\":[")
            .unwrap();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let prot = b64.encode(format!(
            r#"{{"formatLength":{cut},"formatTail":"{}"}}"#,
            b64.encode("}")
        ));
        let body = String::from_utf8_lossy(body).replace("PROT", &prot);
        let (_, digest) = parse_manifest("m", body.as_bytes(), None).unwrap();
        let mut expected = body.as_bytes()[..cut].to_vec();
        expected.push(b'}');
        assert_eq!(digest, Digest::of(&expected));
    }

    #[test]
    fn oci_index_selects_platform_and_skips_attestations() {
        let d = |n: u8| format!("sha256:{}", hex::encode([n; 32]));
        let doc = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[
            {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":1,"platform":{{"os":"linux","architecture":"amd64"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":1,"platform":{{"os":"linux","architecture":"arm64","variant":"v8"}}}},
            {{"mediaType":"{OCI_MANIFEST}","digest":"{}","size":1,"platform":{{"os":"unknown","architecture":"unknown"}}}}]}}"#,
            d(1),
            d(2),
            d(3)
        );
        let (m, _) = parse_manifest("i", doc.as_bytes(), None).unwrap();
        let Manifest::Index(idx) = m else { panic!() };
        assert_eq!(
            idx.select(TargetPlatform::LinuxAmd64)
                .unwrap()
                .digest
                .as_str(),
            d(1)
        );
        assert_eq!(
            idx.select(TargetPlatform::LinuxArm64)
                .unwrap()
                .digest
                .as_str(),
            d(2)
        );
        assert!(idx.select(TargetPlatform::WindowsAmd64).is_none());
        assert_eq!(
            idx.platforms(),
            "linux/amd64, linux/arm64/v8, unknown/unknown"
        );
    }

    #[test]
    fn malformed_documents_are_typed_errors() {
        let d = format!("sha256:{}", "a".repeat(64));
        let cases: Vec<(String, &str)> = vec![
            ("not json".into(), "not a JSON manifest"),
            ("[]".into(), "not a JSON manifest"),
            (
                format!(r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}"}}"#),
                "without \"config\"",
            ),
            (
                format!(r#"{{"mediaType":"{DOCKER_LIST}"}}"#),
                "without \"manifests\"",
            ),
            (
                format!(r#"{{"mediaType":"{OCI_MANIFEST}","config":{{"digest":"{d}"}}}}"#),
                "has no size",
            ),
            (
                r#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:zz","size":1}}"#.into(),
                "not a JSON manifest",
            ),
            (
                r#"{"mediaType":"text/plain","config":{"digest":"sha256:zz"}}"#.into(),
                "not a JSON manifest",
            ),
            (r#"{"schemaVersion":1}"#.into(), "without fsLayers"),
            (
                format!(
                    r#"{{"schemaVersion":1,"fsLayers":[{{"blobSum":"{d}"}}],"history":[{{"v1Compatibility":"{{"}}]}}"#
                ),
                "v1Compatibility",
            ),
            (
                r#"{"schemaVersion":1,"fsLayers":[],"signatures":[{"protected":"!!"}]}"#
                    .to_string(),
                "signature header",
            ),
            (
                format!(
                    r#"{{"schemaVersion":1,"fsLayers":[],"signatures":[{{"protected":"{}"}}]}}"#,
                    base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .encode(r#"{"formatLength":99999,"formatTail":""}"#)
                ),
                "beyond the end",
            ),
        ];
        for (doc, want) in cases {
            let e = parse_manifest("m", doc.as_bytes(), None)
                .unwrap_err()
                .to_string();
            assert!(e.contains(want), "{doc}: {e}");
        }
        let e = parse_manifest(
            "m",
            format!(r#"{{"mediaType":"application/x-foo","config":{{"digest":"{d}","size":1}}}}"#)
                .as_bytes(),
            None,
        )
        .unwrap_err();
        assert!(matches!(e, RegistryError::UnsupportedMediaType { .. }));
    }

    #[test]
    fn target_platform_from_spec_os() {
        assert_eq!(
            TargetPlatform::from_spec_os("linuxARM64").unwrap(),
            TargetPlatform::LinuxArm64
        );
        assert_eq!(
            TargetPlatform::from_spec_os("").unwrap(),
            TargetPlatform::LinuxAmd64
        );
        assert!(TargetPlatform::from_spec_os("solaris").is_err());
    }
}
