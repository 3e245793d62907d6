//! One module per kind of input, plus the catalogue check and shared fixtures.

mod api;
mod catalogue;
mod csv_injection;
mod feeds;
mod images;
mod support;
