//! Integration tests of crowsnest-vulndb on the real feed snapshot in `../shared/vulndb` and the
//! real package databases in `../shared/testdata`, both read in place.

mod tests {
    mod db;
    mod distros;
    mod fuzz_regressions;
    mod ghsa;
    mod import;
    mod matcher;
    mod support;
    mod vendor_feeds;
    mod withdrawn;
}
