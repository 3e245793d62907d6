//! When to try a request again and how long to wait: exponential backoff from the options,
//! replaced by the server's `Retry-After` when it gives one, both capped so that one slow
//! registry cannot stall a scan for long.

use std::time::Duration;

/// Statuses worth another attempt: rate limiting and transient server or gateway failures.
pub(crate) fn retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// Parses `Retry-After` as delta-seconds or an HTTP date (relative to `now`).
pub(crate) fn parse_retry_after(value: &str, now: jiff::Timestamp) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = jiff::fmt::rfc2822::DateTimeParser::new()
        .parse_timestamp(value)
        .ok()?;
    let delta = when.duration_since(now);
    Some(Duration::try_from(delta).unwrap_or(Duration::ZERO))
}

/// The wait before attempt `next_attempt` (2, 3, …).
pub(crate) fn backoff(
    next_attempt: u32,
    initial: Duration,
    max: Duration,
    retry_after: Option<Duration>,
) -> Duration {
    let exp = initial.saturating_mul(1u32 << (next_attempt.saturating_sub(2)).min(16));
    retry_after.unwrap_or(exp).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        let now: jiff::Timestamp = "2024-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(
            parse_retry_after("Mon, 01 Jan 2024 00:00:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            parse_retry_after("Sun, 31 Dec 2023 23:59:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-1", now), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let i = Duration::from_millis(100);
        let m = Duration::from_secs(1);
        assert_eq!(backoff(2, i, m, None), Duration::from_millis(100));
        assert_eq!(backoff(3, i, m, None), Duration::from_millis(200));
        assert_eq!(backoff(9, i, m, None), m);
        assert_eq!(backoff(2, i, m, Some(Duration::from_secs(60))), m);
        assert_eq!(
            backoff(2, i, m, Some(Duration::from_millis(5))),
            Duration::from_millis(5)
        );
        assert!(retryable_status(429) && retryable_status(503) && !retryable_status(404));
    }
}
