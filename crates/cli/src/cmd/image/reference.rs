//! Registry references as users type them: `[host[:port]/]repo[:tag][@digest]`, normalised the
//! way the Docker CLI does. The first path component is a registry host when it contains a `.`
//! or a `:`, or is `localhost`; otherwise the image is on Docker Hub, where a one-component
//! name lives under `library/` and the registry endpoint is `registry-1.docker.io`. A missing
//! tag means `latest`; a digest wins over a tag when both are given. Which hosts are Docker Hub
//! is the model's [`RegistryAddress`] to say, as for a registry specification.

use crowsnest_model::RegistryAddress;
use crowsnest_model::address::without_scheme;

/// A parsed registry reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RegistryRef {
    /// The registry: the host as written, or Docker Hub for a name without one.
    pub(crate) address: RegistryAddress,
    pub(crate) repo: String,
    pub(crate) tag: String,
    pub(crate) digest: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum ReferenceError {
    #[error("{0:?}: empty image reference")]
    Empty(String),
    #[error(
        "{reference:?}: invalid repository name {repo:?} (lower-case letters, digits and . _ - separators, components joined by /)"
    )]
    Repo { reference: String, repo: String },
    #[error(
        "{reference:?}: invalid tag {tag:?} (letters, digits, _ . -, up to 128, not starting with . or -)"
    )]
    Tag { reference: String, tag: String },
    #[error("{reference:?}: invalid digest {digest:?} (expected sha256: and 64 hex digits)")]
    Digest { reference: String, digest: String },
    #[error("{reference:?}: invalid registry host {host:?}")]
    Host { reference: String, host: String },
}

impl RegistryRef {
    pub(crate) fn parse(s: &str) -> Result<RegistryRef, ReferenceError> {
        let reference = s.trim();
        if reference.is_empty() {
            return Err(ReferenceError::Empty(s.to_string()));
        }
        let (rest, digest) = match reference.split_once('@') {
            Some((r, d)) => {
                let ok = d.strip_prefix("sha256:").is_some_and(|h| {
                    h.len() == 64 && h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
                });
                if !ok {
                    return Err(ReferenceError::Digest {
                        reference: reference.into(),
                        digest: d.into(),
                    });
                }
                (r, Some(d.to_string()))
            }
            None => (reference, None),
        };
        // The tag is after the last `:` that follows the last `/` (a port's colon precedes it).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
            None => (rest, None),
        };
        let (host, path) = match name.split_once('/') {
            Some((first, path))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (Some(first), path)
            }
            _ => (None, name),
        };
        if let Some(h) = host {
            let valid = !h.is_empty()
                && h.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
                && !h.starts_with(['.', '-', ':']);
            if !valid {
                return Err(ReferenceError::Host {
                    reference: reference.into(),
                    host: h.into(),
                });
            }
        }
        let address = RegistryAddress::parse(host.unwrap_or_default());
        let docker_hub = address.is_docker_hub();
        let repo = if docker_hub && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_string()
        };
        if !valid_repo(&repo) {
            return Err(ReferenceError::Repo {
                reference: reference.into(),
                repo: path.into(),
            });
        }
        let tag = match tag {
            Some(t) if !valid_tag(t) => {
                return Err(ReferenceError::Tag {
                    reference: reference.into(),
                    tag: t.into(),
                });
            }
            Some(t) => t.to_string(),
            None => "latest".to_string(),
        };
        Ok(RegistryRef {
            address,
            repo,
            tag,
            digest,
        })
    }

    /// What to ask the registry for: the digest when given, else the tag.
    pub(crate) fn reference(&self) -> &str {
        self.digest.as_deref().unwrap_or(&self.tag)
    }

    /// The host to connect to, without scheme: `registry-1.docker.io` for Docker Hub.
    pub(crate) fn host(&self) -> &str {
        without_scheme(self.address.endpoint())
    }

    /// True when the image is on Docker Hub (its results name no registry, as Prisma's do).
    pub(crate) fn is_docker_hub(&self) -> bool {
        self.address.is_docker_hub()
    }

    /// The registry as results name it: empty for Docker Hub.
    pub(crate) fn registry_name(&self) -> &str {
        self.address.key()
    }
}

impl std::fmt::Display for RegistryRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.host(), self.repo)?;
        match &self.digest {
            Some(d) => write!(f, "@{d}"),
            None => write!(f, ":{}", self.tag),
        }
    }
}

fn valid_repo(repo: &str) -> bool {
    !repo.is_empty()
        && repo.len() <= 255
        && repo.split('/').all(|c| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'_' | b'-'))
                && c.as_bytes()[0].is_ascii_alphanumeric()
                && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
        })
}

fn valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RegistryRef {
        RegistryRef::parse(s).unwrap()
    }

    #[test]
    fn docker_hub_short_names_are_normalised() {
        let r = p("alpine");
        assert_eq!(r.to_string(), "registry-1.docker.io/library/alpine:latest");
        assert!(r.is_docker_hub());
        assert_eq!(r.registry_name(), "");
        assert_eq!(r.host(), "registry-1.docker.io");
        assert_eq!(
            p("bitnami/redis:7.2").to_string(),
            "registry-1.docker.io/bitnami/redis:7.2"
        );
        assert_eq!(p("docker.io/alpine:3.19").repo, "library/alpine");
        assert_eq!(p("index.docker.io/library/alpine").tag, "latest");
        // Every name of Hub's, as the settings' registry field spells them.
        for host in [
            "registry.hub.docker.com",
            "registry-1.docker.io",
            "Docker.IO",
        ] {
            let r = p(&format!("{host}/alpine"));
            assert!(r.is_docker_hub(), "{host}");
            assert_eq!(r.to_string(), "registry-1.docker.io/library/alpine:latest");
        }
    }

    #[test]
    fn hosts_ports_tags_and_digests() {
        let r = p("127.0.0.1:5000/team/app:v1.2");
        assert_eq!(
            (r.host(), r.repo.as_str(), r.tag.as_str()),
            ("127.0.0.1:5000", "team/app", "v1.2")
        );
        assert_eq!(r.registry_name(), "127.0.0.1:5000");
        assert!(!r.is_docker_hub());
        let d = format!("sha256:{}", "a".repeat(64));
        let r = p(&format!("localhost:5000/app:v1@{d}"));
        assert_eq!(r.reference(), d);
        assert_eq!(r.tag, "v1");
        assert_eq!(p("localhost/app").host(), "localhost");
        assert_eq!(p("ghcr.io/org/app").tag, "latest");
        assert_eq!(
            p(&format!("quay.io/org/app@{d}")).to_string(),
            format!("quay.io/org/app@{d}")
        );
    }

    #[test]
    fn malformed_references_are_typed_errors() {
        assert!(matches!(
            RegistryRef::parse(" "),
            Err(ReferenceError::Empty(_))
        ));
        assert!(matches!(
            RegistryRef::parse("Alpine"),
            Err(ReferenceError::Repo { .. })
        ));
        assert!(matches!(
            RegistryRef::parse("host.io/"),
            Err(ReferenceError::Repo { .. })
        ));
        assert!(matches!(
            RegistryRef::parse("a//b"),
            Err(ReferenceError::Repo { .. })
        ));
        assert!(matches!(
            RegistryRef::parse("alpine:"),
            Err(ReferenceError::Tag { .. })
        ));
        assert!(matches!(
            RegistryRef::parse("alpine:-x"),
            Err(ReferenceError::Tag { .. })
        ));
        assert!(matches!(
            RegistryRef::parse("alpine@sha256:12"),
            Err(ReferenceError::Digest { .. })
        ));
        assert!(matches!(
            RegistryRef::parse("alpine@md5:00"),
            Err(ReferenceError::Digest { .. })
        ));
        assert!(matches!(
            RegistryRef::parse("-bad.io/x"),
            Err(ReferenceError::Host { .. })
        ));
        assert!(matches!(
            RegistryRef::parse("h_st.io/x"),
            Err(ReferenceError::Host { .. })
        ));
    }
}
