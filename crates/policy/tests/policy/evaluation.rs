//! Every rule of vulnerability-policy evaluation, one test each.

use super::support::{DAY, days_ago, now, nvd, nvd_findings};
use crowsnest_model::{Finding, PackageKind};
use crowsnest_policy::{
    Collection, ComplianceInput, DEFAULT_VULNERABILITY_RULE, Effect, GraceDaysPolicy, ImageScope,
    PkgTypeThreshold, Policy, PolicyRule, PolicySet, RiskFactorEffect, THRESHOLD_CRITICAL,
    THRESHOLD_HIGH, THRESHOLD_LOW, THRESHOLD_MEDIUM, THRESHOLD_OFF, TagAssignments,
    VULNERABILITY_POLICY_TYPE, evaluate_image, evaluate_vulnerabilities,
};

fn policy(rules: Vec<PolicyRule>) -> Policy {
    Policy::with_rules(VULNERABILITY_POLICY_TYPE, rules)
}

fn alpine() -> ImageScope {
    ImageScope::new("", "alpine", "3.19")
}

/// A reported finding as the tests look at it: its id beside the policy's ruling.
struct Reported {
    cve: String,
    block: bool,
    grace_period_days: Option<i64>,
}

/// The outcome with each ruling joined to the finding it is about.
struct Outcome {
    rule: Option<String>,
    reported: Vec<Reported>,
    blocked: bool,
    block_reasons: Vec<String>,
}

/// CVE-2016-2781 (CVSS 4.6, medium), CVE-2016-3197 (no score, low), CVE-2016-3674 (7.5, high).
fn cves(reported: &[Reported]) -> Vec<&str> {
    reported.iter().map(|r| r.cve.as_str()).collect()
}

fn run(p: &Policy, cat: &[Collection], image: &ImageScope, findings: &[Finding]) -> Outcome {
    let out = evaluate_vulnerabilities(p, cat, image, findings, &TagAssignments::new(), now());
    Outcome {
        rule: out.rule,
        reported: out
            .reported
            .iter()
            .map(|r| Reported {
                cve: findings[r.index].id.clone(),
                block: r.block,
                grace_period_days: r.grace_period_days,
            })
            .collect(),
        blocked: out.blocked,
        block_reasons: out.block_reasons,
    }
}

#[test]
fn default_policy_alerts_on_everything_and_blocks_nothing() {
    let vulns = nvd_findings();
    let out = run(&Policy::default_vulnerability(), &[], &alpine(), &vulns);
    assert_eq!(out.rule.as_deref(), Some(DEFAULT_VULNERABILITY_RULE));
    assert_eq!(out.reported.len(), 3);
    assert!(!out.blocked);
    assert!(
        out.reported
            .iter()
            .all(|v| !v.block && v.grace_period_days.is_none())
    );
}

#[test]
fn the_first_enabled_matching_rule_applies() {
    let cat = vec![Collection::named("alpine images").with_images(&["alpine:*"])];
    let p = policy(vec![
        PolicyRule::named("disabled blocker")
            .alert_at(THRESHOLD_LOW)
            .block_at(THRESHOLD_LOW)
            .disabled(),
        PolicyRule::named("alpine: critical only")
            .scoped(vec![Collection::named("alpine images")])
            .alert_at(THRESHOLD_HIGH),
        PolicyRule::named("everything else"),
    ]);
    let vulns = nvd_findings();
    let out = run(&p, &cat, &alpine(), &vulns);
    assert_eq!(out.rule.as_deref(), Some("alpine: critical only"));
    assert_eq!(cves(&out.reported), vec!["CVE-2016-3674"]);
    let out = run(&p, &cat, &ImageScope::new("", "debian", "12"), &vulns);
    assert_eq!(out.rule.as_deref(), Some("everything else"));
    assert_eq!(out.reported.len(), 3);
}

#[test]
fn with_no_matching_rule_everything_is_reported() {
    let p = policy(vec![
        PolicyRule::named("nginx only")
            .scoped(vec![Collection::named("n").with_images(&["nginx*"])])
            .alert_at(THRESHOLD_CRITICAL)
            .block_at(THRESHOLD_CRITICAL),
    ]);
    let out = run(&p, &[], &alpine(), &nvd_findings());
    assert_eq!(out.rule, None);
    assert_eq!(out.reported.len(), 3);
    assert!(!out.blocked);
}

#[test]
fn alert_thresholds() {
    let vulns = nvd_findings();
    let at = |value: f64| {
        cves(
            &run(
                &policy(vec![PolicyRule::named("r").alert_at(value)]),
                &[],
                &alpine(),
                &vulns,
            )
            .reported,
        )
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>()
    };
    assert_eq!(at(THRESHOLD_LOW).len(), 3);
    assert_eq!(at(THRESHOLD_MEDIUM), vec!["CVE-2016-2781", "CVE-2016-3674"]);
    assert_eq!(at(THRESHOLD_HIGH), vec!["CVE-2016-3674"]);
    assert!(at(THRESHOLD_CRITICAL).is_empty());
    // Off: an empty report.
    assert!(at(THRESHOLD_OFF).is_empty());
    let mut r = PolicyRule::named("r");
    r.alert_threshold.disabled = true;
    assert!(
        run(&policy(vec![r]), &[], &alpine(), &vulns)
            .reported
            .is_empty()
    );
}

#[test]
fn the_vendor_word_beats_the_cvss_score() {
    // NVD scores CVE-2016-3674 7.5, but a distribution that rates it "negligible" decides.
    let v = nvd("CVE-2016-3674").severity("negligible").build();
    let out = run(
        &policy(vec![PolicyRule::named("r").alert_at(THRESHOLD_MEDIUM)]),
        &[],
        &alpine(),
        &[v],
    );
    assert!(out.reported.is_empty());
    let v = nvd("CVE-2016-3197").severity("important").build();
    let out = run(
        &policy(vec![PolicyRule::named("r").alert_at(THRESHOLD_HIGH)]),
        &[],
        &alpine(),
        &[v],
    );
    assert_eq!(out.reported.len(), 1);
}

#[test]
fn block_threshold_blocks_and_says_why() {
    let p = policy(vec![
        PolicyRule::named("block high")
            .alert_at(THRESHOLD_LOW)
            .block_at(THRESHOLD_HIGH),
    ]);
    let out = run(&p, &[], &alpine(), &nvd_findings());
    assert!(out.blocked);
    let blocked: Vec<&str> = out
        .reported
        .iter()
        .filter(|v| v.block)
        .map(|v| v.cve.as_str())
        .collect();
    assert_eq!(blocked, vec!["CVE-2016-3674"]);
    assert_eq!(out.block_reasons.len(), 1);
    assert!(
        out.block_reasons[0].contains("CVE-2016-3674"),
        "{:?}",
        out.block_reasons
    );
    assert!(out.block_reasons[0].contains("block high"));
    // Below the block threshold: reported, not blocked, and no grace number.
    let medium = out
        .reported
        .iter()
        .find(|v| v.cve == "CVE-2016-2781")
        .unwrap();
    assert!(!medium.block && medium.grace_period_days.is_none());
}

#[test]
fn only_fixed_skips_vulnerabilities_without_a_fix() {
    let vulns = vec![
        nvd("CVE-2016-2781").build(),
        nvd("CVE-2016-3674")
            .fixed("8.32-4+deb11u1", days_ago(100))
            .build(),
    ];
    let p = policy(vec![
        PolicyRule::named("fixed only")
            .only_fixed()
            .block_at(THRESHOLD_LOW),
    ]);
    let out = run(&p, &[], &alpine(), &vulns);
    assert_eq!(cves(&out.reported), vec!["CVE-2016-3674"]);
    assert!(out.reported[0].block);
}

#[test]
fn grace_days_count_from_the_fix_date() {
    let p = policy(vec![
        PolicyRule::named("grace")
            .block_at(THRESHOLD_HIGH)
            .grace(30),
    ]);
    let recent = nvd("CVE-2016-3674").fixed("1", days_ago(10)).build();
    let out = run(&p, &[], &alpine(), &[recent]);
    assert!(!out.blocked);
    assert!(!out.reported[0].block);
    assert_eq!(out.reported[0].grace_period_days, Some(20));
    let old = nvd("CVE-2016-3674").fixed("1", days_ago(40)).build();
    let out = run(&p, &[], &alpine(), &[old]);
    assert!(out.blocked);
    assert_eq!(out.reported[0].grace_period_days, Some(0));
    // Exactly on the last day of grace: one day is left until the day count reaches 30.
    let edge = nvd("CVE-2016-3674")
        .fixed("1", days_ago(29) - DAY / 2)
        .build();
    assert_eq!(
        run(&p, &[], &alpine(), &[edge]).reported[0].grace_period_days,
        Some(1)
    );
}

#[test]
fn without_a_fix_grace_counts_from_publication() {
    let p = policy(vec![
        PolicyRule::named("grace")
            .block_at(THRESHOLD_HIGH)
            .grace(30),
    ]);
    let fresh = nvd("CVE-2016-3674").published(days_ago(5)).build();
    let out = run(&p, &[], &alpine(), &[fresh]);
    assert_eq!(out.reported[0].grace_period_days, Some(25));
    assert!(!out.blocked);
    // The real publication date (2016) is long past any grace.
    let out = run(&p, &[], &alpine(), &[nvd("CVE-2016-3674").build()]);
    assert!(out.blocked);
    // Nothing to count from: no grace at all.
    let undated = nvd("CVE-2016-3674").published(0).build();
    assert!(run(&p, &[], &alpine(), &[undated]).blocked);
}

#[test]
fn grace_days_per_severity() {
    let mut rule = PolicyRule::named("tiered")
        .block_at(THRESHOLD_MEDIUM)
        .grace(365);
    rule.grace_days_policy = Some(GraceDaysPolicy {
        enabled: true,
        low: 90,
        medium: 60,
        high: 7,
        critical: 0,
    });
    let p = policy(vec![rule]);
    let vulns = vec![
        nvd("CVE-2016-2781").fixed("1", days_ago(20)).build(),
        nvd("CVE-2016-3674").fixed("1", days_ago(20)).build(),
    ];
    let out = run(&p, &[], &alpine(), &vulns);
    assert_eq!(out.reported[0].grace_period_days, Some(40));
    assert!(!out.reported[0].block);
    assert_eq!(out.reported[1].grace_period_days, Some(0));
    assert!(out.reported[1].block);
}

#[test]
fn cve_exceptions_and_their_expiry() {
    let vulns = nvd_findings();
    let base = || {
        PolicyRule::named("r")
            .alert_at(THRESHOLD_MEDIUM)
            .block_at(THRESHOLD_HIGH)
    };
    // ignore: gone from the report even though it is over the block threshold.
    let out = run(
        &policy(vec![base().cve_exception(
            "CVE-2016-3674",
            Effect::Ignore,
            None,
        )]),
        &[],
        &alpine(),
        &vulns,
    );
    assert_eq!(cves(&out.reported), vec!["CVE-2016-2781"]);
    assert!(!out.blocked);
    // alert: reported but never blocked.
    let out = run(
        &policy(vec![base().cve_exception(
            "cve-2016-3674",
            Effect::Alert,
            None,
        )]),
        &[],
        &alpine(),
        &vulns,
    );
    assert!(!out.blocked);
    assert_eq!(out.reported.len(), 2);
    // block: blocks a low finding below both thresholds, with no grace.
    let out = run(
        &policy(vec![base().grace(30).cve_exception(
            "CVE-2016-3197",
            Effect::Block,
            None,
        )]),
        &[],
        &alpine(),
        &vulns,
    );
    let low = out
        .reported
        .iter()
        .find(|v| v.cve == "CVE-2016-3197")
        .unwrap();
    assert!(low.block);
    assert_eq!(low.grace_period_days, Some(0));
    // An expired exception is ignored: the threshold decides again.
    let out = run(
        &policy(vec![base().cve_exception(
            "CVE-2016-3674",
            Effect::Ignore,
            Some("2026-10-31T00:00:00Z"),
        )]),
        &[],
        &alpine(),
        &vulns,
    );
    assert!(out.blocked);
    // One that expires tomorrow still holds.
    let out = run(
        &policy(vec![base().cve_exception(
            "CVE-2016-3674",
            Effect::Ignore,
            Some("2026-11-02"),
        )]),
        &[],
        &alpine(),
        &vulns,
    );
    assert!(!out.blocked);
}

#[test]
fn tag_exceptions_and_their_expiry() {
    let vulns = nvd_findings();
    let mut tags = TagAssignments::new();
    tags.insert("CVE-2016-3674".into(), vec!["accepted risk".into()]);
    let eval = |rule: PolicyRule| {
        evaluate_vulnerabilities(&policy(vec![rule]), &[], &alpine(), &vulns, &tags, now())
    };
    let base = || PolicyRule::named("r").block_at(THRESHOLD_HIGH);
    let out = eval(base().tag_exception("accepted risk", Effect::Ignore, None));
    assert!(!out.blocked);
    assert_eq!(out.reported.len(), 2);
    let out = eval(base().tag_exception(
        "accepted risk",
        Effect::Ignore,
        Some("2025-01-01T00:00:00Z"),
    ));
    assert!(out.blocked);
    let out = eval(base().tag_exception("other tag", Effect::Ignore, None));
    assert!(out.blocked);
    // A CVE exception wins over a tag exception.
    let out = eval(
        base()
            .cve_exception("CVE-2016-3674", Effect::Block, None)
            .tag_exception("accepted risk", Effect::Ignore, None),
    );
    assert!(out.blocked);
}

#[test]
fn risk_factor_effects() {
    let vulns = vec![
        nvd("CVE-2016-3197")
            .risk("Exploit exists - in the wild")
            .build(),
        nvd("CVE-2016-2781").build(),
    ];
    let mut rule = PolicyRule::named("kev")
        .alert_at(THRESHOLD_CRITICAL)
        .grace(365);
    rule.risk_factors_effects = vec![RiskFactorEffect {
        risk_factor: "Exploit exists - in the wild".into(),
        effect: Effect::Block,
    }];
    let out = run(&policy(vec![rule.clone()]), &[], &alpine(), &vulns);
    assert_eq!(cves(&out.reported), vec!["CVE-2016-3197"]);
    assert!(out.blocked, "blocking by risk factor has no grace period");
    rule.risk_factors_effects[0].effect = Effect::Alert;
    let out = run(&policy(vec![rule]), &[], &alpine(), &vulns);
    assert_eq!(cves(&out.reported), vec!["CVE-2016-3197"]);
    assert!(!out.blocked);
}

#[test]
fn package_type_thresholds_override_the_rule() {
    let vulns = vec![
        nvd("CVE-2016-3674")
            .pkg(PackageKind::Python, "urllib3", "1.26.4")
            .build(),
        nvd("CVE-2016-3674").build(),
    ];
    let mut rule = PolicyRule::named("r")
        .alert_at(THRESHOLD_LOW)
        .block_at(THRESHOLD_HIGH);
    rule.pkg_types_thresholds = vec![PkgTypeThreshold {
        kind: "python".into(),
        alert_threshold: crowsnest_policy::AlertThreshold {
            disabled: false,
            value: THRESHOLD_LOW,
        },
        block_threshold: crowsnest_policy::BlockThreshold {
            enabled: false,
            value: 0.0,
        },
    }];
    let out = run(&policy(vec![rule]), &[], &alpine(), &vulns);
    assert_eq!(out.reported.len(), 2);
    assert!(
        !out.reported[0].block,
        "python findings never block under this rule"
    );
    assert!(out.reported[1].block);
}

#[test]
fn exclusion_collections_send_an_image_to_the_next_rule() {
    let cat =
        vec![Collection::named("nginx but not latest").with_images(&["nginx*", "-nginx:latest"])];
    let p = policy(vec![
        PolicyRule::named("strict")
            .scoped(vec![Collection::named("nginx but not latest")])
            .block_at(THRESHOLD_LOW),
        PolicyRule::named("lenient"),
    ]);
    let vulns = nvd_findings();
    let pinned = run(
        &p,
        &cat,
        &ImageScope::new("docker.io", "library/nginx", "1.25.3"),
        &vulns,
    );
    assert_eq!(pinned.rule.as_deref(), Some("strict"));
    assert!(pinned.blocked);
    let latest = run(&p, &cat, &ImageScope::new("", "nginx", "latest"), &vulns);
    assert_eq!(latest.rule.as_deref(), Some("lenient"));
    assert!(!latest.blocked);
}

#[test]
fn rules_use_the_current_collection_definition() {
    // The rule stored a stale copy of "web" that matched alpine; the catalogue now says nginx.
    let stale = Collection::named("web").with_images(&["alpine*"]);
    let current = vec![Collection::named("web").with_images(&["nginx*"])];
    let p = policy(vec![
        PolicyRule::named("web")
            .scoped(vec![stale])
            .block_at(THRESHOLD_LOW),
    ]);
    let out = run(&p, &current, &alpine(), &nvd_findings());
    assert_eq!(out.rule, None);
}

#[test]
fn label_scoped_rules() {
    let cat = vec![Collection::named("prod").with_labels(&["env:prod*"])];
    let p = policy(vec![
        PolicyRule::named("prod")
            .scoped(vec![Collection::named("prod")])
            .block_at(THRESHOLD_MEDIUM),
        PolicyRule::named("rest"),
    ]);
    let prod = alpine().with_label("env", "production");
    assert_eq!(run(&p, &cat, &prod, &[]).rule.as_deref(), Some("prod"));
    assert_eq!(run(&p, &cat, &alpine(), &[]).rule.as_deref(), Some("rest"));
}

#[test]
fn evaluate_image_fills_the_verdict() {
    let set = PolicySet {
        vulnerability: policy(vec![
            PolicyRule::named("block critical+high").block_at(THRESHOLD_HIGH),
        ]),
        collections: vec![Collection::named("alpine").with_images(&["alpine*"])],
        ..PolicySet::default()
    };
    let config = crowsnest_model::ImageConfigFacts {
        user: "app".into(),
        healthcheck: true,
        ..Default::default()
    };
    let eval = evaluate_image(
        &set,
        &alpine(),
        &nvd_findings(),
        &ComplianceInput::new(&config),
        now(),
    );
    assert_eq!(eval.verdict.vulnerability_rule, "block critical+high");
    assert_eq!(
        eval.verdict.compliance_rule,
        crowsnest_policy::DEFAULT_COMPLIANCE_RULE
    );
    assert!(eval.verdict.blocked);
    assert_eq!(eval.verdict.block_reasons.len(), 1);
    assert_eq!(eval.collections, vec!["All", "alpine"]);
    assert_eq!(eval.vulnerabilities.len(), 3);
    assert!(
        eval.compliance_issues.is_empty(),
        "{:?}",
        eval.compliance_issues
    );
}

#[test]
fn many_blocking_findings_keep_the_verdict_small() {
    let vulns: Vec<Finding> = (0..500)
        .map(|i| {
            let mut v = nvd("CVE-2016-3674").build();
            v.package_name = format!("pkg{i}");
            v
        })
        .collect();
    let out = run(
        &policy(vec![PolicyRule::named("r").block_at(THRESHOLD_LOW)]),
        &[],
        &alpine(),
        &vulns,
    );
    assert_eq!(out.reported.len(), 500);
    assert_eq!(out.block_reasons.len(), 51);
    assert!(out.block_reasons[50].contains("450 more"));
}
