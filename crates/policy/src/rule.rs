//! Policies as Prisma's API spells them: `shared.Policy` and `shared.PolicyRule`, with the
//! built-in defaults and the validation a `PUT` goes through.
//!
//! A client PUTs a whole [`Policy`]; [`Policy::validate`] rejects what cannot be evaluated
//! (thresholds out of range or out of order, unparsable expiry dates, duplicate rule names) and
//! [`Policy::normalise`] sets the identity fields. Fields this crate does not interpret (`action`,
//! `group`, `license`, …) are kept in `extra` so a GET returns them unchanged.

use crate::collection::Collection;
use crate::error::PolicyError;
use serde::{Deserialize, Serialize};

/// `policyType` (and `_id`) of the deployed-images vulnerability policy.
pub const VULNERABILITY_POLICY_TYPE: &str = "containerVulnerability";
/// `policyType` (and `_id`) of the containers-and-images compliance policy.
pub const COMPLIANCE_POLICY_TYPE: &str = "containerCompliance";
/// Name of the built-in vulnerability rule.
pub const DEFAULT_VULNERABILITY_RULE: &str = "Default - alert all components";
/// Name of the built-in compliance rule. Prisma's own default rule only enables its critical and
/// high checks; Crowsnest's default enables every check it implements, alert only.
pub const DEFAULT_COMPLIANCE_RULE: &str = "Default - alert on all checks";

/// Threshold values on Prisma's 0–9 scale.
pub const THRESHOLD_OFF: f64 = 0.0;
pub const THRESHOLD_LOW: f64 = 1.0;
pub const THRESHOLD_MEDIUM: f64 = 4.0;
pub const THRESHOLD_HIGH: f64 = 7.0;
pub const THRESHOLD_CRITICAL: f64 = 9.0;

const MAX_RULES: usize = 1000;

/// `shared.Policy`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Policy {
    #[serde(rename = "_id")]
    pub id: String,
    pub policy_type: String,
    pub rules: Vec<PolicyRule>,
}

/// `shared.AlertThreshold`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AlertThreshold {
    pub disabled: bool,
    pub value: f64,
}

/// `shared.BlockThreshold`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlockThreshold {
    pub enabled: bool,
    pub value: f64,
}

/// `shared.GraceDaysPolicy`: grace days per normalised severity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GraceDaysPolicy {
    pub enabled: bool,
    pub low: i64,
    pub medium: i64,
    pub high: i64,
    pub critical: i64,
}

/// `vuln.Effect`: what an exception does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Effect {
    Ignore,
    #[default]
    Alert,
    Block,
}

/// `vuln.ExpirationDate`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Expiration {
    pub enabled: bool,
    /// RFC 3339.
    pub date: String,
}

impl Expiration {
    /// An exception whose expiry is enabled and in the past is ignored (it stays in the list).
    pub fn expired(&self, now: jiff::Timestamp) -> bool {
        self.enabled
            && match parse_time(&self.date) {
                Some(t) => t <= now,
                // Validation refuses unparsable dates; a stored one that slipped through counts as
                // expired, so a broken exception can never silence a finding.
                None => true,
            }
    }
}

/// `shared.CVERule`: an exception for one CVE.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CveRule {
    pub id: String,
    pub effect: Effect,
    pub description: String,
    pub expiration: Expiration,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `shared.TagRule`: an exception for every CVE carrying a vulnerability tag.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TagRule {
    pub name: String,
    pub effect: Effect,
    pub description: String,
    pub expiration: Expiration,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `shared.RiskFactorEffect`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RiskFactorEffect {
    pub risk_factor: String,
    pub effect: Effect,
}

/// `shared.PkgTypeThreshold`: thresholds for one package type (`package`, `python`, …).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PkgTypeThreshold {
    #[serde(rename = "type")]
    pub kind: String,
    pub alert_threshold: AlertThreshold,
    pub block_threshold: BlockThreshold,
}

/// `vuln.Condition`: one compliance check a rule enables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CheckCondition {
    pub id: i64,
    pub block: bool,
}

/// `shared.Conditions`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Conditions {
    pub vulnerabilities: Vec<CheckCondition>,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// `shared.PolicyRule`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyRule {
    pub name: String,
    pub previous_name: String,
    pub notes: String,
    pub owner: String,
    pub modified: String,
    pub disabled: bool,
    pub collections: Vec<Collection>,
    pub effect: String,
    pub alert_threshold: AlertThreshold,
    pub block_threshold: BlockThreshold,
    pub only_fixed: bool,
    pub grace_days: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_days_policy: Option<GraceDaysPolicy>,
    pub cve_rules: Vec<CveRule>,
    pub tags: Vec<TagRule>,
    pub risk_factors_effects: Vec<RiskFactorEffect>,
    pub pkg_types_thresholds: Vec<PkgTypeThreshold>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<Conditions>,
    pub verbose: bool,
    pub block_msg: String,
    pub all_compliance: bool,
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Default for PolicyRule {
    fn default() -> PolicyRule {
        PolicyRule {
            name: String::new(),
            previous_name: String::new(),
            notes: String::new(),
            owner: String::new(),
            modified: String::new(),
            disabled: false,
            collections: vec![Collection::all()],
            effect: "alert".to_string(),
            alert_threshold: AlertThreshold {
                disabled: false,
                value: THRESHOLD_LOW,
            },
            block_threshold: BlockThreshold::default(),
            only_fixed: false,
            grace_days: 0,
            grace_days_policy: None,
            cve_rules: Vec::new(),
            tags: Vec::new(),
            risk_factors_effects: Vec::new(),
            pkg_types_thresholds: Vec::new(),
            condition: None,
            verbose: false,
            block_msg: String::new(),
            all_compliance: false,
            extra: serde_json::Map::new(),
        }
    }
}

impl PolicyRule {
    /// A rule scoped to `All` that alerts from low up and never blocks; builders change it.
    pub fn named(name: &str) -> PolicyRule {
        PolicyRule {
            name: name.to_string(),
            ..PolicyRule::default()
        }
    }

    pub fn scoped(mut self, collections: Vec<Collection>) -> PolicyRule {
        self.collections = collections;
        self
    }

    pub fn alert_at(mut self, value: f64) -> PolicyRule {
        self.alert_threshold = AlertThreshold {
            disabled: false,
            value,
        };
        self
    }

    pub fn block_at(mut self, value: f64) -> PolicyRule {
        self.block_threshold = BlockThreshold {
            enabled: true,
            value,
        };
        self.effect = "block".to_string();
        self
    }

    pub fn grace(mut self, days: i64) -> PolicyRule {
        self.grace_days = days;
        self
    }

    pub fn only_fixed(mut self) -> PolicyRule {
        self.only_fixed = true;
        self
    }

    pub fn disabled(mut self) -> PolicyRule {
        self.disabled = true;
        self
    }

    pub fn cve_exception(mut self, cve: &str, effect: Effect, expires: Option<&str>) -> PolicyRule {
        self.cve_rules.push(CveRule {
            id: cve.to_string(),
            effect,
            expiration: Expiration {
                enabled: expires.is_some(),
                date: expires.unwrap_or_default().to_string(),
            },
            ..CveRule::default()
        });
        self
    }

    pub fn tag_exception(mut self, tag: &str, effect: Effect, expires: Option<&str>) -> PolicyRule {
        self.tags.push(TagRule {
            name: tag.to_string(),
            effect,
            expiration: Expiration {
                enabled: expires.is_some(),
                date: expires.unwrap_or_default().to_string(),
            },
            ..TagRule::default()
        });
        self
    }

    /// Compliance rules: enables the check, blocking or not.
    pub fn check(mut self, id: i64, block: bool) -> PolicyRule {
        self.condition
            .get_or_insert_with(Conditions::default)
            .vulnerabilities
            .push(CheckCondition { id, block });
        self
    }

    fn validate(&self, index: usize) -> Result<(), PolicyError> {
        let at =
            |msg: String| PolicyError::invalid(format!("rules[{index}] ({:?}): {msg}", self.name));
        if self.name.trim().is_empty() {
            return Err(PolicyError::invalid(format!(
                "rules[{index}]: a rule needs a name"
            )));
        }
        if self.name.chars().any(char::is_control) {
            return Err(at("the name has control characters".into()));
        }
        if !matches!(
            self.effect.as_str(),
            "" | "allow" | "deny" | "block" | "alert"
        ) {
            return Err(at(format!(
                "effect must be allow, deny, block or alert, not {:?}",
                self.effect
            )));
        }
        check_thresholds(&self.alert_threshold, &self.block_threshold).map_err(at)?;
        for t in &self.pkg_types_thresholds {
            check_thresholds(&t.alert_threshold, &t.block_threshold)
                .map_err(|m| at(format!("pkgTypesThresholds {:?}: {m}", t.kind)))?;
        }
        if self.grace_days < 0 {
            return Err(at("graceDays cannot be negative".into()));
        }
        if let Some(g) = &self.grace_days_policy
            && [g.low, g.medium, g.high, g.critical].iter().any(|d| *d < 0)
        {
            return Err(at("graceDaysPolicy days cannot be negative".into()));
        }
        for c in &self.cve_rules {
            if c.id.trim().is_empty() {
                return Err(at("a cveRules entry has no id".into()));
            }
            check_expiration(&c.expiration).map_err(|m| at(format!("cveRules {:?}: {m}", c.id)))?;
        }
        for t in &self.tags {
            if t.name.trim().is_empty() {
                return Err(at("a tags entry has no name".into()));
            }
            check_expiration(&t.expiration).map_err(|m| at(format!("tags {:?}: {m}", t.name)))?;
        }
        if self.collections.is_empty() {
            return Err(at(
                "a rule needs at least one collection (for example {\"name\":\"All\"})".into(),
            ));
        }
        for c in &self.collections {
            if !c.is_all() {
                c.validate().map_err(|e| at(e.to_string()))?;
            }
        }
        Ok(())
    }
}

fn check_thresholds(alert: &AlertThreshold, block: &BlockThreshold) -> Result<(), String> {
    for (what, v) in [
        ("alertThreshold", alert.value),
        ("blockThreshold", block.value),
    ] {
        if !(THRESHOLD_OFF..=THRESHOLD_CRITICAL).contains(&v) {
            return Err(format!("{what}.value must be between 0 and 9, not {v}"));
        }
    }
    // Blocking below the alert level would block on findings nobody is shown.
    if block.enabled && block.value > THRESHOLD_OFF && !alert.disabled && block.value < alert.value
    {
        return Err(format!(
            "the block threshold ({}) must be at or above the alert threshold ({})",
            block.value, alert.value
        ));
    }
    Ok(())
}

fn check_expiration(e: &Expiration) -> Result<(), String> {
    if e.enabled && parse_time(&e.date).is_none() {
        return Err(format!(
            "expiration.date must be an RFC 3339 time, not {:?}",
            e.date
        ));
    }
    Ok(())
}

/// RFC 3339, or a bare date taken as midnight UTC (the UI's date picker sends either).
pub(crate) fn parse_time(s: &str) -> Option<jiff::Timestamp> {
    let s = s.trim();
    if let Ok(t) = s.parse::<jiff::Timestamp>() {
        return Some(t);
    }
    let d: jiff::civil::Date = s.parse().ok()?;
    d.to_zoned(jiff::tz::TimeZone::UTC)
        .ok()
        .map(|z| z.timestamp())
}

impl Policy {
    /// The built-in vulnerability policy: one rule on `All` that alerts from low and never blocks.
    pub fn default_vulnerability() -> Policy {
        Policy {
            id: VULNERABILITY_POLICY_TYPE.to_string(),
            policy_type: VULNERABILITY_POLICY_TYPE.to_string(),
            rules: vec![PolicyRule {
                owner: "system".to_string(),
                modified: "0001-01-01T00:00:00Z".to_string(),
                ..PolicyRule::named(DEFAULT_VULNERABILITY_RULE)
            }],
        }
    }

    /// The built-in compliance policy: one rule on `All` that enables every implemented check,
    /// alert only.
    pub fn default_compliance() -> Policy {
        let rule = crate::checks::CHECKS.iter().fold(
            PolicyRule {
                owner: "system".to_string(),
                modified: "0001-01-01T00:00:00Z".to_string(),
                ..PolicyRule::named(DEFAULT_COMPLIANCE_RULE)
            },
            |rule, check| rule.check(check.id, false),
        );
        Policy {
            id: COMPLIANCE_POLICY_TYPE.to_string(),
            policy_type: COMPLIANCE_POLICY_TYPE.to_string(),
            rules: vec![rule],
        }
    }

    /// A policy of the given type with these rules, as a client would PUT it.
    pub fn with_rules(policy_type: &str, rules: Vec<PolicyRule>) -> Policy {
        Policy {
            id: policy_type.to_string(),
            policy_type: policy_type.to_string(),
            rules,
        }
    }

    /// Refuses what cannot be evaluated. `policy_type` is the type the endpoint serves; an empty
    /// `policyType` in the body is taken to mean it.
    pub fn validate(&self, policy_type: &str) -> Result<(), PolicyError> {
        if !self.policy_type.is_empty() && self.policy_type != policy_type {
            return Err(PolicyError::invalid(format!(
                "policyType must be {policy_type:?} on this endpoint, not {:?}",
                self.policy_type
            )));
        }
        if self.rules.len() > MAX_RULES {
            return Err(PolicyError::invalid(format!(
                "a policy may have at most {MAX_RULES} rules"
            )));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, rule) in self.rules.iter().enumerate() {
            rule.validate(i)?;
            if !seen.insert(rule.name.trim().to_lowercase()) {
                return Err(PolicyError::invalid(format!(
                    "rules[{i}]: the rule name {:?} is used twice",
                    rule.name
                )));
            }
        }
        Ok(())
    }

    /// Sets `_id`/`policyType`, trims names, and replaces each rule's collections with the
    /// catalogue's current definition where one exists (rules carry full collection objects).
    pub fn normalise(&mut self, policy_type: &str, catalogue: &[Collection]) {
        self.id = policy_type.to_string();
        self.policy_type = policy_type.to_string();
        for rule in &mut self.rules {
            rule.name = rule.name.trim().to_string();
            rule.previous_name = String::new();
            for c in &mut rule.collections {
                if c.is_all() {
                    *c = Collection::all();
                } else if let Some(current) = catalogue.iter().find(|k| k.name == c.name) {
                    *c = current.clone();
                } else {
                    c.normalise();
                }
            }
        }
    }

    /// Names of the rules that use the collection.
    pub fn rules_using(&self, collection: &str) -> Vec<String> {
        self.rules
            .iter()
            .filter(|r| r.collections.iter().any(|c| c.name == collection))
            .map(|r| r.name.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults() {
        let v = Policy::default_vulnerability();
        v.validate(VULNERABILITY_POLICY_TYPE).unwrap();
        assert_eq!(v.rules[0].name, DEFAULT_VULNERABILITY_RULE);
        assert_eq!(v.rules[0].alert_threshold.value, THRESHOLD_LOW);
        assert!(!v.rules[0].block_threshold.enabled);
        assert!(v.rules[0].collections[0].is_all());
        let c = Policy::default_compliance();
        c.validate(COMPLIANCE_POLICY_TYPE).unwrap();
        let ids: Vec<i64> = c.rules[0]
            .condition
            .as_ref()
            .unwrap()
            .vulnerabilities
            .iter()
            .map(|v| v.id)
            .collect();
        assert!(ids.contains(&41) && ids.contains(&425));
    }

    #[test]
    fn prisma_body_parses_and_keeps_unknown_fields() {
        let body = r#"{"_id":"containerVulnerability","policyType":"containerVulnerability","rules":[
          {"name":"r","collections":[{"name":"All"}],"effect":"alert","alertThreshold":{"disabled":false,"value":4},
           "blockThreshold":{"enabled":true,"value":9},"graceDays":30,"onlyFixed":true,
           "cveRules":[{"id":"CVE-2023-1","effect":"ignore","description":"n/a","expiration":{"enabled":true,"date":"2027-01-01T00:00:00Z"}}],
           "tags":[{"name":"in-review","effect":"alert","expiration":{"enabled":false,"date":"0001-01-01T00:00:00Z"}}],
           "riskFactorsEffects":[{"riskFactor":"Has fix","effect":"alert"}],
           "pkgTypesThresholds":[{"type":"python","alertThreshold":{"value":7},"blockThreshold":{"enabled":false,"value":0}}],
           "action":["*"],"group":["*"],"license":{"alertThreshold":{"enabled":false,"value":0}}}]}"#;
        let p: Policy = serde_json::from_str(body).unwrap();
        p.validate(VULNERABILITY_POLICY_TYPE).unwrap();
        assert_eq!(p.rules[0].cve_rules[0].effect, Effect::Ignore);
        let back = serde_json::to_value(&p).unwrap();
        assert_eq!(back["rules"][0]["action"][0], "*");
        assert_eq!(
            back["rules"][0]["license"]["alertThreshold"]["enabled"],
            false
        );
        assert_eq!(back["rules"][0]["collections"][0]["images"][0], "*");
    }

    #[test]
    fn invalid_policies() {
        let bad = |rule: PolicyRule| {
            Policy::with_rules(VULNERABILITY_POLICY_TYPE, vec![rule])
                .validate(VULNERABILITY_POLICY_TYPE)
                .unwrap_err()
                .to_string()
        };
        assert!(
            bad(PolicyRule::named("r").alert_at(7.0).block_at(4.0)).contains("block threshold")
        );
        assert!(bad(PolicyRule::named("r").alert_at(10.0)).contains("between 0 and 9"));
        assert!(bad(PolicyRule::named("r").alert_at(-1.0)).contains("between 0 and 9"));
        assert!(bad(PolicyRule::named("")).contains("needs a name"));
        assert!(bad(PolicyRule::named("r").grace(-1)).contains("graceDays"));
        assert!(bad(PolicyRule::named("r").scoped(vec![])).contains("collection"));
        assert!(
            bad(PolicyRule::named("r").cve_exception("CVE-1", Effect::Ignore, Some("soon")))
                .contains("RFC 3339")
        );
        let mut r = PolicyRule::named("r");
        r.effect = "explode".into();
        assert!(bad(r).contains("effect"));
        let twice = Policy::with_rules(
            VULNERABILITY_POLICY_TYPE,
            vec![PolicyRule::named("a"), PolicyRule::named("A")],
        );
        assert!(twice.validate(VULNERABILITY_POLICY_TYPE).is_err());
        let wrong_type = Policy::with_rules(COMPLIANCE_POLICY_TYPE, vec![]);
        assert!(wrong_type.validate(VULNERABILITY_POLICY_TYPE).is_err());
        // Bad enum words are refused by the parser.
        assert!(
            serde_json::from_str::<Policy>(
                r#"{"rules":[{"cveRules":[{"id":"x","effect":"maybe"}]}]}"#
            )
            .is_err()
        );
    }

    #[test]
    fn block_equal_to_alert_is_fine() {
        Policy::with_rules(
            VULNERABILITY_POLICY_TYPE,
            vec![PolicyRule::named("r").alert_at(7.0).block_at(7.0)],
        )
        .validate(VULNERABILITY_POLICY_TYPE)
        .unwrap();
    }

    #[test]
    fn expiry() {
        let now: jiff::Timestamp = "2026-06-01T00:00:00Z".parse().unwrap();
        let e = |enabled, date: &str| Expiration {
            enabled,
            date: date.into(),
        };
        assert!(e(true, "2026-05-31T23:59:59Z").expired(now));
        assert!(!e(true, "2026-06-02").expired(now));
        assert!(e(true, "2026-06-01").expired(now));
        assert!(!e(false, "2020-01-01T00:00:00Z").expired(now));
        assert!(e(true, "garbage").expired(now));
    }

    #[test]
    fn normalise_fills_collections_from_the_catalogue() {
        let cat = vec![Collection::named("web").with_images(&["nginx*"])];
        let mut p = Policy::with_rules(
            "",
            vec![
                PolicyRule::named(" r ")
                    .scoped(vec![Collection::named("web"), Collection::named("All")]),
            ],
        );
        p.normalise(VULNERABILITY_POLICY_TYPE, &cat);
        assert_eq!(p.policy_type, VULNERABILITY_POLICY_TYPE);
        assert_eq!(p.rules[0].name, "r");
        assert_eq!(p.rules[0].collections[0].images, vec!["nginx*"]);
        assert!(p.rules[0].collections[1].system);
        assert_eq!(p.rules_using("web"), vec!["r"]);
    }
}
