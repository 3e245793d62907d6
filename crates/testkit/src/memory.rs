//! The process's memory as Linux reports it in `/proc/self/status`, for tests and benchmarks
//! that bound or report resident memory. `None` where the file or field is missing.

/// Resident set size now, in bytes (`VmRSS`).
pub fn rss_bytes() -> Option<u64> {
    status_kib("VmRSS:").map(|k| k * 1024)
}

/// The highest resident set size so far, in bytes (`VmHWM`).
pub fn peak_rss_bytes() -> Option<u64> {
    status_kib("VmHWM:").map(|k| k * 1024)
}

fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_this_process() {
        let now = super::rss_bytes().expect("VmRSS");
        let peak = super::peak_rss_bytes().expect("VmHWM");
        assert!(now > 0 && peak >= now, "{now} {peak}");
    }
}
