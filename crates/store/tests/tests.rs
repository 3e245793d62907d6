//! Store integration tests: the backend-independent contract suite, run against a real SQLite
//! file in a temp dir, and what only the SQLite backend does.

mod sqlite;
