//! What evaluating one rule yields, and the small pieces every kind of rule evaluates with: the
//! parsed-version type, comparing two parsed versions, the lowest fix above the installed
//! version, and building a step's text.

use crate::record::Status;
use crowsnest_version::{Version, VersionError};
use std::cmp::Ordering;

/// A version parsed under the namespace's rules, or why it could not be.
pub(crate) type Parsed<'a> = Result<Version<'a>, VersionError>;

/// What one rule says about the installed version.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Verdict<'c, 'a> {
    /// Affected; fixed in this version.
    Fixed(&'c Version<'a>),
    /// Affected with this vendor status (`Open` also when no fix is known).
    Affected(Status),
    NotAffected,
    /// Could not be evaluated (a malformed version); never reported as a finding.
    Unknown,
}

/// Both versions, or the first error (the installed side first, as `compare` reports it).
pub(super) fn both<'p, 'x, 'y>(
    a: &'p Parsed<'x>,
    b: &'p Parsed<'y>,
) -> Result<(&'p Version<'x>, &'p Version<'y>), VersionError> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (Err(e), _) | (_, Err(e)) => Err(e.clone()),
    }
}

/// The lowest fix above the installed version (the first of equal ones, in record order).
pub(super) fn first_fix_above<'c, 'a: 'c>(
    installed: Option<&Version<'_>>,
    fixes: impl Iterator<Item = &'c Version<'a>>,
) -> Option<&'c Version<'a>> {
    let installed = installed?;
    fixes
        .filter(|f| installed.compare(f) == Some(Ordering::Less))
        .min_by(|a, b| a.compare(b).unwrap_or(Ordering::Equal))
}

/// Joins pieces into one exactly sized string (step texts are built for every affected rule;
/// this avoids the formatting machinery and regrowth).
pub(super) fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}
