mod compliance;
mod csv_report;
mod evaluation;
mod fuzz_regressions;
mod loading;
mod support;
