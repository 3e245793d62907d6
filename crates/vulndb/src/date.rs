//! Date parsing for the many ways feeds write dates; everything becomes Unix seconds (UTC).

/// Parses RFC 3339 timestamps, `YYYY-MM-DD[ T]HH:MM:SS[.frac][ UTC|Z|+0000]`, bare dates and
/// Debian's `DD Mon YYYY`. Unknown shapes give `None`: a missing date never fails an import.
pub(crate) fn parse(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(ts.as_second());
    }
    // `2022-03-11 18:15:00 UTC`, `2017-02-07T15:59:00.333`, `2019-04-23 22:08:00`.
    let head: String = s.chars().take(19).collect();
    if head.len() == 19 {
        let normalised = head.replacen(' ', "T", 1);
        if let Ok(dt) = normalised.parse::<jiff::civil::DateTime>() {
            return dt
                .to_zoned(jiff::tz::TimeZone::UTC)
                .ok()
                .map(|z| z.timestamp().as_second());
        }
    }
    // `get`, not slicing: byte 10 may fall inside a multi-byte character of a garbled date.
    if let Some(Ok(d)) = s.get(..10).map(str::parse::<jiff::civil::Date>) {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_second());
    }
    if let Ok(d) = jiff::civil::Date::strptime("%d %b %Y", s) {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_second());
    }
    // Early DTSA headers: `August 26th, 2005`.
    let cleaned: String = s
        .replace(',', "")
        .split_whitespace()
        .map(|w| {
            let digits = w.trim_end_matches(|c: char| c.is_ascii_alphabetic());
            if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) {
                digits.to_string()
            } else {
                w.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" ");
    if let Ok(d) = jiff::civil::Date::strptime("%B %d %Y", &cleaned) {
        return d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp().as_second());
    }
    None
}

/// `YYYY-MM-DD` of Unix seconds, for reports.
pub(crate) fn day(secs: i64) -> String {
    jiff::Timestamp::from_second(secs)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(parse("2022-05-18T00:00:00Z"), Some(1_652_832_000));
        assert_eq!(parse("2022-05-18"), Some(1_652_832_000));
        assert_eq!(parse("2022-05-18 00:00:00 UTC"), Some(1_652_832_000));
        assert_eq!(parse("18 May 2022"), Some(1_652_832_000));
        assert_eq!(parse("2022-05-18T00:00:00.333"), Some(1_652_832_000));
        assert_eq!(parse("2022-05-18 00:00:00 +0000"), Some(1_652_832_000));
        assert_eq!(parse("May 18th, 2022"), Some(1_652_832_000));
        assert_eq!(parse("soon"), None);
        assert_eq!(parse(""), None);
        assert_eq!(day(1_652_832_000), "2022-05-18");
    }
}
