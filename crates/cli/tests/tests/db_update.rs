//! `crowsnest db update` from an HTTP mirror: a local Python `http.server` on 127.0.0.1 serves the
//! shared feed snapshot in its own layout, standing in for the upstream projects (nothing else
//! is contacted).

use crate::support::shared;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_crowsnest");

/// `python3 -m http.server` on a free loopback port, killed on drop.
pub(crate) struct Mirror {
    child: Child,
    pub(crate) url: String,
}

impl Mirror {
    pub(crate) fn serve(dir: &std::path::Path) -> Mirror {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
                "--directory",
            ])
            .arg(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 (scripts/test-deps.sh installs it)");
        // Owned at once, so Drop stops it whatever happens next.
        let mirror = Mirror {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        // Wait until it accepts connections (a readiness check, not a timing assumption).
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return mirror;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the mirror did not start");
    }
}

impl Drop for Mirror {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn crowsnest(data: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("CROWSNEST_FEEDS")
        .env_remove("CROWSNEST_FEEDS_URL")
        .output()
        .unwrap()
}

#[test]
fn update_from_a_mirror_then_a_broken_mirror_keeps_the_database() {
    let mirror = Mirror::serve(&shared().join("vulndb"));
    let data = tempfile::tempdir().unwrap();
    let only = [
        "--only",
        "osv/go-vulndb.tar.gz",
        "--only",
        "lang/nodejs-security-wg.tar.gz",
    ];
    let mut args = vec!["db", "update", "--mirror", mirror.url.as_str()];
    args.extend(only);
    let out = crowsnest(data.path(), &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let status = crowsnest(data.path(), &["db", "status"]);
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(text.contains("go") && text.contains("nodejs"), "{text}");
    let db = data.path().join("vulndb/crowsnest.db");
    let before = std::fs::read(&db).unwrap();
    assert!(
        !data.path().join("vulndb/download").exists(),
        "the scratch downloads are removed"
    );

    // A mirror that lacks a source: nothing is imported, the database stays as it was.
    let empty = tempfile::tempdir().unwrap();
    let broken = Mirror::serve(empty.path());
    let mut args = vec!["db", "update", "--mirror", broken.url.as_str()];
    args.extend(only);
    let out = crowsnest(data.path(), &args);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("osv/go-vulndb.tar.gz")
            && err.contains("HTTP 404")
            && err.contains("not changed"),
        "{err}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);

    let out = crowsnest(data.path(), &["db", "update", "--only", "no/such.tar.gz"]);
    assert_eq!(out.status.code(), Some(2));
}
