//! Every response body the Console produces, snapshot-tested after seed 003's real scan, so the
//! wire shape of results, compact results, progress, statuses, names, the CSV, settings,
//! credentials, collections and tokens cannot drift silently. Routes whose success has no body
//! are checked to stay empty, and a last check compares the routes covered here with the route
//! table in `src/routes.rs`, so a route added later fails until it is covered too.
//!
//! What varies per run or per machine is normalised before the snapshot (see [`Normaliser`]);
//! tokens and sealed secrets are redacted. Image digests are not: the test images are built
//! byte for byte the same on every run.

use super::harness::{Auth, TestConsole, declared_routes};
use super::scans::scanned;
use jiff::Timestamp;
use reqwest::Method;
use serde_json::Value;
use std::collections::BTreeSet;

const A: &str = "/api/v32.04";

/// What changes between runs, replaced in every body: the registry's loopback port, the
/// machine's hostname, the specification's random id, the times the scan took place (any time
/// between the test's start and now; fixed dates such as image creation stay), durations and
/// image ages measured against the wall clock.
struct Normaliser {
    /// `127.0.0.1:PORT` of the test registry.
    host: String,
    /// What the Console reports as its hostname (it reads /etc/hostname).
    machine: String,
    spec_id: String,
    started: Timestamp,
}

impl Normaliser {
    fn is_now(&self, t: Timestamp) -> bool {
        self.started <= t && t <= Timestamp::now()
    }

    /// One JSON string or CSV field.
    fn field(&self, s: &str) -> String {
        if !self.machine.is_empty() && s == self.machine {
            return "[hostname]".into();
        }
        let csv_time = || {
            jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S%.f", s)
                .ok()
                .and_then(|t| t.to_zoned(jiff::tz::TimeZone::UTC).ok())
                .map(|z| z.timestamp())
        };
        if s.parse::<Timestamp>()
            .ok()
            .or_else(csv_time)
            .is_some_and(|t| self.is_now(t))
        {
            return "[time]".into();
        }
        let s = s.replace(&self.host, "[registry]");
        let s = if self.spec_id.is_empty() {
            s
        } else {
            s.replace(&self.spec_id, "[spec-id]")
        };
        days_ago(&s)
    }

    fn json(&self, v: &Value) -> Value {
        match v {
            Value::String(s) => Value::String(self.field(s)),
            Value::Array(items) => Value::Array(items.iter().map(|x| self.json(x)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, x)| {
                        let x = match k.as_str() {
                            "pullDuration" | "scanDuration" if x.is_number() => {
                                Value::String("[duration]".into())
                            }
                            _ => self.json(x),
                        };
                        (self.field(k), x)
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A CSV body, field by field (a quoted field with commas is split and joined back alike).
    fn csv(&self, text: &str) -> String {
        text.lines()
            .map(|line| {
                line.split(',')
                    .map(|f| self.field(f))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// "created 1067 days ago" → "created [N] days ago": the age depends on the day the test runs.
fn days_ago(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find(" days ago") {
        let digits = rest[..i].len()
            - rest[..i]
                .trim_end_matches(|c: char| c.is_ascii_digit())
                .len();
        out.push_str(&rest[..i - digits]);
        out.push_str(if digits > 0 { "[N]" } else { "" });
        out.push_str(" days ago");
        rest = &rest[i + " days ago".len()..];
    }
    out.push_str(rest);
    out
}

/// The routes this module has covered, as `src/routes.rs` spells them, and the calls of those
/// whose success has no body.
struct Coverage<'a> {
    c: &'a TestConsole,
    seen: BTreeSet<(String, String)>,
}

impl Coverage<'_> {
    fn add(&mut self, method: Method, route: &str) {
        self.seen.insert((method.to_string(), route.to_string()));
    }

    /// Calls `route` (at `path`, which fills in its `{id}` or adds a query) and checks that it
    /// answers 200 with an empty body.
    async fn empty(&mut self, method: Method, route: &str, path: &str, body: Option<&str>) {
        let r = self
            .c
            .admin(method.clone(), &format!("{A}{path}"), body)
            .await;
        assert_eq!(r.status, 200, "{method} {path}: {}", r.text);
        assert_eq!(r.text, "", "{method} {path} has no body");
        self.add(method, route);
    }
}

#[tokio::test]
async fn every_response_body_keeps_its_shape() {
    let started = Timestamp::now();
    let Some(scanned) = scanned().await else {
        return;
    };
    // Bound whole: the registry and the feeds stop and go when `scanned` drops.
    let (c, reg) = (&scanned.console, &scanned.reg);
    let get = async |path: &str| {
        let r = c.get(&format!("{A}{path}")).await;
        assert_eq!(r.status, 200, "GET {path}: {}", r.text);
        r
    };
    let settings = get("/settings/registry").await.json();
    let n = Normaliser {
        host: reg.trim_start_matches("http://").to_string(),
        machine: std::fs::read_to_string("/etc/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default(),
        spec_id: settings["specifications"][0]["id"]
            .as_str()
            .unwrap()
            .to_string(),
        started,
    };
    let mut covered = Coverage {
        c,
        seen: BTreeSet::new(),
    };

    // Results: a page of both images in a fixed order, then compact.
    let r = get("/registry?limit=50&sort=repoTag.repo").await;
    assert_eq!(r.headers["total-count"], "2");
    insta::assert_json_snapshot!("registry_results", n.json(&r.json()));
    let r = get("/registry?compact=true&sort=repoTag.repo").await;
    insta::assert_json_snapshot!("registry_results_compact", n.json(&r.json()));
    covered.add(Method::GET, "/registry");

    let r = get("/registry/names").await;
    insta::assert_json_snapshot!("registry_names", n.json(&r.json()));
    covered.add(Method::GET, "/registry/names");

    let r = get("/registry/download").await;
    assert_eq!(r.headers["content-type"], "text/csv");
    insta::assert_snapshot!("registry_download_csv", n.csv(&r.text));
    covered.add(Method::GET, "/registry/download");

    let r = get("/registry/progress").await;
    insta::assert_json_snapshot!("registry_progress", n.json(&r.json()));
    let r = get("/statuses/registry").await;
    insta::assert_json_snapshot!("statuses_registry", n.json(&r.json()));
    covered.add(Method::GET, "/statuses/registry");
    // The database's build time is the wall clock's at the test's start.
    let r = get("/statuses/intelligence").await;
    insta::assert_json_snapshot!("statuses_intelligence", n.json(&r.json()), {
        ".lastModified" => "[build time]",
        ".intelligence.lastUpdate" => "[build time]",
        ".vulnerabilityDatabase.builtAt" => "[build time]",
    });
    covered.add(Method::GET, "/statuses/intelligence");

    insta::assert_json_snapshot!("settings_registry", n.json(&settings));
    covered.add(Method::GET, "/settings/registry");

    // On-demand: an image inside the spec's scope, progress polled until it has finished (the
    // finished scan is reported once, then the list is empty).
    let od = format!(
        r#"{{"onDemandScan":true,"tag":{{"registry":"{reg}","repo":"apps/plain","tag":"latest"}}}}"#
    );
    let scan = "/registry/scan";
    covered.empty(Method::POST, scan, scan, Some(&od)).await;
    let progress = "/registry/progress?onDemand=true&repo=apps/plain&tag=latest";
    let finished = c
        .poll(&format!("{A}{progress}"), |p| {
            p.as_array()
                .is_some_and(|p| p.iter().all(|x| x["isScanOngoing"] == false))
        })
        .await;
    insta::assert_json_snapshot!("registry_progress_on_demand", n.json(&finished));
    let after = get(progress).await.json();
    insta::assert_json_snapshot!("registry_progress_on_demand_after", after);
    covered.add(Method::GET, "/registry/progress");

    // Credentials and their usages (one used by a second spec, added with POST, one deleted),
    // collections and their usages.
    let (put, later) = ("/settings/registry", "/settings/registry?scanLater=true");
    for id in ["snap", "gone"] {
        let cred = format!(
            r#"{{"_id":"{id}","type":"basic","accountID":"bob","secret":{{"plain":"pw"}}}}"#
        );
        covered
            .empty(Method::POST, "/credentials", "/credentials", Some(&cred))
            .await;
    }
    let other = format!(
        r#"{{"version":"2","registry":"{reg}","repository":"other/*","os":"linux","cap":1,"credentialID":"snap"}}"#
    );
    covered.empty(Method::POST, put, later, Some(&other)).await;
    let r = get("/credentials").await;
    insta::assert_json_snapshot!("credentials", n.json(&r.json()), {
        "[].secret.encrypted" => "[sealed]",
    });
    covered.add(Method::GET, "/credentials");
    let r = get("/credentials/snap/usages").await;
    insta::assert_json_snapshot!("credential_usages", n.json(&r.json()));
    covered.add(Method::GET, "/credentials/{id}/usages");
    covered
        .empty(
            Method::DELETE,
            "/credentials/{id}",
            "/credentials/gone",
            None,
        )
        .await;

    let r = get("/collections").await;
    insta::assert_json_snapshot!("collections", n.json(&r.json()));
    covered.add(Method::GET, "/collections");
    let r = get("/collections/All/usages").await;
    insta::assert_json_snapshot!("collection_usages", n.json(&r.json()));
    covered.add(Method::GET, "/collections/{id}/usages");
    let web = r#"{"name":"web","images":["apps/*"]}"#;
    covered
        .empty(Method::POST, "/collections", "/collections", Some(web))
        .await;
    let one = "/collections/{id}";
    covered
        .empty(Method::PUT, one, "/collections/web", Some(web))
        .await;
    covered
        .empty(Method::DELETE, one, "/collections/web", None)
        .await;

    // Policies after a scan; policies.rs snapshots the defaults and their round trips too.
    for (route, snap) in [
        ("/policies/vulnerability/images", "policy_vulnerability"),
        ("/policies/compliance/container", "policy_compliance"),
    ] {
        let body = get(route).await.json();
        insta::assert_json_snapshot!(snap, n.json(&body));
        covered.add(Method::GET, route);
        covered
            .empty(Method::PUT, route, route, Some(&body.to_string()))
            .await;
    }

    // Login and renewal: the token is a JWT that varies; its shape is what is pinned.
    let r = c.login(super::harness::ADMIN_PASSWORD).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let login = r.json();
    let token = login["token"].as_str().unwrap().to_string();
    assert_eq!(token.split('.').count(), 3, "a JWT: {token}");
    insta::assert_json_snapshot!("authenticate", login, { ".token" => "[token]" });
    covered.add(Method::POST, "/authenticate");
    let renew = format!("{A}/authenticate/renew");
    let r = c
        .call(Method::GET, &renew, Auth::Bearer(&token), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    insta::assert_json_snapshot!("authenticate_renew", r.json(), { ".token" => "[token]" });
    covered.add(Method::GET, "/authenticate/renew");
    let r = c
        .call(Method::GET, &format!("{A}/_ping"), Auth::None, None)
        .await;
    assert_eq!((r.status.as_u16(), r.text.as_str()), (200, ""));
    covered.add(Method::GET, "/_ping");

    // Settings back to the one spec, selective scans and stops: no bodies.
    covered
        .empty(Method::PUT, put, later, Some(&settings.to_string()))
        .await;
    let select =
        format!(r#"[{{"tag":{{"registry":"{reg}","repo":"apps/plain","tag":"latest"}}}}]"#);
    let selective = "/registry/scan/select";
    covered
        .empty(Method::POST, selective, selective, Some(&select))
        .await;
    let stop_one = format!("/registry/stop/{}", n.spec_id);
    covered
        .empty(Method::POST, "/registry/stop/{id}", &stop_one, None)
        .await;
    covered
        .empty(Method::POST, "/registry/stop", "/registry/stop", None)
        .await;

    let declared: BTreeSet<(String, String)> = declared_routes()
        .into_iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    assert_eq!(
        covered.seen, declared,
        "every route's body is snapshotted or checked empty"
    );
}
