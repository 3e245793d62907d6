//! Downloading the upstream feeds for `crowsnest db update`.
//!
//! Each source is one archive or file at a path of the feed layout that `db import` reads
//! (`osv/go-vulndb.tar.gz`, …; the same layout as the shared snapshot's MANIFEST). With a mirror
//! URL every path is fetched from `<mirror>/<path>`; without one, from the upstream project.
//! Files are streamed to disk, never held whole; a source that fails is reported with why, and
//! the caller keeps the existing database unless every wanted source arrived.

use anyhow::Context;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) struct FeedSource {
    /// Path in the feed layout.
    pub(crate) path: &'static str,
    /// Where the upstream project publishes it (a tarball with one top-level folder, as the
    /// importer expects, or a single file).
    pub(crate) upstream: &'static str,
}

pub(crate) const SOURCES: &[FeedSource] = &[
    FeedSource {
        path: "osv/go-vulndb.tar.gz",
        upstream: "https://github.com/golang/vulndb/archive/refs/heads/master.tar.gz",
    },
    FeedSource {
        path: "osv/rustsec-osv.tar.gz",
        upstream: "https://github.com/rustsec/advisory-db/archive/refs/heads/osv.tar.gz",
    },
    FeedSource {
        path: "osv/pypa-advisory-database.tar.gz",
        upstream: "https://github.com/pypa/advisory-database/archive/refs/heads/main.tar.gz",
    },
    FeedSource {
        path: "osv/almalinux-osv.tar.gz",
        upstream: "https://github.com/AlmaLinux/osv-database/archive/refs/heads/master.tar.gz",
    },
    FeedSource {
        path: "lang/rubysec-ruby-advisory-db.tar.gz",
        upstream: "https://github.com/rubysec/ruby-advisory-db/archive/refs/heads/master.tar.gz",
    },
    FeedSource {
        path: "lang/friendsofphp-security-advisories.tar.gz",
        upstream: "https://github.com/FriendsOfPHP/security-advisories/archive/refs/heads/master.tar.gz",
    },
    FeedSource {
        path: "lang/nodejs-security-wg.tar.gz",
        upstream: "https://github.com/nodejs/security-wg/archive/refs/heads/main.tar.gz",
    },
    FeedSource {
        path: "distro/debian-security-tracker-lists.tar.gz",
        upstream: "https://salsa.debian.org/security-tracker-team/security-tracker/-/archive/master/security-tracker-master.tar.gz",
    },
    FeedSource {
        path: "distro/ubuntu-cve-tracker.tar.gz",
        upstream: "https://git.launchpad.net/ubuntu-cve-tracker/snapshot/ubuntu-cve-tracker-master.tar.gz",
    },
    FeedSource {
        path: "distro/alpine-secdb-legacy.tar.gz",
        upstream: "https://github.com/alpinelinux/alpine-secdb/archive/refs/heads/master.tar.gz",
    },
    FeedSource {
        path: "enrich/cisa-kev/known_exploited_vulnerabilities.json",
        upstream: "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
    },
];

/// Downloads the sources whose path is in `only` (all when empty) into `dest`. Returns the
/// downloaded files and, per failed source, why.
pub(crate) async fn download(
    mirror: Option<&str>,
    only: &[String],
    dest: &Path,
) -> anyhow::Result<(Vec<PathBuf>, Vec<(String, String)>)> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .read_timeout(Duration::from_secs(120))
        .user_agent(concat!("crowsnest/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot set up the HTTP client")?;
    let mut fetched = Vec::new();
    let mut failed = Vec::new();
    for source in SOURCES
        .iter()
        .filter(|s| only.is_empty() || only.iter().any(|o| o == s.path))
    {
        let url = match mirror {
            Some(m) => format!("{}/{}", m.trim_end_matches('/'), source.path),
            None => source.upstream.to_string(),
        };
        let target = dest.join(source.path);
        match fetch(&http, &url, &target).await {
            Ok(()) => fetched.push(target),
            Err(e) => failed.push((source.path.to_string(), format!("{url}: {e:#}"))),
        }
    }
    Ok((fetched, failed))
}

async fn fetch(http: &reqwest::Client, url: &str, target: &Path) -> anyhow::Result<()> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let resp = http.get(url).send().await?;
    anyhow::ensure!(resp.status().is_success(), "HTTP {}", resp.status());
    if let Some(dir) = target.parent() {
        tokio::fs::create_dir_all(dir).await?;
    }
    let mut file = tokio::fs::File::create(target).await?;
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        file.write_all(&chunk?).await?;
    }
    file.flush().await?;
    Ok(())
}
