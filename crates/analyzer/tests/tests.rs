//! Integration tests of crowsnest-analyzer: detectors on real package databases from
//! `../shared/testdata` (expected lists from the distributions' tools or the peers' expected
//! files), layer walking on layers built here (whiteouts, hostile input), and whole images.

#[path = "tests/support.rs"]
mod support;

#[path = "tests/apk.rs"]
mod apk;
#[path = "tests/bad_input.rs"]
mod bad_input;
#[path = "tests/dpkg.rs"]
mod dpkg;
#[path = "tests/fixtures.rs"]
mod fixtures;
#[path = "tests/fuzz_regressions.rs"]
mod fuzz_regressions;
#[path = "tests/images.rs"]
mod images;
#[path = "tests/langs.rs"]
mod langs;
#[path = "tests/rpm.rs"]
mod rpm;
#[path = "tests/sbom.rs"]
mod sbom;
#[path = "tests/whiteouts.rs"]
mod whiteouts;
