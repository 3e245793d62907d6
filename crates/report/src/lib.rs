//! Crowsnest's one-shot reports: what `crowsnest image` does with findings after matching.
//!
//! Data flows in two steps. First [`Filter::apply`] takes the matcher's findings and the image's
//! inventory and drops what the user asked not to see: severities outside `--severity`, fix
//! states named by `--ignore-unfixed` / `--ignore-status`, statements of VEX documents
//! ([`VexDocument`], OpenVEX or CycloneDX VEX) and rules of an ignore file ([`IgnoreFile`],
//! with expiry dates). VEX statements that do not suppress (`under_investigation`,
//! `in_triage`, …) become notes on the findings they name. Then a [`Report`] (the kept findings,
//! the inventory and those notes) is written by one of the writers here: [`table`] for a
//! terminal, [`sarif`] (2.1.0, for code-scanning upload), [`cyclonedx`] (1.5 with a
//! `vulnerabilities` section) and [`spdx`] (2.3 with advisory references). The Console-shaped
//! JSON and CSV are not here: they come from the scanner's `ImageScanResult` and the policy
//! crate's CSV writer.

mod error;
mod filter;
mod ignore;
mod purl;
mod report;
mod severity;
mod vex;

pub mod cyclonedx;
pub mod sarif;
pub mod spdx;
pub mod table;

pub use error::ReportError;
pub use filter::{Filter, Filtered, FixState, Suppressed};
pub use ignore::{IgnoreFile, IgnoreRule};
pub use report::{Report, Target, target_of};
pub use severity::{parse_severities, severity_label};
pub use vex::{VexDocument, VexEffect, VexStatement};
