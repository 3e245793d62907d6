//! One full `ImageScanResult` from a real scan, checked field by field against the vendor's
//! OpenAPI file: every property its schema declares is present, at every depth, with the JSON
//! type the schema gives. The field list comes from the spec file, not from this test.

use serde_json::Value;

fn spec() -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/spec/compute-api-34.04-registry-subset.json");
    serde_json::from_str(&std::fs::read_to_string(&path).expect("vendor spec file")).unwrap()
}

fn check(schemas: &Value, node: &Value, value: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(r) = node.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap();
        return check(schemas, &schemas[name], value, at, problems);
    }
    let ok = match node.get("type").and_then(Value::as_str) {
        Some("string") => value.is_string(),
        Some("integer") => value.is_i64() || value.is_u64(),
        Some("number") => value.is_number(),
        Some("boolean") => value.is_boolean(),
        Some("array") => value.is_array(),
        Some("object") => value.is_object(),
        _ => true,
    };
    // Known, deliberate difference: Crowsnest writes `gracePeriodDays: null` when no block rule
    // applies (0 would mean "block now"); open question for the lead, see the branch report.
    if !ok && value.is_null() && at.ends_with(".gracePeriodDays") {
        return;
    }
    if !ok {
        problems.push(format!("{at}: expected {}, got {value}", node["type"]));
        return;
    }
    if let (Some(items), Some(values)) = (node.get("items"), value.as_array()) {
        for (i, v) in values.iter().enumerate() {
            check(schemas, items, v, &format!("{at}[{i}]"), problems);
        }
    }
    if let Some(props) = node.get("properties").and_then(Value::as_object) {
        for (k, p) in props {
            match value.get(k) {
                Some(v) => check(schemas, p, v, &format!("{at}.{k}"), problems),
                None => problems.push(format!("{at}.{k}: missing")),
            }
        }
    }
}

#[tokio::test]
async fn a_full_result_has_every_vendor_field_with_its_type() {
    let Some(s) = super::scans::scanned().await else {
        return;
    };
    let results = s
        .console
        .get("/api/v1/registry?limit=50&sort=repoTag.repo")
        .await
        .json();
    let full = results
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["vulnerabilitiesCount"].as_u64() > Some(0))
        .expect("a result with a vulnerability");
    let spec = spec();
    let schemas = &spec["components"]["schemas"];
    let mut problems = Vec::new();
    check(
        schemas,
        &schemas["shared.ImageScanResult"],
        full,
        "result",
        &mut problems,
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
