//! Language package detectors on the peers' real metadata files and archives.

use crate::support::read;
use crowsnest_analyzer::{Limits, parse};

const PY: &str = "trivy/pkg/dependency/parser/python/packaging/testdata";
const JAR: &str = "trivy/pkg/dependency/parser/java/jar/testdata";

#[test]
fn python_metadata_matches_expected() {
    let expected: serde_json::Value =
        serde_json::from_slice(&read("trivy/EXPECTED.transcribed.json")).unwrap();
    let mut checked = 0;
    for (key, case) in expected.as_object().unwrap() {
        let Some(file) = key.strip_prefix("pkg/dependency/parser/python/packaging/testdata/")
        else {
            continue;
        };
        let data = read(&format!("{PY}/{file}"));
        let got = parse::python_metadata(&data, file);
        if case["wantErr"] == serde_json::Value::Bool(true) {
            assert!(got.is_err(), "{file} must be rejected");
        } else {
            let got = got.unwrap_or_else(|e| panic!("{file}: {e}"));
            let want = &case["want"][0];
            assert_eq!(got.name, want["Name"].as_str().unwrap(), "{file}");
            assert_eq!(got.version, want["Version"].as_str().unwrap(), "{file}");
        }
        checked += 1;
    }
    assert_eq!(checked, 11);
}

#[test]
fn python_licenses() {
    let p = parse::python_metadata(&read(&format!("{PY}/iniconfig-2.0.0.METADATA")), "m").unwrap();
    assert_eq!(p.license.as_deref(), Some("MIT"));
    let p = parse::python_metadata(&read(&format!("{PY}/zipp-3.12.1.METADATA")), "m").unwrap();
    assert_eq!(p.license.as_deref(), Some("MIT License"));
    let p =
        parse::python_metadata(&read(&format!("{PY}/distlib-0.3.1-py3.9.egg-info")), "m").unwrap();
    assert_eq!(p.license.as_deref(), Some("Python license"));
}

fn jar(file: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = parse::java_archive(
        &read(&format!("{JAR}/{file}")),
        &format!("app/{file}"),
        &Limits::default(),
    )
    .unwrap()
    .into_iter()
    .map(|p| (p.name, p.version))
    .collect();
    v.sort();
    v
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn jars_match_trivy_offline_expectations() {
    assert_eq!(
        jar("nested.jar"),
        pairs(&[
            ("test:nested", "0.0.1"),
            ("test:nested2", "0.0.2"),
            ("test:nested3", "0.0.3")
        ])
    );
    assert_eq!(
        jar("hadoop-shaded-guava-1.1.0-SNAPSHOT.jar"),
        pairs(&[
            ("com.google.guava:failureaccess", "1.0.1"),
            ("com.google.guava:guava", "29.0-jre"),
            (
                "com.google.guava:listenablefuture",
                "9999.0-empty-to-avoid-conflict-with-guava"
            ),
            ("com.google.j2objc:j2objc-annotations", "1.3"),
            (
                "org.apache.hadoop.thirdparty:hadoop-shaded-guava",
                "1.1.0-SNAPSHOT"
            ),
        ])
    );
    assert_eq!(
        jar("multi-license-1.0.0.jar"),
        pairs(&[("com.example:multi-license", "1.0.0")])
    );
    assert_eq!(
        jar("test.jar"),
        pairs(&[("org.springframework:Spring Framework", "2.5.6.SEC03")])
    );
    // No metadata inside: the file name is all there is.
    assert_eq!(
        jar("heuristic-1.0.0-SNAPSHOT.jar"),
        pairs(&[("heuristic", "1.0.0-SNAPSHOT")])
    );
    let jenkins = parse::java_archive(
        &read(&format!("{JAR}/license-from-jenkins-plugin.jar")),
        "p.jar",
        &Limits::default(),
    )
    .unwrap();
    assert_eq!(
        (jenkins[0].name.as_str(), jenkins[0].version.as_str()),
        ("com.example:jenkins-plugin", "1.0.0")
    );
    assert_eq!(
        jenkins[0].license.as_deref(),
        Some("Apache License, Version 2.0, MIT License")
    );
}

#[test]
fn nested_jar_paths_name_the_chain() {
    let p = parse::java_archive(
        &read(&format!("{JAR}/nested.jar")),
        "app/nested.jar",
        &Limits::default(),
    )
    .unwrap();
    let n3 = p.iter().find(|p| p.name == "test:nested3").unwrap();
    assert_eq!(
        n3.path,
        "/app/nested.jar!META-INF/jars/nested2.jar!META-INF/jars/nested3.jar"
    );
    // With nesting capped at 1, the innermost jar is not opened.
    let limits = Limits {
        max_nesting: 1,
        ..Limits::default()
    };
    let p = parse::java_archive(
        &read(&format!("{JAR}/nested.jar")),
        "app/nested.jar",
        &limits,
    )
    .unwrap();
    assert_eq!(p.len(), 2);
}

#[test]
fn go_and_rust_detectors_refuse_non_binaries() {
    // The peers' "sad path" input: a text file is not an executable.
    let dummy = read("trivy/pkg/dependency/parser/golang/binary/testdata/dummy");
    assert!(parse::go_binary(&dummy, "dummy").unwrap().is_empty());
    let dummy = read("trivy/pkg/dependency/parser/rust/binary/testdata/dummy");
    assert!(parse::rust_binary(&dummy, "dummy").unwrap().is_empty());
}

#[test]
fn go_binary_on_this_machine() {
    // The Docker CLI that this kind of machine ships is a real Go binary; `docker version`
    // (the program itself, reading its own build info) tells which toolchain built it.
    let out = std::process::Command::new("sh")
        .args(["-c", "command -v docker"])
        .output()
        .unwrap();
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        !path.is_empty(),
        "this test needs the docker CLI (a real Go binary) on PATH"
    );
    let data = std::fs::read(&path).unwrap();
    let pkgs = parse::go_binary(&data, path.trim_start_matches('/')).unwrap();
    let stdlib = pkgs
        .iter()
        .find(|p| p.name == "stdlib")
        .expect("Go toolchain version");
    let out = std::process::Command::new(&path)
        .args(["version", "--format", "{{.Client.GoVersion}}"])
        .output()
        .unwrap();
    let want = String::from_utf8_lossy(&out.stdout)
        .trim()
        .trim_start_matches("go")
        .to_string();
    assert!(!want.is_empty(), "docker version printed no Go version");
    assert_eq!(stdlib.version, want);
    // It is built from a vendor tree in GOPATH mode: build info without a module list.
    assert_eq!(pkgs.len(), 1, "{pkgs:?}");
}

#[test]
fn installed_gemspecs_match_rubygems() {
    // Debian's ruby installs real RubyGems-generated specifications; RubyGems itself reads them
    // for the expected values.
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for dir in [
        "/usr/lib/ruby/gems",
        "/usr/share/rubygems-integration/all/specifications",
    ] {
        let out = std::process::Command::new("find")
            .args([dir, "-name", "*.gemspec", "-path", "*specifications*"])
            .output()
            .unwrap();
        files.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(std::path::PathBuf::from),
        );
    }
    assert!(
        files.len() >= 5,
        "needs Debian's ruby (scripts/test-deps.sh installs it)"
    );
    let script = "ARGV.each { |f| s = Gem::Specification.load(f); puts [s.name, s.version, s.licenses.join(', ')].join('|') }";
    let out = std::process::Command::new("ruby")
        .arg("-e")
        .arg(script)
        .args(&files)
        .output()
        .expect("ruby");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    let got: Vec<String> = files
        .iter()
        .map(|f| {
            let p = parse::ruby_gemspec(&std::fs::read(f).unwrap(), "x")
                .unwrap()
                .unwrap();
            format!("{}|{}|{}", p.name, p.version, p.license.unwrap_or_default())
        })
        .collect();
    assert_eq!(got, want);
}
