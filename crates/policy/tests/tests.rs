//! Integration tests of the public API: policy evaluation, compliance checks, the CSV report and
//! loading stored documents. Findings come from real NVD records and packages from a real image's
//! package list (both under `../shared`).

mod policy;
