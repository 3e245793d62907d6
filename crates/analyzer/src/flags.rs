//! Files that compliance checks report, recognised while a layer streams past: setuid and
//! setgid files and SSH servers by mode and path, cloud credential files by path, and private
//! keys by their PEM or OpenSSH header (only small files with key-like names are read).

use crowsnest_model::inventory::FileFlag;

/// Largest file read to look for a private key header.
pub(crate) const MAX_KEY_BYTES: u64 = 64 * 1024;

/// Credential files of cloud CLIs and registries, by path suffix.
const CLOUD_CREDENTIAL_SUFFIXES: &[&str] = &[
    ".aws/credentials",
    ".docker/config.json",
    ".config/gcloud/application_default_credentials.json",
    ".config/gcloud/credentials.db",
    ".azure/accessTokens.json",
    ".azure/msal_token_cache.json",
    ".kube/config",
    ".git-credentials",
];

/// Flags a file earns from its path and mode alone.
pub(crate) fn by_path_and_mode(path: &str, mode: u32) -> Vec<FileFlag> {
    let mut flags = Vec::new();
    if mode & 0o4000 != 0 {
        flags.push(FileFlag::Setuid);
    }
    if mode & 0o2000 != 0 {
        flags.push(FileFlag::Setgid);
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    if matches!(name, "sshd" | "dropbear") && (path.contains("sbin/") || path.contains("bin/")) {
        flags.push(FileFlag::SshDaemon);
    }
    if CLOUD_CREDENTIAL_SUFFIXES.iter().any(|s| {
        path == s.trim_start_matches('.') || path.ends_with(&format!("/{s}")) || path == *s
    }) {
        flags.push(FileFlag::CloudCredential);
    }
    flags
}

/// Names worth opening to look for a private key.
pub(crate) fn may_be_private_key(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    // Certificate bundles under the system trust stores are public material.
    if path.starts_with("etc/ssl/certs/") || path.starts_with("usr/share/ca-certificates/") {
        return false;
    }
    matches!(name, "id_rsa" | "id_dsa" | "id_ecdsa" | "id_ed25519")
        || name.ends_with(".pem")
        || name.ends_with(".key")
        || (name.starts_with("ssh_host_") && name.ends_with("_key"))
}

pub(crate) fn is_private_key(data: &[u8]) -> bool {
    let head = &data[..data.len().min(4096)];
    head.windows(b"PRIVATE KEY-----".len())
        .any(|w| w == b"PRIVATE KEY-----")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_paths_and_keys() {
        assert_eq!(
            by_path_and_mode("usr/bin/passwd", 0o104755),
            [FileFlag::Setuid]
        );
        assert_eq!(by_path_and_mode("usr/bin/wall", 0o2755), [FileFlag::Setgid]);
        assert_eq!(
            by_path_and_mode("usr/sbin/sshd", 0o755),
            [FileFlag::SshDaemon]
        );
        assert_eq!(
            by_path_and_mode("root/.aws/credentials", 0o600),
            [FileFlag::CloudCredential]
        );
        assert!(by_path_and_mode("usr/bin/ls", 0o755).is_empty());
        assert!(may_be_private_key("root/.ssh/id_rsa"));
        assert!(may_be_private_key("app/tls/server.key"));
        assert!(!may_be_private_key("etc/ssl/certs/ca.pem"));
        assert!(is_private_key(b"-----BEGIN OPENSSH PRIVATE KEY-----\nabc"));
        assert!(is_private_key(b"-----BEGIN RSA PRIVATE KEY-----\n"));
        assert!(!is_private_key(b"-----BEGIN CERTIFICATE-----\n"));
    }
}
