//! `/policies/vulnerability/images`, `/policies/compliance/container` and `/collections`: round
//! trips with snapshot-tested bodies, validation 400s, the protected built-in `All`, and auth.

use super::harness::{Auth, TestConsole, console};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const VULN: &str = "/api/v34.04/policies/vulnerability/images";
const COMPLIANCE: &str = "/api/v34.04/policies/compliance/container";
const COLLECTIONS: &str = "/api/v34.04/collections";

/// A Prisma-style vulnerability policy: a blocking rule for a web collection above the default.
fn web_policy() -> Value {
    json!({
        "_id": "containerVulnerability",
        "policyType": "containerVulnerability",
        "rules": [
            {
                "name": "web: block critical",
                "collections": [{"name": "web apps"}],
                "effect": "block",
                "alertThreshold": {"disabled": false, "value": 4},
                "blockThreshold": {"enabled": true, "value": 9},
                "graceDays": 30,
                "onlyFixed": true,
                "cveRules": [{
                    "id": "CVE-2016-2781",
                    "effect": "ignore",
                    "description": "chroot --userspec is not used",
                    "expiration": {"enabled": true, "date": "2027-01-01T00:00:00Z"}
                }],
                "tags": [],
                "action": ["*"],
                "group": ["*"],
                "principal": ["*"]
            },
            {
                "name": "Default - alert all components",
                "collections": [{"name": "All"}],
                "effect": "alert",
                "alertThreshold": {"disabled": false, "value": 1},
                "blockThreshold": {"enabled": false, "value": 0}
            }
        ]
    })
}

async fn put_json(
    c: &TestConsole,
    method: Method,
    path: &str,
    body: &Value,
) -> super::harness::Reply {
    c.admin(method, path, Some(&body.to_string())).await
}

async fn create_web_collection(c: &TestConsole) {
    let r = put_json(
        c,
        Method::POST,
        COLLECTIONS,
        &json!({"name": "web apps", "description": "public sites", "color": "#AB12CD",
                "images": ["nginx*", "-nginx:latest"], "labels": ["env:prod"]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.text, "");
}

#[tokio::test]
async fn every_endpoint_needs_auth() {
    let c = console().start().await;
    for (method, path) in [
        (Method::GET, VULN),
        (Method::PUT, VULN),
        (Method::GET, COMPLIANCE),
        (Method::PUT, COMPLIANCE),
        (Method::GET, COLLECTIONS),
        (Method::POST, COLLECTIONS),
        (Method::PUT, "/api/v1/collections/x"),
        (Method::DELETE, "/api/v1/collections/x"),
        (Method::GET, "/api/v1/collections/x/usages"),
    ] {
        let r = c
            .call(method.clone(), path, Auth::None, Some("{}".into()))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            r.text
        );
        assert!(!r.err().is_empty());
        let r = c
            .call(
                method.clone(),
                path,
                Auth::Bearer("not-a-token"),
                Some("{}".into()),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path}: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn defaults_before_anything_is_stored() {
    let c = console().start().await;
    let vuln = c.get(VULN).await;
    assert_eq!(vuln.status, 200, "{}", vuln.text);
    insta::assert_json_snapshot!("default_vulnerability_policy", vuln.json());
    let compliance = c.get(COMPLIANCE).await;
    assert_eq!(compliance.status, 200, "{}", compliance.text);
    insta::assert_json_snapshot!("default_compliance_policy", compliance.json());
    let collections = c.get(COLLECTIONS).await;
    assert_eq!(collections.status, 200);
    insta::assert_json_snapshot!("default_collections", collections.json());
}

#[tokio::test]
async fn vulnerability_policy_put_then_get() {
    let c = console().start().await;
    create_web_collection(&c).await;
    let r = put_json(&c, Method::PUT, VULN, &web_policy()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.text, "", "Prisma answers an empty body");
    let body = c.get("/api/v1/policies/vulnerability/images").await.json();
    insta::assert_json_snapshot!("vulnerability_policy_round_trip", body);
    let rules = body["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 2);
    assert_eq!(
        rules[0]["collections"][0]["images"],
        json!(["nginx*", "-nginx:latest"])
    );
    assert_eq!(rules[0]["owner"], "admin");
    assert_eq!(rules[0]["modified"], "2026-11-01T10:00:00Z");
    assert_eq!(
        rules[0]["principal"],
        json!(["*"]),
        "fields Crowsnest does not read survive"
    );
    // PUT back what GET gave: nothing changes, not even modified times.
    c.clock.advance(jiff::SignedDuration::from_hours(1));
    let r = put_json(&c, Method::PUT, VULN, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let again = c.get(VULN).await.json();
    assert_eq!(again, body);
}

#[tokio::test]
async fn an_edited_collection_shows_in_its_rules() {
    let c = console().start().await;
    create_web_collection(&c).await;
    assert_eq!(
        put_json(&c, Method::PUT, VULN, &web_policy()).await.status,
        200
    );
    let r = put_json(
        &c,
        Method::PUT,
        "/api/v1/collections/web%20apps",
        &json!({"name": "web apps", "images": ["httpd*"]}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = c.get(VULN).await.json();
    assert_eq!(
        body["rules"][0]["collections"][0]["images"],
        json!(["httpd*"])
    );
    assert_eq!(body["rules"][0]["collections"][0]["labels"], json!(["*"]));
}

#[tokio::test]
async fn compliance_policy_put_then_get() {
    let c = console().start().await;
    let policy = json!({
        "rules": [{
            "name": "block keys and secrets",
            "collections": [{"name": "All"}],
            "effect": "alert, block",
            "condition": {"vulnerabilities": [
                {"id": 425, "block": true},
                {"id": 424, "block": true},
                {"id": 41, "block": false}
            ]}
        }]
    });
    // `effect` words are Prisma's; "alert, block" is not one of them.
    let r = put_json(&c, Method::PUT, COMPLIANCE, &policy).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.err().contains("effect"), "{}", r.err());
    let mut policy = policy;
    policy["rules"][0]["effect"] = json!("block");
    let r = put_json(&c, Method::PUT, COMPLIANCE, &policy).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let body = c.get(COMPLIANCE).await.json();
    insta::assert_json_snapshot!("compliance_policy_round_trip", body);
    assert_eq!(body["policyType"], "containerCompliance");
    assert_eq!(
        body["rules"][0]["condition"]["vulnerabilities"][0],
        json!({"id": 425, "block": true})
    );
}

#[tokio::test]
async fn invalid_policies_are_400_and_change_nothing() {
    let c = console().start().await;
    let before = c.get(VULN).await.json();
    let rule = |patch: Value| {
        let mut r = json!({"name": "r", "collections": [{"name": "All"}],
                           "alertThreshold": {"value": 4}, "blockThreshold": {"enabled": false, "value": 0}});
        for (k, v) in patch.as_object().unwrap() {
            r[k] = v.clone();
        }
        json!({"rules": [r]})
    };
    for (body, needle) in [
        (
            rule(
                json!({"alertThreshold": {"value": 7}, "blockThreshold": {"enabled": true, "value": 4}}),
            ),
            "block threshold",
        ),
        (
            rule(json!({"alertThreshold": {"value": 12}})),
            "between 0 and 9",
        ),
        (
            rule(json!({"collections": [{"name": "nope"}]})),
            "does not exist",
        ),
        (rule(json!({"collections": []})), "collection"),
        (rule(json!({"name": ""})), "needs a name"),
        (rule(json!({"graceDays": -3})), "graceDays"),
        (
            rule(
                json!({"cveRules": [{"id": "CVE-1", "effect": "ignore", "expiration": {"enabled": true, "date": "tomorrow"}}]}),
            ),
            "RFC 3339",
        ),
        (
            rule(json!({"cveRules": [{"id": "CVE-1", "effect": "forget"}]})),
            "invalid JSON body",
        ),
        (
            json!({"policyType": "containerCompliance", "rules": []}),
            "policyType",
        ),
        (
            json!({"rules": [{"name": "a"}, {"name": "a"}]}),
            "used twice",
        ),
        (json!({"rules": "all"}), "invalid JSON body"),
    ] {
        let r = put_json(&c, Method::PUT, VULN, &body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(
            r.err().contains(needle),
            "{body}: {:?} lacks {needle:?}",
            r.err()
        );
    }
    let r = c.admin(Method::PUT, VULN, Some("")).await;
    assert_eq!(r.status, 400);
    assert!(r.err().contains("whole policy"));
    let r = c.admin(Method::PUT, VULN, Some("{nope")).await;
    assert_eq!(r.status, 400);
    assert_eq!(c.get(VULN).await.json(), before);
}

#[tokio::test]
async fn collections_lifecycle() {
    let c = console().start().await;
    create_web_collection(&c).await;
    let list = c.get(COLLECTIONS).await.json();
    insta::assert_json_snapshot!("collections_after_post", list);
    assert_eq!(list[1]["hosts"], json!(["*"]), "lists not given are *");
    assert_eq!(list[1]["owner"], "admin");
    // Read-only fields from the client are ignored.
    let r = put_json(
        &c,
        Method::POST,
        COLLECTIONS,
        &json!({"name": "sneaky", "system": true, "owner": "root"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let system = c.get("/api/v1/collections?system=true").await.json();
    assert_eq!(
        system.as_array().unwrap().len(),
        1,
        "only All is a system collection: {system}"
    );
    assert_eq!(
        c.get("/api/v1/collections?system=false")
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // Duplicate names, in any case, conflict.
    let r = put_json(&c, Method::POST, COLLECTIONS, &json!({"name": "WEB APPS"})).await;
    assert_eq!(r.status, 409, "{}", r.text);
    // Usages and deletion while used.
    assert_eq!(
        put_json(&c, Method::PUT, VULN, &web_policy()).await.status,
        200
    );
    let usages = c.get("/api/v1/collections/web%20apps/usages").await;
    assert_eq!(usages.status, 200, "{}", usages.text);
    assert_eq!(
        usages.json(),
        json!([{"name": "web: block critical", "type": "policy"}])
    );
    let r = c
        .admin(Method::DELETE, "/api/v1/collections/web%20apps", None)
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert!(r.err().contains("in use"), "{}", r.err());
    // Once no rule uses it, it goes.
    let mut p = web_policy();
    p["rules"].as_array_mut().unwrap().remove(0);
    assert_eq!(put_json(&c, Method::PUT, VULN, &p).await.status, 200);
    assert_eq!(
        c.get("/api/v1/collections/web%20apps/usages").await.json(),
        json!([])
    );
    let r = c
        .admin(Method::DELETE, "/api/v1/collections/web%20apps", None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = c
        .admin(Method::DELETE, "/api/v1/collections/web%20apps", None)
        .await;
    assert_eq!(r.status, 404, "{}", r.text);
    assert_eq!(
        c.get("/api/v1/collections/web%20apps/usages").await.status,
        404
    );
    let r = put_json(
        &c,
        Method::PUT,
        "/api/v1/collections/ghost",
        &json!({"images": ["*"]}),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.text);
}

#[tokio::test]
async fn registry_specs_count_as_usages() {
    let c = console().start().await;
    create_web_collection(&c).await;
    let spec = json!({"version": "2", "registry": "127.0.0.1:5577", "repository": "apps/*",
                      "os": "linux", "cap": 5, "scanners": 1, "collections": ["web apps"]});
    let r = put_json(
        &c,
        Method::POST,
        "/api/v1/settings/registry?scanLater=true",
        &spec,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let usages = c.get("/api/v1/collections/web%20apps/usages").await.json();
    assert_eq!(
        usages,
        json!([{"name": "127.0.0.1:5577/apps/*", "type": "registryScan"}])
    );
    let r = c
        .admin(Method::DELETE, "/api/v1/collections/web%20apps", None)
        .await;
    assert_eq!(r.status, 400, "{}", r.text);
}

#[tokio::test]
async fn all_is_protected() {
    let c = console().start().await;
    for (method, path, body) in [
        (
            Method::PUT,
            "/api/v1/collections/All",
            Some(json!({"name": "All", "images": ["x*"]})),
        ),
        (
            Method::PUT,
            "/api/v1/collections/all",
            Some(json!({"images": ["x*"]})),
        ),
        (Method::DELETE, "/api/v1/collections/All", None),
        (Method::POST, COLLECTIONS, Some(json!({"name": "All"}))),
        (Method::POST, COLLECTIONS, Some(json!({"name": "aLL"}))),
    ] {
        let r = c
            .admin(
                method.clone(),
                path,
                body.as_ref().map(|b| b.to_string()).as_deref(),
            )
            .await;
        assert_eq!(r.status, 400, "{method} {path}: {}", r.text);
        assert!(r.err().contains("built-in"), "{}", r.err());
    }
    let list = c.get(COLLECTIONS).await.json();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["images"], json!(["*"]));
    // All's usages: the default rules of both policies.
    let usages = c.get("/api/v1/collections/All/usages").await.json();
    assert_eq!(usages.as_array().unwrap().len(), 2, "{usages}");
}

#[tokio::test]
async fn invalid_collections_are_400() {
    let c = console().start().await;
    for (body, needle) in [
        (json!({"name": "a/b"}), "character"),
        (json!({"name": ""}), "needs a name"),
        (json!({"name": " padded "}), "spaces"),
        (json!({"name": "ok", "color": "blue"}), "hex color"),
        (json!({"name": "ok", "images": ["-"]}), "exclusion"),
        (
            json!({"name": "ok", "images": "nginx"}),
            "invalid JSON body",
        ),
    ] {
        let r = put_json(&c, Method::POST, COLLECTIONS, &body).await;
        assert_eq!(r.status, 400, "{body}: {}", r.text);
        assert!(
            r.err().contains(needle),
            "{body}: {:?} lacks {needle:?}",
            r.err()
        );
    }
    let r = c.admin(Method::POST, COLLECTIONS, None).await;
    assert_eq!(r.status, 400);
    create_web_collection(&c).await;
    let r = put_json(
        &c,
        Method::PUT,
        "/api/v1/collections/web%20apps",
        &json!({"name": "renamed"}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(r.err().contains("renamed"), "{}", r.err());
    assert_eq!(c.get(COLLECTIONS).await.json().as_array().unwrap().len(), 2);
}
