//! Exit statuses for what goes wrong: usage (2), an image that cannot be reached or read (3),
//! a database that is missing, damaged or too old (4, with the fix), an unwritable report (1).

use crate::support::{Images, Run, data_dir};

#[test]
fn a_missing_database_says_how_to_build_one() {
    let images = Images::new();
    let missing = images.path("no-such.db");
    let done = Run::image(&[&images.alpine(), "--db", missing.to_str().unwrap()])
        .run()
        .expect(4);
    let err = done.stderr();
    assert!(err.contains("no vulnerability database at"), "{err}");
    assert!(err.contains("crowsnest db import"), "{err}");
}

#[test]
fn a_damaged_database_is_a_database_error() {
    let images = Images::new();
    let bad = images.path("bad.db");
    std::fs::write(&bad, b"this is not a database").unwrap();
    let done = Run::image(&[&images.alpine(), "--db", bad.to_str().unwrap()])
        .run()
        .expect(4);
    assert!(
        done.stderr()
            .contains("not a Crowsnest vulnerability database"),
        "{}",
        done.stderr()
    );
}

#[test]
fn a_database_older_than_the_limit_is_refused_with_the_fix() {
    let images = Images::new();
    let db = data_dir().join("vulndb/crowsnest.db");
    let done = Run::image(&[
        &images.alpine(),
        "--db",
        db.to_str().unwrap(),
        "--db-max-age",
        "0s",
    ])
    .run()
    .expect(4);
    let err = done.stderr();
    assert!(err.contains("--db-max-age"), "{err}");
    assert!(err.contains("crowsnest db update"), "{err}");
}

#[test]
fn unreadable_images_exit_3() {
    let images = Images::new();
    let done = Run::image(&[&format!("oci:{}", images.path("missing-layout").display())])
        .run()
        .expect(3);
    assert!(done.stderr().starts_with("error: "), "{}", done.stderr());
    let junk = images.path("junk.tar");
    std::fs::write(&junk, b"not a tar archive at all").unwrap();
    Run::image(&[&format!("docker-archive:{}", junk.display())])
        .run()
        .expect(3);
    // Nothing listens on port 1.
    Run::image(&["127.0.0.1:1/app:1", "--plain-http"])
        .run()
        .expect(3);
}

#[test]
fn usage_errors_exit_2() {
    let images = Images::new();
    for args in [
        vec!["UPPER/Case:1"],
        vec!["127.0.0.1:5000/app@sha256:1234"],
        vec![images.alpine().leak(), "--platform", "linux/s390x"],
        vec![images.alpine().leak(), "--format", "xml"],
        vec![images.alpine().leak(), "--db-max-age", "soon"],
        vec!["127.0.0.1:5000/app:1", "--password", "x"],
    ] {
        let done = Run::image(&args).run();
        assert_eq!(done.code(), 2, "{args:?}: {}", done.stderr());
    }
}

#[test]
fn an_unwritable_report_exits_1() {
    let images = Images::new();
    let out = images.path("no-such-dir/report.json");
    Run::image(&[&images.alpine(), "-o", out.to_str().unwrap()])
        .run()
        .expect(1);
}

/// `crowsnest … | head -1`: the reader closes the pipe before (or while) the command writes. That
/// is a normal end, not a panic: exit 0 and nothing on stderr about it.
#[test]
fn a_reader_that_goes_away_is_a_normal_end() {
    let images = Images::new();
    let vulnerable = images.vulnerable();
    let commands: [&[&str]; 4] = [
        &["db", "status"],
        &["db", "explain", "minimist", "1.2.5", "--ecosystem", "npm"],
        &["image", &vulnerable, "-f", "json"],
        &["sbom", &vulnerable],
    ];
    for args in commands {
        let mut child = std::process::Command::new(crate::support::BIN)
            .arg("--data-dir")
            .arg(data_dir())
            .args(args)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end at once: the command starts in milliseconds, so it writes into a
        // pipe nobody reads.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}
