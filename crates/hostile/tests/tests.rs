//! The bad-input corpus end to end: every case of `testdata/hostile/cases.toml` against the real
//! pieces (a real `docker-registry`, the scan engine over a real SQLite store, the vulnerability
//! importer on real feed records, the Console over HTTP).

mod hostile;
