//! Crowsnest's vulnerability database: feed importers, the local database file, and the matcher
//! that turns an image [`Inventory`](crowsnest_model::Inventory) into
//! [`Finding`](crowsnest_model::Finding)s. (Full rules below are filled in with the matcher.)

mod constraint;
mod cvss;
mod date;
mod db;
mod distro;
mod import;
mod matcher;
mod names;
mod record;

pub use constraint::ConstraintError;
pub use db::{Database, DbError, DbStatus, FORMAT_VERSION, default_path};
pub use import::{ImportError, ImportOptions, ImportReport, Malformed, SourceReport};
pub use record::Status;
pub use matcher::{MatchOptions, Matcher, Outcome, Step};
pub use distro::distro_namespace;
