//! Store integration tests: the backend-independent contract suite, run against a real SQLite
//! file in a temp dir and against a real PostgreSQL server, and what only one backend does.

mod postgres;
mod sqlite;
