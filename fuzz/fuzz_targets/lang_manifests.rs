//! Language package manifests and lock files: Python METADATA / PKG-INFO (egg-info), npm
//! package.json, package-lock.json, yarn.lock, pnpm-lock.yaml, Composer installed.json, RubyGems
//! gemspecs, Cargo.lock and .NET deps.json.
//!
//! Input: the first byte picks the parser; the rest is the file. Nothing may panic, and every
//! package returned must have a name (what the matcher keys on).

#![no_main]

use crowsnest_analyzer::{Package, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let packages: Vec<Package> = match selector % 9 {
        0 => parse::python_metadata(file, "usr/lib/python3/site-packages/x.dist-info/METADATA")
            .map(|p| vec![p])
            .unwrap_or_default(),
        1 => parse::npm_package_json(file, "app/node_modules/x/package.json")
            .ok()
            .flatten()
            .into_iter()
            .collect(),
        2 => parse::npm_package_lock(file, "app/package-lock.json").unwrap_or_default(),
        3 => parse::yarn_lock(file, "app/yarn.lock").unwrap_or_default(),
        4 => parse::pnpm_lock(file, "app/pnpm-lock.yaml").unwrap_or_default(),
        5 => parse::composer_installed(file, "app/vendor/composer/installed.json")
            .unwrap_or_default(),
        6 => parse::ruby_gemspec(file, "usr/lib/ruby/gems/3.1.0/specifications/x.gemspec")
            .ok()
            .flatten()
            .into_iter()
            .collect(),
        7 => parse::cargo_lock(file, "app/Cargo.lock").unwrap_or_default(),
        _ => parse::dotnet_deps(file, "app/app.deps.json").unwrap_or_default(),
    };
    for p in &packages {
        assert!(!p.name.is_empty(), "{p:?}");
    }
});
