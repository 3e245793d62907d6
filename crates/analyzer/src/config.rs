//! The image config blob (OCI and Docker share its shape): the facts compliance checks read
//! (user, env, ports, healthcheck, labels, entrypoint) and the history, with each non-empty
//! history entry mapped to the layer it produced, in order.

use crate::error::Error;
use crowsnest_model::{ImageConfigFacts, inventory::HistoryEntry};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize, Default)]
struct Raw {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
    #[serde(default)]
    config: Option<RawConfig>,
    #[serde(default)]
    rootfs: Option<RawRootfs>,
    #[serde(default)]
    history: Vec<RawHistory>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct RawConfig {
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    env: Option<Vec<String>>,
    #[serde(default)]
    exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    healthcheck: Option<RawHealth>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    entrypoint: Option<Vec<String>>,
    #[serde(default)]
    cmd: Option<Vec<String>>,
    #[serde(default)]
    working_dir: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawHealth {
    #[serde(default, rename = "Test")]
    test: Option<Vec<String>>,
}

#[derive(Deserialize, Default)]
struct RawRootfs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Deserialize, Default)]
struct RawHistory {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    created_by: Option<String>,
    #[serde(default)]
    empty_layer: bool,
}

/// A parsed image config.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageConfig {
    pub facts: ImageConfigFacts,
    /// Uncompressed layer digests, bottom first.
    pub diff_ids: Vec<String>,
    pub os: String,
    pub architecture: String,
}

impl ImageConfig {
    /// Parses a config blob; `layer_digests` (bottom first, as the manifest lists them) are
    /// attached to the history entries that produced them.
    pub fn parse(bytes: &[u8], layer_digests: &[String]) -> Result<Self, Error> {
        let raw: Raw = serde_json::from_slice(bytes)
            .map_err(|e| Error::Image(format!("image config: {e}")))?;
        let c = raw.config.unwrap_or_default();
        let healthcheck = c
            .healthcheck
            .and_then(|h| h.test)
            .is_some_and(|t| t.first().map(String::as_str) != Some("NONE") && !t.is_empty());
        let mut layers = layer_digests.iter();
        let history = raw
            .history
            .into_iter()
            .map(|h| HistoryEntry {
                created: h.created,
                created_by: h.created_by.unwrap_or_default(),
                empty_layer: h.empty_layer,
                layer_digest: if h.empty_layer {
                    None
                } else {
                    layers.next().cloned()
                },
            })
            .collect();
        Ok(ImageConfig {
            facts: ImageConfigFacts {
                user: c.user.unwrap_or_default(),
                env: c.env.unwrap_or_default(),
                exposed_ports: c
                    .exposed_ports
                    .map(|p| p.into_keys().collect())
                    .unwrap_or_default(),
                healthcheck,
                labels: c.labels.unwrap_or_default(),
                entrypoint: c.entrypoint.unwrap_or_default(),
                cmd: c.cmd.unwrap_or_default(),
                working_dir: c.working_dir.unwrap_or_default(),
                created: raw.created,
                history,
            },
            diff_ids: raw.rootfs.map(|r| r.diff_ids).unwrap_or_default(),
            os: raw.os,
            architecture: raw.architecture,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_maps_to_layers() {
        let cfg = br#"{"architecture":"amd64","os":"linux","config":{"User":"app","Env":["PATH=/bin"],"ExposedPorts":{"8080/tcp":{}},"Healthcheck":{"Test":["CMD","true"]},"Labels":{"a":"b"}},
            "rootfs":{"type":"layers","diff_ids":["sha256:d1","sha256:d2"]},
            "history":[{"created_by":"ADD x"},{"created_by":"ENV y","empty_layer":true},{"created_by":"RUN z"}]}"#;
        let c = ImageConfig::parse(cfg, &["sha256:l1".into(), "sha256:l2".into()]).unwrap();
        assert_eq!(c.facts.user, "app");
        assert!(c.facts.healthcheck);
        assert_eq!(c.facts.exposed_ports, vec!["8080/tcp"]);
        let h: Vec<_> = c
            .facts
            .history
            .iter()
            .map(|h| h.layer_digest.as_deref())
            .collect();
        assert_eq!(h, vec![Some("sha256:l1"), None, Some("sha256:l2")]);
        assert!(ImageConfig::parse(b"[", &[]).is_err());
    }
}
