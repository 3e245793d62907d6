//! Integration tests of the `crowsnest` binary, run as a subprocess the way users run it: against
//! OCI layouts and docker archives built from real package databases, and against Debian's
//! `docker-registry` started by crowsnest-testkit on 127.0.0.1. The vulnerability database is
//! built once from the real feed snapshot in `../shared/vulndb` and shared by every test.

#[path = "tests/cloud.rs"]
mod cloud;
#[path = "tests/cluster.rs"]
mod cluster;
#[path = "tests/db_import.rs"]
mod db_import;
#[path = "tests/db_update.rs"]
mod db_update;
#[path = "tests/faults.rs"]
mod faults;
#[path = "tests/gitlab.rs"]
mod gitlab;
#[path = "tests/harbor.rs"]
mod harbor;
#[path = "tests/image_errors.rs"]
mod image_errors;
#[path = "tests/image_filters.rs"]
mod image_filters;
#[path = "tests/image_formats.rs"]
mod image_formats;
#[path = "tests/image_registry.rs"]
mod image_registry;
#[path = "tests/support.rs"]
mod support;
