//! The data directory is the admin's alone: the store holds password hashes, sealed secrets and
//! every result, and the master key opens the secrets. The directory is made 0700 and every file
//! in it 0600, whatever the umask, at every start (so an install from before this rule is
//! tightened too).
//!
//! SQLite creates its database 0644 less the umask, and its `-wal` and `-shm` files with the
//! database's own mode; so the database file is created here first, owner-only, and SQLite's
//! companions follow it.

use std::path::{Path, PathBuf};

/// Creates `dir` (and missing parents) owner-only, then makes it and everything under it
/// owner-only. Symbolic links are left alone: their targets are not ours to change.
pub(crate) fn secure_data_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        restrict_tree(dir)
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

#[cfg(unix)]
fn restrict_tree(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o700))?;
        for entry in std::fs::read_dir(&d)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                stack.push(entry.path());
            } else if kind.is_file() {
                std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o600))?;
            }
        }
    }
    Ok(())
}

/// The file a `sqlite:` URL names, when it names one (not `:memory:`).
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

/// Creates the database file of a `sqlite:` URL empty and owner-only when it does not exist yet
/// (SQLite takes an empty file for a new database), so that SQLite never creates it with its
/// default 0644; an existing one is made owner-only with its `-wal` and `-shm`.
pub(crate) fn prepare_sqlite_file(url: &str) -> std::io::Result<()> {
    let Some(path) = sqlite_file(url) else {
        return Ok(());
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
        let mut companions = vec![path.clone()];
        for suffix in ["-wal", "-shm"] {
            let mut name = path.clone().into_os_string();
            name.push(suffix);
            companions.push(PathBuf::from(name));
        }
        for p in companions.into_iter().filter(|p| p.is_file()) {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn sqlite_urls_name_their_file() {
        use super::sqlite_file;
        assert_eq!(
            sqlite_file("sqlite:///d/crowsnest.sqlite?mode=rwc"),
            Some("/d/crowsnest.sqlite".into())
        );
        assert_eq!(sqlite_file("sqlite:rel.db"), Some("rel.db".into()));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://h/db"), None);
    }
}
