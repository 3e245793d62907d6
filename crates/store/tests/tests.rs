//! Store integration tests on a real SQLite file in a temp dir.

mod store;
