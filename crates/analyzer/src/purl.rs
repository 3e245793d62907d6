//! Package URLs (the purl spec): `pkg:type/namespace/name@version?qualifiers`, with each part
//! percent-encoded. OS package purls need the distribution (namespace and `distro` qualifier),
//! so purls are computed at merge time, once the image's OS is known.

use crowsnest_model::{OsInfo, Package, PackageKind};

/// Percent-encodes everything outside the purl-safe set.
fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn join_path(p: &str) -> String {
    p.split('/')
        .filter(|s| !s.is_empty())
        .map(enc)
        .collect::<Vec<_>>()
        .join("/")
}

/// The purl of a package, given the image's OS (for OS packages).
pub(crate) fn purl(p: &Package, os: Option<&OsInfo>) -> String {
    let distro_ns = || {
        os.map(|o| match o.id.as_str() {
            "rhel" => "redhat".to_string(),
            id => id.to_string(),
        })
    };
    let mut quals: Vec<(&str, String)> = Vec::new();
    let (ty, ns, name, version) = match p.kind {
        PackageKind::Dpkg | PackageKind::Apk | PackageKind::Rpm => {
            let ty = match p.kind {
                PackageKind::Dpkg => "deb",
                PackageKind::Apk => "apk",
                _ => "rpm",
            };
            let default_ns = match p.kind {
                PackageKind::Dpkg => "debian",
                PackageKind::Apk => "alpine",
                _ => "redhat",
            };
            let mut version = p.version.clone();
            if p.kind == PackageKind::Rpm {
                // rpm purls carry the epoch as a qualifier, not in the version.
                if let Some((epoch, rest)) = p.version.split_once(':') {
                    quals.push(("epoch", epoch.to_string()));
                    version = rest.to_string();
                }
            }
            if let Some(a) = &p.arch {
                quals.push(("arch", a.clone()));
            }
            if let Some(o) = os.filter(|o| !o.version_id.is_empty()) {
                quals.push(("distro", format!("{}-{}", o.id, o.version_id)));
            }
            if p.kind == PackageKind::Dpkg
                && let Some(src) = p.source_name.as_ref().filter(|s| **s != p.name)
            {
                quals.push(("upstream", src.clone()));
            }
            (
                ty,
                Some(distro_ns().unwrap_or_else(|| default_ns.into())),
                enc(&p.name),
                version,
            )
        }
        PackageKind::Python => (
            "pypi",
            None,
            enc(&p.name.to_ascii_lowercase().replace('_', "-")),
            p.version.clone(),
        ),
        PackageKind::Npm => match p.name.rsplit_once('/') {
            Some((scope, n)) => ("npm", Some(scope.to_string()), enc(n), p.version.clone()),
            None => ("npm", None, enc(&p.name), p.version.clone()),
        },
        PackageKind::Go | PackageKind::GoStdlib => match p.name.rsplit_once('/') {
            Some((ns, n)) => ("golang", Some(ns.to_string()), enc(n), p.version.clone()),
            None => ("golang", None, enc(&p.name), p.version.clone()),
        },
        PackageKind::Java => match p.name.split_once(':') {
            Some((g, a)) => ("maven", Some(g.to_string()), enc(a), p.version.clone()),
            None => ("maven", None, enc(&p.name), p.version.clone()),
        },
        PackageKind::Cargo => ("cargo", None, enc(&p.name), p.version.clone()),
        PackageKind::Gem => ("gem", None, enc(&p.name), p.version.clone()),
        PackageKind::Composer => match p.name.split_once('/') {
            Some((v, n)) => ("composer", Some(v.to_string()), enc(n), p.version.clone()),
            None => ("composer", None, enc(&p.name), p.version.clone()),
        },
        PackageKind::Nuget => ("nuget", None, enc(&p.name), p.version.clone()),
    };
    let mut s = format!("pkg:{ty}/");
    if let Some(ns) = ns {
        s.push_str(&join_path(&ns));
        s.push('/');
    }
    s.push_str(&name);
    s.push('@');
    s.push_str(&enc(&version));
    quals.sort();
    for (i, (k, v)) in quals.iter().enumerate() {
        s.push(if i == 0 { '?' } else { '&' });
        s.push_str(k);
        s.push('=');
        s.push_str(&enc(v));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::package::package;

    #[test]
    fn purls_per_type() {
        let os = OsInfo {
            id: "debian".into(),
            version_id: "12".into(),
            ..OsInfo::default()
        };
        let mut d = package(
            PackageKind::Dpkg,
            "libssl3",
            "3.0.11-1~deb12u2",
            "var/lib/dpkg/status",
        );
        d.arch = Some("amd64".into());
        d.source_name = Some("openssl".into());
        assert_eq!(
            purl(&d, Some(&os)),
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
        );
        let r = package(PackageKind::Rpm, "dbus", "1:1.12.8-26.el8", "x");
        assert_eq!(purl(&r, None), "pkg:rpm/redhat/dbus@1.12.8-26.el8?epoch=1");
        let n = package(PackageKind::Npm, "@babel/core", "7.0.0", "x");
        assert_eq!(purl(&n, None), "pkg:npm/%40babel/core@7.0.0");
        let g = package(PackageKind::Go, "golang.org/x/sys", "v0.1.0", "x");
        assert_eq!(purl(&g, None), "pkg:golang/golang.org/x/sys@v0.1.0");
        let m = package(
            PackageKind::Java,
            "org.apache.logging.log4j:log4j-core",
            "2.19.0",
            "x",
        );
        assert_eq!(
            purl(&m, None),
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.19.0"
        );
        let py = package(PackageKind::Python, "PyYAML", "5.3", "x");
        assert_eq!(purl(&py, None), "pkg:pypi/pyyaml@5.3");
    }
}
