//! [`RegistryAddress`]: the one place that turns a specification's `registry` string into the
//! names Crowsnest uses for it. Everything else (results, image keys, collections, progress
//! titles, the pull client, the CLI's references and Docker config keys) asks an address instead
//! of trimming schemes and comparing Docker Hub spellings itself.
//!
//! A registry is written `[http://|https://]host[:port][/path][/]`. Docker Hub goes by several
//! names (`""`, `docker.io`, `index.docker.io`, `registry-1.docker.io`,
//! `registry.hub.docker.com`, any of them with a scheme or a trailing slash, in any case); they
//! all parse to the same address. The accessors differ on purpose, because the outputs they feed
//! differ today and must stay byte-identical:
//!
//! | accessor        | Docker Hub               | `http://reg:5000/` (example)   | used for                                  |
//! |-----------------|--------------------------|--------------------------------|-------------------------------------------|
//! | [`key`]         | `""`                     | `reg:5000`                     | stored image keys, results' `registry`    |
//! | [`name`]        | `docker.io`              | `reg:5000`                     | canonical full names (collections)        |
//! | [`display`]     | `docker.io`              | `http://reg:5000/` (as written)| progress titles, discovery reports        |
//! | [`endpoint`]    | `https://registry-1.docker.io` | `http://reg:5000/`       | what the pull client connects to          |
//!
//! Parsing never fails: whether the host is well formed is the pull client's check, as before
//! (an unusable address fails the scan of that specification, not the save of the settings).
//!
//! [`key`]: RegistryAddress::key
//! [`name`]: RegistryAddress::name
//! [`display`]: RegistryAddress::display
//! [`endpoint`]: RegistryAddress::endpoint

/// Docker Hub's name in canonical image names (`docker.io/library/alpine:3.19`).
pub const DOCKER_HUB_NAME: &str = "docker.io";
/// Docker Hub's registry API endpoint.
pub const DOCKER_HUB_ENDPOINT: &str = "https://registry-1.docker.io";
/// The names Docker Hub goes by, lower case, without scheme. The empty name is Prisma's.
pub const DOCKER_HUB_ALIASES: &[&str] = &[
    "",
    "docker.io",
    "index.docker.io",
    "registry-1.docker.io",
    "registry.hub.docker.com",
];

/// How the registry is spoken to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// TLS; the default when no scheme is written.
    Https,
    /// Plain HTTP, only when the address says `http://`.
    Http,
}

/// A specification's `registry`, parsed once. See the module docs for which accessor to use.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegistryAddress {
    /// The input, trimmed of surrounding white space, otherwise as written.
    written: String,
    /// `host[:port][/path]`: no scheme, no trailing slash.
    host_path: String,
    scheme: Scheme,
    docker_hub: bool,
}

impl RegistryAddress {
    /// Parses `registry` as a specification (or a Docker config key's host part) writes it.
    pub fn parse(registry: &str) -> RegistryAddress {
        let written = registry.trim();
        let (scheme, rest) = split_scheme(written);
        let host_path = rest.trim_end_matches('/');
        let docker_hub = is_docker_hub_name(host_path);
        RegistryAddress {
            written: written.to_string(),
            host_path: host_path.to_string(),
            scheme,
            docker_hub,
        }
    }

    /// Docker Hub's address (what an empty `registry` means).
    pub fn docker_hub() -> RegistryAddress {
        RegistryAddress::parse("")
    }

    /// True for every spelling of Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.docker_hub
    }

    /// The stable key of the registry in image keys and results' `registry` field:
    /// `host[:port][/path]`, and empty for Docker Hub (as Prisma's results name no registry
    /// for Hub images).
    pub fn key(&self) -> &str {
        if self.docker_hub { "" } else { &self.host_path }
    }

    /// The registry in canonical image names: [`key`](Self::key), with Docker Hub spelled
    /// `docker.io`.
    pub fn name(&self) -> &str {
        if self.docker_hub {
            DOCKER_HUB_NAME
        } else {
            &self.host_path
        }
    }

    /// The registry as the user wrote it (scheme and trailing slash kept), and `docker.io` for
    /// Docker Hub: what progress titles and discovery reports show.
    pub fn display(&self) -> &str {
        if self.docker_hub {
            DOCKER_HUB_NAME
        } else {
            &self.written
        }
    }

    /// What the pull client connects to: Docker Hub's API endpoint, else the address as
    /// written (the client reads a missing scheme as `https://` and keeps a path as a prefix).
    pub fn endpoint(&self) -> &str {
        self.endpoint_with(DOCKER_HUB_ENDPOINT)
    }

    /// [`endpoint`](Self::endpoint) with Docker Hub replaced by `docker_hub` (tests point it at
    /// a local stand-in).
    pub fn endpoint_with<'a>(&'a self, docker_hub: &'a str) -> &'a str {
        if self.docker_hub {
            docker_hub
        } else {
            &self.written
        }
    }

    /// `http` only when written so; Docker Hub is always `https`.
    pub fn scheme(&self) -> Scheme {
        if self.docker_hub {
            Scheme::Https
        } else {
            self.scheme
        }
    }

    /// True when the host part carries `user[:password]@`. Such an address is refused where a
    /// specification is saved: the secret would be stored, logged and returned in plain.
    pub fn has_userinfo(&self) -> bool {
        let authority = self.host_path.split('/').next().unwrap_or("");
        authority.contains('@')
    }

    /// True when the registry is spoken to over plain HTTP (`http://…`).
    pub fn is_insecure(&self) -> bool {
        self.scheme() == Scheme::Http
    }
}

impl std::fmt::Display for RegistryAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.display())
    }
}

/// True when `host` (no scheme, no path) is one of Docker Hub's names, in any case.
pub fn is_docker_hub_name(host: &str) -> bool {
    let host = host.trim();
    DOCKER_HUB_ALIASES
        .iter()
        .any(|alias| alias.eq_ignore_ascii_case(host))
}

/// `s` without a leading `https://` or `http://` (in any case); Prisma's image names may carry
/// one where Crowsnest's never do.
pub fn without_scheme(s: &str) -> &str {
    split_scheme(s).1
}

fn split_scheme(s: &str) -> (Scheme, &str) {
    for (prefix, scheme) in [("https://", Scheme::Https), ("http://", Scheme::Http)] {
        if s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix) {
            return (scheme, &s[prefix.len()..]);
        }
    }
    (Scheme::Https, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_docker_hub_spelling_is_one_address() {
        let hub = RegistryAddress::docker_hub();
        for name in [
            "",
            " ",
            "docker.io",
            "index.docker.io",
            "registry-1.docker.io",
            "registry.hub.docker.com",
            "Docker.IO",
        ] {
            for spelled in [
                name.to_string(),
                format!("{name}/"),
                format!("https://{name}"),
                format!("https://{name}/"),
                format!("HTTPS://{name}/"),
            ] {
                let a = RegistryAddress::parse(&spelled);
                assert!(a.is_docker_hub(), "{spelled:?}");
                assert_eq!(
                    (a.key(), a.name(), a.display(), a.endpoint()),
                    (hub.key(), hub.name(), hub.display(), hub.endpoint()),
                    "{spelled:?}"
                );
            }
        }
        assert_eq!(hub.key(), "");
        assert_eq!(hub.name(), "docker.io");
        assert_eq!(hub.display(), "docker.io");
        assert_eq!(hub.endpoint(), "https://registry-1.docker.io");
        assert_eq!(
            hub.endpoint_with("http://127.0.0.1:1"),
            "http://127.0.0.1:1"
        );
        assert!(!hub.is_insecure());
    }

    #[test]
    fn hosts_ports_paths_and_schemes() {
        let a = RegistryAddress::parse(" http://127.0.0.1:5000/ ");
        assert_eq!(a.key(), "127.0.0.1:5000");
        assert_eq!(a.name(), "127.0.0.1:5000");
        assert_eq!(a.display(), "http://127.0.0.1:5000/");
        assert_eq!(a.endpoint(), "http://127.0.0.1:5000/");
        assert!(a.is_insecure());
        assert_eq!(a.scheme(), Scheme::Http);

        let a = RegistryAddress::parse("https://art.example/artifactory/api/docker/key/");
        assert_eq!(a.key(), "art.example/artifactory/api/docker/key");
        assert_eq!(a.endpoint_with("unused"), a.display());
        assert!(!a.is_insecure());

        let a = RegistryAddress::parse("reg.example:443");
        assert_eq!(
            (a.key(), a.display()),
            ("reg.example:443", "reg.example:443")
        );
        assert_eq!(a.scheme(), Scheme::Https);

        // Not Hub: a look-alike host, a path under Hub's name.
        assert!(!RegistryAddress::parse("docker.io.evil.example").is_docker_hub());
        assert!(!RegistryAddress::parse("mirror.docker.io").is_docker_hub());

        let v6 = RegistryAddress::parse("http://[::1]:5000");
        assert_eq!(v6.key(), "[::1]:5000");
        assert!(v6.is_insecure());
        assert_eq!(v6.to_string(), "http://[::1]:5000");
    }

    #[test]
    fn userinfo_is_noticed_in_the_authority_only() {
        for with in [
            "u:p@h",
            "https://u:p@h:5000/x",
            "HTTP://u@h",
            " u@[::1]:5000 ",
        ] {
            assert!(RegistryAddress::parse(with).has_userinfo(), "{with}");
        }
        for without in ["h", "https://h:5000/a@b", "", "docker.io"] {
            assert!(!RegistryAddress::parse(without).has_userinfo(), "{without}");
        }
    }

    #[test]
    fn scheme_stripping_for_names() {
        assert_eq!(without_scheme("https://h/r:t"), "h/r:t");
        assert_eq!(without_scheme("HTTP://h/r"), "h/r");
        assert_eq!(without_scheme("h/r"), "h/r");
        assert_eq!(without_scheme("htt"), "htt");
    }
}
