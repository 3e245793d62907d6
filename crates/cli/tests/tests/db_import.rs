//! `crowsnest db import` with several feed folders at once: the snapshot's GHSA sample and the
//! Amazon Linux excerpts of `../shared/feed-samples` become one database.

use crate::support::{BIN, shared};
use std::process::Command;

#[test]
fn db_import_takes_several_feed_folders() {
    let data = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(data.path())
        .args(["db", "import"])
        .arg(shared().join("vulndb/osv/ghsa-sample"))
        .arg(shared().join("feed-samples/amazon-alas"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // One status table with both folders' sources: 10 GHSA files, 5 ALAS updates.
    let row = |name: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_string())
    };
    assert_eq!(row("ghsa").as_deref(), Some("10"), "{stdout}");
    assert_eq!(row("amazon").as_deref(), Some("5"), "{stdout}");
    // ALAS2-2018-942: qemu-img fixed in 10:1.5.3-141.amzn2.5.3 (CVE-2017-5715).
    let out = Command::new(BIN)
        .arg("--data-dir")
        .arg(data.path())
        .args([
            "db",
            "explain",
            "--distro",
            "amzn:2",
            "qemu-img",
            "10:1.5.3-141.amzn2.5.2",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("CVE-2017-5715") && text.contains("10:1.5.3-141.amzn2.5.3"),
        "{text}"
    );
}
