//! Domain types that several Crowsnest crates exchange, with no I/O.
//!
//! The analyzer produces an [`Inventory`] (OS + packages + image config facts); the vulnerability
//! matcher turns an inventory into [`Finding`]s; the scanner stores both and the console renders
//! them in Prisma's wire shapes. Registry specifications and credentials ([`spec`], [`credential`])
//! are the Console API's settings objects, validated here so an invalid one cannot exist as a value;
//! a specification's `registry` becomes a [`RegistryAddress`] in one place ([`address`]), and a
//! whole specification a validated [`ScanTarget`].

pub mod address;
pub mod clock;
pub mod credential;
pub mod finding;
pub mod inventory;
pub mod pattern;
pub mod registry_kind;
pub mod scan_result;
pub mod spec;
pub mod target;

pub use address::RegistryAddress;
pub use finding::{Finding, FixStatus, Severity};
pub use inventory::{ImageConfigFacts, Inventory, OsInfo, Package, PackageKind};
pub use registry_kind::RegistryKind;
pub use target::ScanTarget;
