//! Time as the Console writes it. The clock itself lives in `crowsnest_model::clock`, shared
//! with the scan engine, so one manual clock drives both in tests.

pub use crowsnest_model::clock::{Clock, ManualClock, SystemClock};

/// RFC 3339 with fractions, as Prisma writes times.
pub(crate) fn rfc3339(t: jiff::Timestamp) -> String {
    t.to_string()
}
