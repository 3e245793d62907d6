//! Feed cases: each hostile file lands in a feed directory beside real records copied from the
//! snapshot, and the real importer runs on it. A bad record is skipped and reported with its
//! file; the real records are still imported and still match; an import that fails as a whole
//! leaves the existing database file byte for byte as it was.

use super::support::{build_real_db, copy_real_records, corpus};
use crowsnest_hostile::{Case, Corpus, Kind, Outcome};
use crowsnest_model::{Package, PackageKind};
use crowsnest_vulndb::{Database, ImportOptions, Matcher};
use std::path::{Path, PathBuf};

fn npm(name: &str, version: &str) -> Package {
    serde_json::from_value(serde_json::json!({
        "kind": PackageKind::Npm, "name": name, "version": version, "path": "srv/app/package.json"
    }))
    .unwrap()
}

/// The CVE ids the database reports for an npm package.
fn cves(db: &Database, name: &str, version: &str) -> String {
    let m = Matcher::new(db);
    format!("{:?}", m.match_package(None, &npm(name, version)))
}

/// Lays out the feed directory of one case; returns the paths to import.
fn stage(corpus: &Corpus, case: &Case, work: &Path) -> Vec<PathBuf> {
    let feeds = work.join("feeds");
    copy_real_records(&feeds);
    match (&case.file, case.recipe.as_deref()) {
        (Some(rel), _) => {
            // Keep the path under feed/ (the PyPA cases are recognised by their directories).
            let inner = rel.strip_prefix("feed/").unwrap_or(rel);
            let to = feeds.join(inner);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::write(&to, corpus.bytes(case).unwrap().unwrap()).unwrap();
        }
        (None, Some("feed-archive-bomb")) => {
            std::fs::write(
                feeds.join("bomb.tar.gz"),
                corpus.bytes(case).unwrap().unwrap(),
            )
            .unwrap();
        }
        (None, Some("feed-sparse-file")) => {
            // A hole of 10 GiB: no disk is used, but a reader that trusts the length reads 10 GiB.
            let f = std::fs::File::create(feeds.join("advisory.json")).unwrap();
            f.set_len(10 << 30).unwrap();
        }
        (None, Some("feed-symlink-loop")) => {
            std::os::unix::fs::symlink("..", feeds.join("loop")).unwrap();
        }
        (None, Some("feed-missing-path")) => {
            return vec![feeds, work.join("mirror-that-vanished")];
        }
        other => panic!("{}: no feed staging for {other:?}", case.id),
    }
    vec![feeds]
}

#[test]
fn every_feed_case_is_skipped_or_refused_and_the_database_survives() {
    let corpus = corpus();
    let mut problems = Vec::new();
    for case in corpus.of_kind(&[Kind::Feed]) {
        let work = tempfile::tempdir().unwrap();
        let db_path = work.path().join("db/crowsnest.db");
        build_real_db(work.path(), &db_path);
        let old_bytes = std::fs::read(&db_path).unwrap();
        let paths = stage(&corpus, case, work.path());
        let built = Database::build(&paths, &ImportOptions::new());
        let verdict: Result<(), String> = match (case.outcome, built) {
            (Outcome::ImportFails, Err(e)) if case.matches(&e.to_string()) => {
                // The importer's caller writes only a database that was built.
                if std::fs::read(&db_path).unwrap() == old_bytes {
                    Ok(())
                } else {
                    Err("the old database changed".into())
                }
            }
            (Outcome::Malformed | Outcome::Imported, Ok((db, report))) => {
                let malformed: Vec<String> = report
                    .malformed
                    .iter()
                    .map(|m| format!("{}: {}", m.file, m.error))
                    .collect();
                let listed = malformed.iter().any(|m| case.matches(m));
                db.write_atomic(&db_path).unwrap();
                let reopened = Database::open(&db_path).unwrap();
                let real_still_match = cves(&reopened, "minimist", "1.2.5")
                    .contains("CVE-2021-44906")
                    && cves(&reopened, "lodash", "4.17.20").contains("CVE-2021-23337");
                let fine = match case.outcome {
                    Outcome::Malformed => listed,
                    _ => {
                        let everything = format!(
                            "{:?} {}",
                            reopened.status(),
                            cves(&reopened, "traversal-pkg", "1.0.0")
                        );
                        malformed.is_empty()
                            && (case.matches(&everything) || case.expect.starts_with("CVE-"))
                    }
                };
                if fine && real_still_match {
                    Ok(())
                } else {
                    Err(format!(
                        "listed {listed}, real records still match {real_still_match}; malformed {malformed:?}"
                    ))
                }
            }
            (_, Err(e)) => Err(format!("import failed: {e}")),
            (_, Ok((_, report))) => Err(format!("import succeeded: {:?}", report.malformed)),
        };
        if let Err(why) = verdict {
            problems.push(format!(
                "{} ({:?}, expect {:?}): {why}",
                case.id, case.outcome, case.expect
            ));
        }
    }
    // Entry names in an archive are labels, never paths to write.
    assert!(!Path::new("/tmp/crowsnest-hostile-escape.json").exists());
    assert!(!Path::new("/etc/crowsnest-hostile.json").exists());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
