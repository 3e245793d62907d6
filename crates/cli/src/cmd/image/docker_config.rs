//! Registry credentials from the Docker CLI's configuration, so `crowsnest image` works
//! wherever `docker pull` does. The file is `$DOCKER_CONFIG/config.json`, else
//! `~/.docker/config.json`. For a registry host the order is Docker's: a `credHelpers` entry
//! for the host runs `docker-credential-<helper> get`; else an `auths` entry with `auth`
//! (base64 `user:password`) or `username`/`password`; else the `credsStore` helper; else
//! anonymous. Keys are compared by host (`https://host/v1/` and `host` are the same key);
//! Docker Hub is stored under `https://index.docker.io/v1/`.
//!
//! A helper speaks a tiny protocol: the server URL on stdin, `{"Username":…,"Secret":…}` on
//! stdout, and a non-zero exit with "credentials not found" when it has none.

use base64::Engine as _;
use crowsnest_model::RegistryAddress;
use crowsnest_model::address::{DOCKER_HUB_NAME, without_scheme};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default)]
    creds_store: Option<String>,
    #[serde(default)]
    cred_helpers: HashMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

#[derive(Debug, Deserialize)]
struct HelperReply {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// A username and password found for a registry, and where they came from.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Found {
    pub(crate) username: String,
    pub(crate) password: String,
    pub(crate) source: String,
}

impl std::fmt::Debug for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Found")
            .field("username", &self.username)
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum DockerConfigError {
    #[error("{path}: {message}")]
    File { path: PathBuf, message: String },
    #[error("credential helper docker-credential-{helper}: {message}")]
    Helper { helper: String, message: String },
}

/// The config file the Docker CLI would read.
pub(crate) fn config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".docker").join("config.json"))
}

/// `https://host:port/v1/` → `host:port`; Docker Hub's names all become `docker.io` (which
/// names are Hub's is [`RegistryAddress`]'s to say).
fn normalise_key(key: &str) -> String {
    let k = without_scheme(key.trim());
    let host = k.split('/').next().unwrap_or(k).to_ascii_lowercase();
    if host.is_empty() {
        // Not a registry at all; Hub's empty name is a specification's, not a config key's.
        return host;
    }
    RegistryAddress::parse(&host).name().to_string()
}

/// Credentials for `host` (`docker_hub` for Docker Hub) from the config at `path`; `Ok(None)`
/// when the file does not exist or has nothing for the host.
pub(crate) fn lookup(
    path: &Path,
    host: &str,
    docker_hub: bool,
) -> Result<Option<Found>, DockerConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(DockerConfigError::File {
                path: path.into(),
                message: e.to_string(),
            });
        }
    };
    let config: ConfigFile = serde_json::from_str(&text).map_err(|e| DockerConfigError::File {
        path: path.into(),
        message: format!("not a Docker config file: {e}"),
    })?;
    let want = if docker_hub {
        DOCKER_HUB_NAME.to_string()
    } else {
        normalise_key(host)
    };
    let server = if docker_hub { DOCKER_HUB_KEY } else { host };
    if let Some(helper) = config
        .cred_helpers
        .iter()
        .find(|(k, _)| normalise_key(k) == want)
        .map(|(_, v)| v)
    {
        return run_helper(helper, server);
    }
    if let Some(entry) = config
        .auths
        .iter()
        .find(|(k, _)| normalise_key(k) == want)
        .map(|(_, v)| v)
    {
        let source = format!("{} (auths)", path.display());
        if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
            let bad = |m: &str| DockerConfigError::File {
                path: path.into(),
                message: format!("auths entry for {host}: {m}"),
            };
            let raw = base64::engine::general_purpose::STANDARD
                .decode(auth.trim())
                .map_err(|_| bad("auth is not base64"))?;
            let text = String::from_utf8(raw).map_err(|_| bad("auth is not UTF-8"))?;
            let (u, p) = text
                .split_once(':')
                .ok_or_else(|| bad("auth is not user:password"))?;
            return Ok(Some(Found {
                username: u.into(),
                password: p.into(),
                source,
            }));
        }
        if let (Some(u), Some(p)) = (&entry.username, &entry.password) {
            return Ok(Some(Found {
                username: u.clone(),
                password: p.clone(),
                source,
            }));
        }
        if entry.identitytoken.is_some() {
            tracing::warn!(
                "{}: the entry for {host} holds an identity token, which crowsnest cannot use; pulling anonymously",
                path.display()
            );
            return Ok(None);
        }
    }
    if let Some(store) = config.creds_store.as_deref().filter(|s| !s.is_empty()) {
        return run_helper(store, server);
    }
    Ok(None)
}

fn run_helper(helper: &str, server: &str) -> Result<Option<Found>, DockerConfigError> {
    let err = |message: String| DockerConfigError::Helper {
        helper: helper.into(),
        message,
    };
    if helper.is_empty()
        || !helper
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err(err("invalid helper name".into()));
    }
    let program = format!("docker-credential-{helper}");
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| err(format!("cannot run {program}: {e}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // The helper may exit without reading; a broken pipe then is its answer, not ours.
        let _ = stdin.write_all(server.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| err(format!("{program} failed: {e}")))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        if said.to_ascii_lowercase().contains("credentials not found") {
            return Ok(None);
        }
        return Err(err(format!("exited with {}: {}", out.status, said.trim())));
    }
    let reply: HelperReply =
        serde_json::from_slice(&out.stdout).map_err(|e| err(format!("unreadable answer: {e}")))?;
    if reply.username == "<token>" {
        tracing::warn!(
            "{program} returned an identity token, which crowsnest cannot use; pulling anonymously"
        );
        return Ok(None);
    }
    Ok(Some(Found {
        username: reply.username,
        password: reply.secret,
        source: program,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        let p = dir.join("config.json");
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn auths_entries_by_host_in_any_spelling() {
        let d = tempfile::tempdir().unwrap();
        let p = write(
            d.path(),
            r#"{"auths":{"https://127.0.0.1:5000/v1/":{"auth":"dXNlcjpwYTpzcw=="},
                "https://index.docker.io/v1/":{"username":"hub","password":"pw"}}}"#,
        );
        let f = lookup(&p, "127.0.0.1:5000", false).unwrap().unwrap();
        assert_eq!(
            (f.username.as_str(), f.password.as_str()),
            ("user", "pa:ss")
        );
        let hub = lookup(&p, "registry-1.docker.io", true).unwrap().unwrap();
        assert_eq!(hub.username, "hub");
        assert_eq!(lookup(&p, "127.0.0.1:5001", false).unwrap(), None);
        assert_eq!(
            lookup(&d.path().join("missing.json"), "x", false).unwrap(),
            None
        );
    }

    #[test]
    fn malformed_configs_are_typed_errors() {
        let d = tempfile::tempdir().unwrap();
        for text in [
            "{",
            r#"{"auths":[]}"#,
            r#"{"auths":{"h.io":{"auth":"***"}}}"#,
            r#"{"auths":{"h.io":{"auth":"bm9jb2xvbg=="}}}"#,
        ] {
            let p = write(d.path(), text);
            assert!(
                matches!(
                    lookup(&p, "h.io", false),
                    Err(DockerConfigError::File { .. })
                ),
                "{text}"
            );
        }
        let p = write(d.path(), r#"{"credHelpers":{"h.io":"../evil"}}"#);
        assert!(matches!(
            lookup(&p, "h.io", false),
            Err(DockerConfigError::Helper { .. })
        ));
        let p = write(d.path(), r#"{"credsStore":"crowsnest-absent-helper"}"#);
        assert!(matches!(
            lookup(&p, "h.io", false),
            Err(DockerConfigError::Helper { .. })
        ));
    }
}
