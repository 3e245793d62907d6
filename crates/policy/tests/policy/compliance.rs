//! Each compliance check failing and passing, and the compliance policy over them.

use super::support::{now, vulnimage_packages};
use crowsnest_model::{ImageConfigFacts, Package, PackageKind};
use crowsnest_policy::{
    CHECK_CLOUD_CREDENTIALS, CHECK_ENV_SECRETS, CHECK_HEALTHCHECK, CHECK_IMAGE_AGE, CHECK_NON_ROOT,
    CHECK_PRIVATE_KEYS, CHECK_SETUID, CHECK_SSHD, CHECKS, COMPLIANCE_POLICY_TYPE, Collection,
    ComplianceInput, FileFinding, FileKind, ImageScope, Policy, PolicyRule, evaluate_compliance,
    run_checks,
};

/// A config that passes every config check: a user, a health check, a clean environment.
fn hardened() -> ImageConfigFacts {
    ImageConfigFacts {
        user: "10001:10001".into(),
        healthcheck: true,
        env: vec![
            "PATH=/usr/local/bin:/usr/bin:/bin".into(),
            "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D".into(),
            "PYTHON_VERSION=3.11.7".into(),
        ],
        created: Some("2026-10-20T08:00:00Z".into()),
        ..Default::default()
    }
}

fn failed(input: &ComplianceInput<'_>) -> Vec<i64> {
    run_checks(input, now())
        .into_iter()
        .filter(|o| !o.passed)
        .map(|o| o.check.id)
        .collect()
}

fn cause(input: &ComplianceInput<'_>, id: i64) -> String {
    run_checks(input, now())
        .into_iter()
        .find(|o| o.check.id == id)
        .map(|o| o.cause)
        .unwrap()
}

#[test]
fn a_hardened_image_passes_everything() {
    let config = hardened();
    let outcomes = run_checks(&ComplianceInput::new(&config), now());
    assert_eq!(outcomes.len(), CHECKS.len());
    assert!(
        outcomes.iter().all(|o| o.passed && o.cause.is_empty()),
        "{outcomes:?}"
    );
}

#[test]
fn runs_as_root() {
    for user in ["", "root", "0", "0:0"] {
        let config = ImageConfigFacts {
            user: user.into(),
            ..hardened()
        };
        assert_eq!(
            failed(&ComplianceInput::new(&config)),
            vec![CHECK_NON_ROOT],
            "{user:?}"
        );
    }
    let config = ImageConfigFacts {
        user: String::new(),
        ..hardened()
    };
    assert_eq!(
        cause(&ComplianceInput::new(&config), CHECK_NON_ROOT),
        "The image config sets no USER"
    );
}

#[test]
fn no_healthcheck() {
    let config = ImageConfigFacts {
        healthcheck: false,
        ..hardened()
    };
    assert_eq!(
        failed(&ComplianceInput::new(&config)),
        vec![CHECK_HEALTHCHECK]
    );
}

#[test]
fn secrets_in_environment_variables_name_the_variables_only() {
    let mut config = hardened();
    config.env.push("MYSQL_ROOT_PASSWORD=hunter2".into());
    config
        .env
        .push("BOOT=--aws-key=AKIAIOSFODNN7EXAMPLE".into());
    let input = ComplianceInput::new(&config);
    assert_eq!(failed(&input), vec![CHECK_ENV_SECRETS]);
    let c = cause(&input, CHECK_ENV_SECRETS);
    assert_eq!(c, "Found: MYSQL_ROOT_PASSWORD, BOOT");
    assert!(!c.contains("hunter2") && !c.contains("AKIA"));
    // The Docker convention of pointing at a secret file is not a secret.
    let mut config = hardened();
    config
        .env
        .push("MYSQL_ROOT_PASSWORD_FILE=/run/secrets/db".into());
    assert!(failed(&ComplianceInput::new(&config)).is_empty());
}

#[test]
fn private_keys_and_cloud_credentials_in_files() {
    let config = hardened();
    let files = vec![
        FileFinding::new("/root/.ssh/id_rsa", 0o600, FileKind::PrivateKey),
        FileFinding::new("/etc/ssl/private/server.key", 0o600, FileKind::PrivateKey),
        FileFinding::new("/root/.aws/credentials", 0o600, FileKind::CloudCredential),
    ];
    let input = ComplianceInput::new(&config).files(&files);
    assert_eq!(
        failed(&input),
        vec![CHECK_PRIVATE_KEYS, CHECK_CLOUD_CREDENTIALS]
    );
    assert_eq!(
        cause(&input, CHECK_PRIVATE_KEYS),
        "Found: /etc/ssl/private/server.key, /root/.ssh/id_rsa"
    );
    assert_eq!(
        cause(&input, CHECK_CLOUD_CREDENTIALS),
        "Found: /root/.aws/credentials"
    );
}

#[test]
fn setuid_and_setgid_files_by_kind_or_mode() {
    let config = hardened();
    let files = vec![
        FileFinding::new("/usr/bin/passwd", 0o4755, FileKind::Setuid),
        FileFinding::new("/usr/bin/chage", 0o2755, FileKind::Setgid),
    ];
    let input = ComplianceInput::new(&config).files(&files);
    assert_eq!(failed(&input), vec![CHECK_SETUID]);
    assert_eq!(
        cause(&input, CHECK_SETUID),
        "Found: /usr/bin/chage, /usr/bin/passwd"
    );
    // A key file whose mode carries the setuid bit counts too.
    let odd = vec![FileFinding::new("/opt/x", 0o4700, FileKind::PrivateKey)];
    assert_eq!(
        failed(&ComplianceInput::new(&config).files(&odd)),
        vec![CHECK_PRIVATE_KEYS, CHECK_SETUID]
    );
}

#[test]
fn sshd_installed_from_a_real_package_list() {
    let config = hardened();
    let packages = vulnimage_packages();
    let input = ComplianceInput::new(&config).packages(&packages);
    assert_eq!(failed(&input), vec![CHECK_SSHD]);
    assert!(
        cause(&input, CHECK_SSHD).contains("package openssh-server "),
        "{}",
        cause(&input, CHECK_SSHD)
    );
    // The same image without the server packages passes: clients and keygen are fine.
    let clients: Vec<Package> = packages
        .into_iter()
        .filter(|p| !p.name.starts_with("openssh-server"))
        .collect();
    assert!(clients.iter().any(|p| p.name == "openssh-client"));
    assert!(failed(&ComplianceInput::new(&config).packages(&clients)).is_empty());
}

#[test]
fn sshd_binary_without_a_package() {
    let config = hardened();
    let files = vec![FileFinding::new(
        "/usr/local/sbin/sshd",
        0o755,
        FileKind::SshDaemon,
    )];
    assert_eq!(
        failed(&ComplianceInput::new(&config).files(&files)),
        vec![CHECK_SSHD]
    );
    let pkgs = vec![Package {
        kind: PackageKind::Dpkg,
        name: "dropbear".into(),
        version: "2022.83-1+deb12u1".into(),
        source_name: None,
        source_version: None,
        arch: None,
        module: None,
        path: "var/lib/dpkg/status".into(),
        purl: None,
        license: None,
        layer_digest: None,
    }];
    assert_eq!(
        failed(&ComplianceInput::new(&config).packages(&pkgs)),
        vec![CHECK_SSHD]
    );
}

#[test]
fn image_age() {
    let mut config = hardened();
    config.created = Some("2024-06-01T00:00:00Z".into());
    let input = ComplianceInput::new(&config);
    assert_eq!(failed(&input), vec![CHECK_IMAGE_AGE]);
    assert!(
        cause(&input, CHECK_IMAGE_AGE).contains("883 days ago"),
        "{}",
        cause(&input, CHECK_IMAGE_AGE)
    );
    // A longer limit, or an explicit creation time, decide.
    assert!(failed(&ComplianceInput::new(&config).max_age_days(1000)).is_empty());
    assert!(failed(&ComplianceInput::new(&config).created(now())).is_empty());
    // Reproducible builds stamp the epoch; that is no age at all.
    config.created = Some("1970-01-01T00:00:00Z".into());
    assert!(failed(&ComplianceInput::new(&config)).is_empty());
    config.created = Some("not a time".into());
    assert!(failed(&ComplianceInput::new(&config)).is_empty());
}

fn rooted_image_with_keys() -> (ImageConfigFacts, Vec<FileFinding>) {
    let config = ImageConfigFacts {
        user: String::new(),
        ..hardened()
    };
    let files = vec![FileFinding::new(
        "/app/server.key",
        0o644,
        FileKind::PrivateKey,
    )];
    (config, files)
}

#[test]
fn default_policy_alerts_on_every_failed_check() {
    let (config, files) = rooted_image_with_keys();
    let outcomes = run_checks(&ComplianceInput::new(&config).files(&files), now());
    let out = evaluate_compliance(
        &Policy::default_compliance(),
        &[],
        &ImageScope::new("", "app", "1"),
        &outcomes,
    );
    assert_eq!(
        out.rule.as_deref(),
        Some(crowsnest_policy::DEFAULT_COMPLIANCE_RULE)
    );
    let ids: Vec<i64> = out.issues.iter().map(|v| v.id).collect();
    assert_eq!(ids, vec![CHECK_NON_ROOT, CHECK_PRIVATE_KEYS]);
    assert!(!out.blocked);
    let keys = &out.issues[1];
    assert_eq!(keys.title, "Private keys stored in image");
    assert_eq!(keys.severity, "high");
    assert_eq!(keys.cause, "Found: /app/server.key");
    assert_eq!(keys.kind, "image");
}

#[test]
fn a_rule_enables_checks_by_id_and_may_block() {
    let (config, files) = rooted_image_with_keys();
    let outcomes = run_checks(&ComplianceInput::new(&config).files(&files), now());
    let p = Policy::with_rules(
        COMPLIANCE_POLICY_TYPE,
        vec![
            PolicyRule::named("keys block")
                .check(CHECK_PRIVATE_KEYS, true)
                .check(CHECK_HEALTHCHECK, false),
        ],
    );
    let out = evaluate_compliance(&p, &[], &ImageScope::new("", "app", "1"), &outcomes);
    assert_eq!(out.issues.len(), 1, "root is not enabled by this rule");
    assert!(out.issues[0].block);
    assert!(out.blocked);
    assert!(
        out.block_reasons[0].contains("425"),
        "{:?}",
        out.block_reasons
    );
    assert!(out.passed.is_empty());
    // allCompliance lists the enabled checks that passed.
    let mut rule = p.rules[0].clone();
    rule.all_compliance = true;
    let p = Policy::with_rules(COMPLIANCE_POLICY_TYPE, vec![rule]);
    let out = evaluate_compliance(&p, &[], &ImageScope::new("", "app", "1"), &outcomes);
    assert_eq!(
        out.passed.iter().map(|v| v.id).collect::<Vec<_>>(),
        vec![CHECK_HEALTHCHECK]
    );
}

#[test]
fn compliance_rules_are_scoped_by_collection_too() {
    let (config, files) = rooted_image_with_keys();
    let outcomes = run_checks(&ComplianceInput::new(&config).files(&files), now());
    let cat = vec![Collection::named("internal").with_images(&["registry.corp:5000/*"])];
    let p = Policy::with_rules(
        COMPLIANCE_POLICY_TYPE,
        vec![
            PolicyRule::named("internal")
                .scoped(vec![Collection::named("internal")])
                .check(CHECK_NON_ROOT, true),
        ],
    );
    let inside = evaluate_compliance(
        &p,
        &cat,
        &ImageScope::new("registry.corp:5000", "team/app", "1"),
        &outcomes,
    );
    assert!(inside.blocked);
    // No rule for Docker Hub images: every failed check is reported, nothing blocks.
    let outside = evaluate_compliance(&p, &cat, &ImageScope::new("", "app", "1"), &outcomes);
    assert_eq!(outside.rule, None);
    assert_eq!(outside.issues.len(), 2);
    assert!(!outside.blocked);
}
