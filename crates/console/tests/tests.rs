//! Integration tests: the real Console over HTTP on 127.0.0.1, a real SQLite store in a temp
//! dir, and a manual clock so token expiry and throttling windows need no sleeping.

mod console;
