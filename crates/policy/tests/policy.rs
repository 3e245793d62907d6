mod compliance;
mod csv_report;
mod evaluation;
mod loading;
mod support;
