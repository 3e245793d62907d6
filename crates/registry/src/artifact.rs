//! What a manifest holds when it is not a container image: OCI registries also store Helm
//! charts, cosign signatures and attestations, SBOMs and other artifacts beside images, often
//! under tags in the same repositories. Discovery skips them with a note instead of failing
//! a scan on them (and the vendor listings that say an artifact's type up front, Harbor's for
//! one, skip them before any manifest is read).
//!
//! Recognised by, in order: the manifest's `artifactType` (OCI 1.1), the config's media type,
//! the layers' media types, and for tags the cosign naming convention
//! `sha256-<64 hex>.sig|.att|.sbom` (the tag a signature, attestation or SBOM of the image
//! with that digest is stored under).

use std::fmt;

/// A kind of non-image artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArtifactKind {
    HelmChart,
    Signature,
    Attestation,
    Sbom,
    /// Anything else whose config is not an image config (WASM modules, OPA bundles, …).
    Other,
}

impl ArtifactKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::HelmChart => "Helm chart",
            ArtifactKind::Signature => "signature",
            ArtifactKind::Attestation => "attestation",
            ArtifactKind::Sbom => "SBOM",
            ArtifactKind::Other => "non-image artifact",
        }
    }
}

impl ArtifactKind {
    /// The name with its indefinite article, for messages.
    pub fn with_article(self) -> &'static str {
        match self {
            ArtifactKind::HelmChart => "a Helm chart",
            ArtifactKind::Signature => "a signature",
            ArtifactKind::Attestation => "an attestation",
            ArtifactKind::Sbom => "an SBOM",
            ArtifactKind::Other => "a non-image artifact",
        }
    }
}

impl fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The config media types of images (Docker schema 2 and OCI). Anything else is an artifact.
const IMAGE_CONFIGS: [&str; 2] = [
    "application/vnd.docker.container.image.v1+json",
    "application/vnd.oci.image.config.v1+json",
];

/// The kind a media type names, when it names one of ours.
fn kind_of_media_type(media_type: &str) -> Option<ArtifactKind> {
    let m = media_type.to_ascii_lowercase();
    if m.starts_with("application/vnd.cncf.helm.") {
        Some(ArtifactKind::HelmChart)
    } else if m.starts_with("application/vnd.dev.cosign.simplesigning")
        || m.starts_with("application/vnd.dev.cosign.artifact.sig")
        || m.starts_with("application/vnd.cncf.notary.signature")
    {
        Some(ArtifactKind::Signature)
    } else if m.starts_with("application/vnd.dsse.envelope")
        || m.starts_with("application/vnd.in-toto")
        || m.starts_with("application/vnd.dev.sigstore.bundle")
    {
        Some(ArtifactKind::Attestation)
    } else if m.starts_with("text/spdx")
        || m.starts_with("application/spdx")
        || m.starts_with("application/vnd.cyclonedx")
        || m.starts_with("application/vnd.syft")
        || m.starts_with("application/vnd.goharbor.harbor.sbom")
    {
        Some(ArtifactKind::Sbom)
    } else {
        None
    }
}

/// The kind of artifact a single-platform manifest holds, or `None` for a container image.
/// `config` is `None` for Docker schema 1 (always an image).
pub fn classify_manifest<'m>(
    artifact_type: Option<&str>,
    config: Option<&str>,
    layers: impl IntoIterator<Item = &'m str>,
) -> Option<ArtifactKind> {
    if let Some(kind) = artifact_type.and_then(kind_of_media_type) {
        return Some(kind);
    }
    let config = config?;
    if let Some(kind) = kind_of_media_type(config) {
        return Some(kind);
    }
    // Cosign keeps an image config on its signatures; their layers say what they are.
    if let Some(kind) = layers.into_iter().find_map(kind_of_media_type) {
        return Some(kind);
    }
    let config = config.split(';').next().unwrap_or("").trim();
    if IMAGE_CONFIGS.iter().any(|c| c.eq_ignore_ascii_case(config))
        || artifact_type.is_none() && config.is_empty()
    {
        None
    } else {
        Some(ArtifactKind::Other)
    }
}

/// The kind of artifact a tag names by cosign's convention (`sha256-<hex>.sig`, `.att`,
/// `.sbom`), or `None`.
pub fn classify_tag(tag: &str) -> Option<ArtifactKind> {
    let (stem, suffix) = tag.rsplit_once('.')?;
    let hex = stem.strip_prefix("sha256-")?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match suffix {
        "sig" => Some(ArtifactKind::Signature),
        "att" => Some(ArtifactKind::Attestation),
        "sbom" => Some(ArtifactKind::Sbom),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

    #[test]
    fn images_are_not_artifacts() {
        for config in IMAGE_CONFIGS {
            assert_eq!(classify_manifest(None, Some(config), [OCI_LAYER]), None);
        }
        assert_eq!(classify_manifest(None, None, []), None, "schema 1");
    }

    #[test]
    fn artifacts_by_media_type() {
        let helm = "application/vnd.cncf.helm.config.v1+json";
        assert_eq!(
            classify_manifest(
                None,
                Some(helm),
                ["application/vnd.cncf.helm.chart.content.v1.tar+gzip"]
            ),
            Some(ArtifactKind::HelmChart)
        );
        // cosign: an image config, a simple-signing layer.
        let cosign = ["application/vnd.dev.cosign.simplesigning.v1+json"];
        assert_eq!(
            classify_manifest(None, Some(IMAGE_CONFIGS[1]), cosign),
            Some(ArtifactKind::Signature)
        );
        assert_eq!(
            classify_manifest(
                None,
                Some(IMAGE_CONFIGS[1]),
                ["application/vnd.dsse.envelope.v1+json"]
            ),
            Some(ArtifactKind::Attestation)
        );
        // OCI 1.1 artifactType with the empty config.
        let empty = "application/vnd.oci.empty.v1+json";
        assert_eq!(
            classify_manifest(Some("application/spdx+json"), Some(empty), []),
            Some(ArtifactKind::Sbom)
        );
        assert_eq!(
            classify_manifest(None, Some("application/vnd.wasm.config.v0+json"), []),
            Some(ArtifactKind::Other)
        );
    }

    #[test]
    fn cosign_tags() {
        let hex = "a".repeat(64);
        assert_eq!(
            classify_tag(&format!("sha256-{hex}.sig")),
            Some(ArtifactKind::Signature)
        );
        assert_eq!(
            classify_tag(&format!("sha256-{hex}.att")),
            Some(ArtifactKind::Attestation)
        );
        assert_eq!(
            classify_tag(&format!("sha256-{hex}.sbom")),
            Some(ArtifactKind::Sbom)
        );
        assert_eq!(classify_tag("v1.2.sig"), None);
        assert_eq!(
            classify_tag(&format!("sha256-{}.sig", "a".repeat(63))),
            None
        );
        assert_eq!(classify_tag("1.0"), None);
    }
}
