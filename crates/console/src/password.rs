//! Password checks (argon2) with bounded concurrency and reused memory.
//!
//! argon2 is deliberately expensive: about 19 MiB and tens of milliseconds a check. Run for
//! every anonymous request at once, a crowd of guessers took gigabytes and starved `_ping`. So
//! checks run on the blocking pool, one per slot (slots = cores), a request that cannot get a
//! slot within a few seconds is told to come back (503), and each slot keeps its own memory
//! blocks from one check to the next: freed and reallocated, the allocator kept about 19 MiB
//! per check resident (hundreds of MiB after a flood), while reused it is slots × 19 MiB, for
//! good.

use crate::error::ApiError;
use argon2::password_hash::{Output, PasswordHash};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use std::sync::Mutex;
use std::time::Duration;

/// How long a check waits for a free slot before the request is told to come back.
const QUEUE_WAIT: Duration = Duration::from_secs(5);

/// The salt of the stand-in check for unknown users (there is nothing to compare against).
const NO_USER_SALT: &[u8] = b"crowsnest-no-such-user";

pub(crate) struct PasswordChecks {
    slots: tokio::sync::Semaphore,
    /// Memory blocks of finished checks, taken by the next ones.
    memory: Mutex<Vec<Vec<Block>>>,
}

impl PasswordChecks {
    /// One slot per core.
    pub(crate) fn new() -> PasswordChecks {
        PasswordChecks {
            slots: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(2, usize::from),
            ),
            memory: Mutex::new(Vec::new()),
        }
    }

    /// True when `password` matches the PHC string `phc`. For an unknown user (`None`) the
    /// same work is done and the answer is false, so timing does not tell which users exist.
    pub(crate) async fn check(
        &self,
        password: &str,
        phc: Option<String>,
    ) -> Result<bool, ApiError> {
        let _slot = tokio::time::timeout(QUEUE_WAIT, self.slots.acquire())
            .await
            .map_err(|_| ApiError::Unavailable {
                message: "too many logins at once; try again shortly".into(),
                retry_after_secs: 1,
            })?
            .map_err(|_| ApiError::Internal("password checks closed".into()))?;
        let mut blocks = self
            .memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default();
        let password = password.to_string();
        let (ok, blocks) = tokio::task::spawn_blocking(move || {
            let ok = verify(&password, phc.as_deref(), &mut blocks);
            (ok, blocks)
        })
        .await
        .map_err(|e| ApiError::Internal(format!("password check: {e}")))?;
        self.memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(blocks);
        Ok(ok)
    }
}

/// argon2 of `password` with the parameters and salt of `phc` (or the defaults), in `blocks`.
fn verify(password: &str, phc: Option<&str>, blocks: &mut Vec<Block>) -> bool {
    let parsed = phc.and_then(|p| PasswordHash::new(p).ok());
    let mut salt_buf = [0u8; 64];
    let (algorithm, version, params, salt, expected) = match &parsed {
        Some(h) => {
            let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
                Algorithm::try_from(h.algorithm),
                Params::try_from(h),
                h.salt,
                h.hash,
            ) else {
                return false;
            };
            let version = match h.version.map(Version::try_from) {
                None => Version::default(),
                Some(Ok(v)) => v,
                Some(Err(_)) => return false,
            };
            let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
                return false;
            };
            (algorithm, version, params, salt, Some(expected))
        }
        None => (
            Algorithm::default(),
            Version::default(),
            Params::default(),
            NO_USER_SALT,
            None,
        ),
    };
    if blocks.len() != params.block_count() {
        *blocks = vec![Block::default(); params.block_count()];
    }
    let mut out = vec![0u8; expected.map_or(Params::DEFAULT_OUTPUT_LEN, |e| e.len())];
    let argon = Argon2::new(algorithm, version, params);
    if argon
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, &mut blocks[..])
        .is_err()
    {
        return false;
    }
    // `Output`'s equality is constant-time.
    match (expected, Output::new(&out)) {
        (Some(expected), Ok(got)) => expected == got,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifies_the_hashes_we_write_and_nothing_else() {
        let phc = crate::auth::hash_password("right horse").unwrap();
        let mut blocks = vec![];
        assert!(verify("right horse", Some(&phc), &mut blocks));
        let reused = blocks.as_ptr();
        assert!(!verify("wrong horse", Some(&phc), &mut blocks));
        assert_eq!(blocks.as_ptr(), reused, "the memory is reused");
        assert!(!verify("right horse", None, &mut blocks));
        assert!(!verify("right horse", Some("not a hash"), &mut blocks));
    }
}
