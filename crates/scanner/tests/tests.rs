//! Scanner integration tests: the report builder on hand-made findings, and the engine end to
//! end against a real registry.

mod scanner;
