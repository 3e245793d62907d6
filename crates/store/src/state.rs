//! The states a scan, a specification's part of a scan and a job move through, as types.
//!
//! The database keeps the same strings it always had (`as_str`), so rows written before these
//! types existed read back unchanged; a string no variant knows is a
//! [`StoreError::UnknownState`](crate::StoreError::UnknownState), never a panic or a silent default.

use crate::StoreError;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Declares a state enum with its stored spelling, `FromStr`, `Display` and serde in one place,
/// so the spelling cannot differ between the SQL and the Rust side.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl FromStr for $name {
            type Err = StoreError;

            fn from_str(s: &str) -> Result<$name, StoreError> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(StoreError::UnknownState {
                        what: $what,
                        value: other.to_string(),
                    }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_enum! {
    /// What a scan covers.
    ScanKind, "scan kind" {
        /// All registry specifications, or a selection of them.
        Regular = "regular",
        /// One image, asked for by name.
        OnDemand = "onDemand",
    }
}

stored_enum! {
    /// Where a scan is. Only a running scan moves; the others are final.
    ScanState, "scan state" {
        Running = "running",
        Completed = "completed",
        Stopped = "stopped",
        Failed = "failed",
    }
}

stored_enum! {
    /// Where one registry specification's part of a scan is.
    SpecState, "scan specification state" {
        Discovering = "discovering",
        Scanning = "scanning",
        Done = "done",
        /// Stopped by a user; the store never moves a stopped record back to work.
        Stopped = "stopped",
        Failed = "failed",
    }
}

impl SpecState {
    /// Discovery or scanning still to do.
    pub fn is_active(self) -> bool {
        matches!(self, SpecState::Discovering | SpecState::Scanning)
    }
}

stored_enum! {
    /// Where one image's job is.
    JobState, "job state" {
        /// Waiting to be claimed (possibly not before a retry time).
        Pending = "pending",
        /// Claimed under a lease.
        Running = "running",
        Done = "done",
        Failed = "failed",
        Cancelled = "cancelled",
    }
}

impl JobState {
    /// Done, failed or cancelled.
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Done | JobState::Failed | JobState::Cancelled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_reads_back_its_stored_spelling() {
        fn round_trip<T: FromStr<Err = StoreError> + fmt::Debug + PartialEq + Copy>(
            all: &[T],
            text: fn(T) -> &'static str,
        ) {
            for &v in all {
                assert_eq!(text(v).parse::<T>().unwrap(), v);
            }
        }
        round_trip(ScanKind::ALL, ScanKind::as_str);
        round_trip(ScanState::ALL, ScanState::as_str);
        round_trip(SpecState::ALL, SpecState::as_str);
        round_trip(JobState::ALL, JobState::as_str);
        assert_eq!(ScanKind::OnDemand.as_str(), "onDemand");
        assert_eq!(
            serde_json::to_string(&ScanKind::OnDemand).unwrap(),
            "\"onDemand\""
        );
    }

    #[test]
    fn an_unknown_spelling_is_a_typed_error() {
        let e = "paused".parse::<JobState>().unwrap_err();
        assert!(
            matches!(&e, StoreError::UnknownState { what: "job state", value } if value == "paused"),
            "{e:?}"
        );
        assert!(
            "Running".parse::<ScanState>().is_err(),
            "spellings are exact"
        );
    }
}
