//! (being written)
use std::cmp::Ordering;

pub(crate) struct Parsed;

pub(crate) fn parse(_s: &str) -> Result<Parsed, &'static str> {
    Err("comparator not implemented yet")
}

pub(crate) fn cmp(_a: &Parsed, _b: &Parsed) -> Ordering {
    Ordering::Equal
}
