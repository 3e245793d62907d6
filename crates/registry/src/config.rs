//! The image configuration blob (OCI image config / Docker container config): the fields
//! discovery and analysis use, parsed from bytes whose digest the client has already checked.

use crate::RegistryError;
use crate::manifest::parse_created;
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::BTreeMap;

/// A parsed image config. `raw` keeps the verified bytes for callers that need other fields.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageConfig {
    pub created: Option<Timestamp>,
    pub os: String,
    pub architecture: String,
    pub env: Vec<String>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    pub user: String,
    pub working_dir: String,
    pub labels: BTreeMap<String, String>,
    pub history: Vec<HistoryEntry>,
    /// `rootfs.diff_ids`: the uncompressed digests of the layers, bottom first.
    pub diff_ids: Vec<String>,
    pub raw: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub created: Option<Timestamp>,
    pub created_by: String,
    pub empty_layer: bool,
}

#[derive(Deserialize)]
struct Wire {
    created: Option<String>,
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    config: Option<WireConfig>,
    #[serde(default)]
    history: Vec<WireHistory>,
    #[serde(default)]
    rootfs: Option<WireRootfs>,
}

// Docker writes `null` for empty lists and maps, so every field is an Option.
#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct WireConfig {
    env: Option<Vec<String>>,
    entrypoint: Option<Vec<String>>,
    cmd: Option<Vec<String>>,
    user: Option<String>,
    working_dir: Option<String>,
    labels: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct WireHistory {
    created: Option<String>,
    created_by: Option<String>,
    #[serde(default)]
    empty_layer: bool,
}

#[derive(Deserialize)]
struct WireRootfs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

impl ImageConfig {
    /// Parses a config document; `what` names it in errors.
    pub fn parse(what: &str, bytes: &[u8]) -> Result<ImageConfig, RegistryError> {
        let w: Wire = serde_json::from_slice(bytes)
            .map_err(|e| RegistryError::malformed(what, format!("not a JSON image config: {e}")))?;
        let c = w.config.unwrap_or_default();
        Ok(ImageConfig {
            created: w.created.as_deref().and_then(parse_created),
            os: w.os,
            architecture: w.architecture,
            env: c.env.unwrap_or_default(),
            entrypoint: c.entrypoint.unwrap_or_default(),
            cmd: c.cmd.unwrap_or_default(),
            user: c.user.unwrap_or_default(),
            working_dir: c.working_dir.unwrap_or_default(),
            labels: c.labels.unwrap_or_default(),
            history: w
                .history
                .into_iter()
                .map(|h| HistoryEntry {
                    created: h.created.as_deref().and_then(parse_created),
                    created_by: h.created_by.unwrap_or_default(),
                    empty_layer: h.empty_layer,
                })
                .collect(),
            diff_ids: w.rootfs.map(|r| r.diff_ids).unwrap_or_default(),
            raw: bytes.to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_nulls_and_fields() {
        let doc = br#"{"architecture":"amd64","os":"linux","created":"2023-02-28T02:00:00Z",
            "config":{"Env":["PATH=/bin"],"Entrypoint":null,"Cmd":["sh"],"Labels":null},
            "history":[{"created":"2023-02-28T02:00:00Z","created_by":"ADD x","empty_layer":true}],
            "rootfs":{"type":"layers","diff_ids":["sha256:aa"]}}"#;
        let c = ImageConfig::parse("c", doc).unwrap();
        assert_eq!(c.created.unwrap().to_string(), "2023-02-28T02:00:00Z");
        assert_eq!(c.env, ["PATH=/bin"]);
        assert!(c.entrypoint.is_empty());
        assert!(c.history[0].empty_layer);
        assert_eq!(c.diff_ids, ["sha256:aa"]);
    }

    #[test]
    fn malformed_config_is_an_error_and_bad_dates_are_none() {
        assert!(ImageConfig::parse("c", b"<html>").is_err());
        assert!(ImageConfig::parse("c", br#"{"config":{"Env":"x"}}"#).is_err());
        let c = ImageConfig::parse("c", br#"{"created":"yesterday"}"#).unwrap();
        assert_eq!(c.created, None);
    }
}
