//! The catalogue itself: it loads, it is big enough, every case has a test that runs it, and the
//! README's table lists every case.

use super::support::corpus;
use crowsnest_hostile::{Kind, Outcome};

#[test]
fn the_catalogue_loads_and_spans_every_kind() {
    let corpus = corpus();
    assert!(corpus.cases.len() >= 40, "{} cases", corpus.cases.len());
    for kind in [
        Kind::Manifest,
        Kind::Config,
        Kind::Blob,
        Kind::Layer,
        Kind::Pkgdb,
        Kind::Feed,
        Kind::Api,
    ] {
        assert!(!corpus.of_kind(&[kind]).is_empty(), "no {kind:?} case");
    }
}

#[test]
fn every_case_has_a_test_and_a_line_in_the_readme() {
    let corpus = corpus();
    let readme = std::fs::read_to_string(corpus.dir.join("README.md")).unwrap();
    for case in &corpus.cases {
        // Image kinds run in images.rs, feeds in feeds.rs, API requests in api.rs, and the
        // three CSV cases in csv_injection.rs; each module asserts its outcomes.
        let runnable = match case.kind {
            Kind::Manifest | Kind::Config | Kind::Blob | Kind::Layer | Kind::Pkgdb => matches!(
                case.outcome,
                Outcome::DiscoveryFails | Outcome::ImageFails | Outcome::Warning | Outcome::Scanned
            ),
            Kind::Feed => matches!(
                case.outcome,
                Outcome::Malformed | Outcome::Imported | Outcome::ImportFails
            ),
            Kind::Api if case.id.starts_with("csv-") => true,
            Kind::Api => matches!(case.outcome, Outcome::Rejected | Outcome::Stored),
        };
        assert!(
            runnable,
            "{}: no test runs a {:?} case with outcome {:?}",
            case.id, case.kind, case.outcome
        );
        assert!(
            readme.contains(&format!("`{}`", case.id)),
            "README.md does not list {}",
            case.id
        );
    }
}
