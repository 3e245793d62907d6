//! Collections (`collection.Collection`): named sets of resources that scope policy rules.
//!
//! A collection arrives from a client, is [`Collection::validate`]d and [`Collection::normalise`]d
//! (any filter list not given becomes `["*"]`, read-only fields are reset), and is stored by name.
//! The built-in [`Collection::all`] is never stored: it is added on every read and can be neither
//! changed nor deleted. Matching a collection against an image lives in [`crate::scope`].

use crate::error::PolicyError;
use serde::{Deserialize, Serialize};

/// The name of the built-in collection that selects everything.
pub const ALL_COLLECTION: &str = "All";

/// How long a collection name may be; Prisma documents no limit, so this only keeps names sane.
const MAX_NAME_LEN: usize = 128;
/// How many patterns one filter list may hold.
const MAX_PATTERNS: usize = 1000;

fn star() -> Vec<String> {
    vec!["*".to_string()]
}

/// `collection.Collection`. Unknown fields are kept so a GET returns what a PUT sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub color: String,
    #[serde(default = "star")]
    pub images: Vec<String>,
    #[serde(default = "star")]
    pub hosts: Vec<String>,
    #[serde(default = "star")]
    pub labels: Vec<String>,
    #[serde(default = "star")]
    pub containers: Vec<String>,
    #[serde(default = "star")]
    pub functions: Vec<String>,
    #[serde(default = "star")]
    pub namespaces: Vec<String>,
    #[serde(rename = "appIDs", default = "star")]
    pub app_ids: Vec<String>,
    #[serde(rename = "accountIDs", default = "star")]
    pub account_ids: Vec<String>,
    #[serde(default = "star")]
    pub clusters: Vec<String>,
    #[serde(default = "star")]
    pub code_repos: Vec<String>,
    /// Read-only: who last changed it.
    #[serde(default)]
    pub owner: String,
    /// Read-only: RFC 3339 time of the last change.
    #[serde(default)]
    pub modified: String,
    /// Read-only: created by the system rather than a user.
    #[serde(default)]
    pub system: bool,
    /// Read-only: comes from Prisma Cloud (never true here).
    #[serde(default)]
    pub prisma: bool,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Default for Collection {
    fn default() -> Collection {
        Collection {
            name: String::new(),
            description: String::new(),
            color: String::new(),
            images: star(),
            hosts: star(),
            labels: star(),
            containers: star(),
            functions: star(),
            namespaces: star(),
            app_ids: star(),
            account_ids: star(),
            clusters: star(),
            code_repos: star(),
            owner: String::new(),
            modified: String::new(),
            system: false,
            prisma: false,
            extra: serde_json::Map::new(),
        }
    }
}

impl Collection {
    /// The built-in `All`: `*` in every field.
    pub fn all() -> Collection {
        Collection {
            name: ALL_COLLECTION.to_string(),
            description: "Built in: every resource".to_string(),
            color: "#3FA2F7".to_string(),
            owner: "system".to_string(),
            modified: "0001-01-01T00:00:00Z".to_string(),
            system: true,
            ..Collection::default()
        }
    }

    /// A user collection with this name and `*` everywhere; builders set the filters.
    pub fn named(name: &str) -> Collection {
        Collection {
            name: name.to_string(),
            ..Collection::default()
        }
    }

    pub fn with_images(mut self, patterns: &[&str]) -> Collection {
        self.images = patterns.iter().map(|p| p.to_string()).collect();
        self
    }

    pub fn with_labels(mut self, patterns: &[&str]) -> Collection {
        self.labels = patterns.iter().map(|p| p.to_string()).collect();
        self
    }

    pub fn with_hosts(mut self, patterns: &[&str]) -> Collection {
        self.hosts = patterns.iter().map(|p| p.to_string()).collect();
        self
    }

    /// True for the built-in `All` (names compare case-insensitively so `all` cannot shadow it).
    pub fn is_all(&self) -> bool {
        self.name.trim().eq_ignore_ascii_case(ALL_COLLECTION)
    }

    fn lists_mut(&mut self) -> [(&'static str, &mut Vec<String>); 10] {
        [
            ("images", &mut self.images),
            ("hosts", &mut self.hosts),
            ("labels", &mut self.labels),
            ("containers", &mut self.containers),
            ("functions", &mut self.functions),
            ("namespaces", &mut self.namespaces),
            ("appIDs", &mut self.app_ids),
            ("accountIDs", &mut self.account_ids),
            ("clusters", &mut self.clusters),
            ("codeRepos", &mut self.code_repos),
        ]
    }

    /// Trims patterns, drops blank ones and turns empty lists into `["*"]`, as Prisma fills any
    /// list not given.
    pub fn normalise(&mut self) {
        for (_, list) in self.lists_mut() {
            list.retain(|p| !p.trim().is_empty());
            for p in list.iter_mut() {
                *p = p.trim().to_string();
            }
            if list.is_empty() {
                *list = star();
            }
        }
    }

    /// Checks what a client may send: the name's characters, the color, the patterns.
    pub fn validate(&self) -> Result<(), PolicyError> {
        validate_name(&self.name)?;
        let color = self.color.trim();
        if !color.is_empty() {
            let hex = color.strip_prefix('#').unwrap_or(color);
            if !(hex.len() == 6 || hex.len() == 3) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(PolicyError::invalid(format!(
                    "collection {:?}: color must be a hex color such as #AB12CD, not {color:?}",
                    self.name
                )));
            }
        }
        let mut copy = self.clone();
        for (field, list) in copy.lists_mut() {
            if list.len() > MAX_PATTERNS {
                return Err(PolicyError::invalid(format!(
                    "collection {:?}: {field} has more than {MAX_PATTERNS} patterns",
                    self.name
                )));
            }
            for p in list.iter() {
                let body = p.trim().strip_prefix('-').unwrap_or(p.trim());
                if p.trim().starts_with('-') && body.trim().is_empty() {
                    return Err(PolicyError::invalid(format!(
                        "collection {:?}: {field} has an exclusion {p:?} that names nothing",
                        self.name
                    )));
                }
                if p.chars().any(char::is_control) {
                    return Err(PolicyError::invalid(format!(
                        "collection {:?}: {field} pattern {p:?} has control characters",
                        self.name
                    )));
                }
            }
        }
        Ok(())
    }
}

/// Collection names: `A-Z a-z 0-9 _ - :` and inner spaces (Prisma's URLs carry names with `%20`).
pub fn validate_name(name: &str) -> Result<(), PolicyError> {
    if name.trim().is_empty() {
        return Err(PolicyError::invalid("a collection needs a name"));
    }
    if name.trim() != name {
        return Err(PolicyError::invalid(format!(
            "collection name {name:?} must not start or end with spaces"
        )));
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(PolicyError::invalid(format!(
            "collection name is longer than {MAX_NAME_LEN} characters"
        )));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ':' | ' ')))
    {
        return Err(PolicyError::invalid(format!(
            "collection name {name:?} has the character {bad:?}; use A-Z a-z 0-9 _ - : and spaces"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_not_given_default_to_star() {
        let c: Collection = serde_json::from_str(r#"{"name":"web","images":["nginx*"]}"#).unwrap();
        assert_eq!(c.images, vec!["nginx*"]);
        assert_eq!(c.hosts, vec!["*"]);
        assert_eq!(c.code_repos, vec!["*"]);
        let mut c: Collection = serde_json::from_str(r#"{"name":"x","labels":[]}"#).unwrap();
        c.normalise();
        assert_eq!(c.labels, vec!["*"]);
    }

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let c: Collection = serde_json::from_str(r#"{"name":"x","futureField":{"a":1}}"#).unwrap();
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(v["futureField"]["a"], 1);
        assert_eq!(v["appIDs"][0], "*");
    }

    #[test]
    fn names() {
        for ok in ["web", "prod apps", "team:a_b-c", "X1"] {
            validate_name(ok).unwrap();
        }
        for bad in [
            "",
            " ",
            " lead",
            "trail ",
            "a/b",
            "semi;colon",
            "é",
            "<script>",
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
        let long = "a".repeat(MAX_NAME_LEN + 1);
        assert!(validate_name(&long).is_err());
    }

    #[test]
    fn colors_and_patterns() {
        let mut c = Collection::named("x");
        c.color = "#aB12cD".into();
        c.validate().unwrap();
        c.color = "red".into();
        assert!(c.validate().is_err());
        let c = Collection::named("x").with_images(&["-"]);
        assert!(c.validate().is_err());
        let c = Collection::named("x").with_images(&["a\u{0}b"]);
        assert!(c.validate().is_err());
    }

    #[test]
    fn all_is_recognised_in_any_case() {
        assert!(Collection::all().is_all());
        assert!(Collection::named("all").is_all());
        assert!(!Collection::named("Allowed").is_all());
    }
}
