//! Completing a result to the vendor's schema. Prisma's `shared.ImageScanResult` has about a
//! hundred fields, many nested, and its clients index them without checking (`r['binaries']`).
//! Crowsnest types the fields it fills; the others ride in each struct's `vendor` map, put
//! there by [`complete`] from a template generated from the vendor's OpenAPI file
//! (`scripts/vendor-template.py`): present, with their type, and empty.

use super::ImageScanResult;
use serde_json::{Map, Value};
use std::sync::LazyLock;

static TEMPLATE: LazyLock<Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!("vendor_template.json"))
        .expect("vendor_template.json is valid JSON")
});

/// Adds every field of the vendor's schema that `result` lacks, at every depth.
pub fn complete(result: &mut ImageScanResult) {
    let Ok(mut value) = serde_json::to_value(&*result) else {
        return;
    };
    fill(&mut value, &TEMPLATE);
    if let Ok(done) = serde_json::from_value(value) {
        *result = done;
    }
}

/// The template's empty value: objects with all their fields, arrays empty.
fn empty(template: &Value) -> Value {
    match template {
        Value::Object(t) => match (t.get("o"), t.get("a")) {
            (Some(Value::Object(fields)), _) => Value::Object(
                fields
                    .iter()
                    .map(|(k, t)| (k.clone(), empty(t)))
                    .collect::<Map<_, _>>(),
            ),
            _ => Value::Array(Vec::new()),
        },
        scalar => scalar.clone(),
    }
}

fn fill(value: &mut Value, template: &Value) {
    let Value::Object(t) = template else {
        return;
    };
    match (value, t.get("o"), t.get("a")) {
        (Value::Object(obj), Some(Value::Object(fields)), _) => {
            for (k, t) in fields {
                match obj.get_mut(k) {
                    Some(child) => fill(child, t),
                    None => {
                        obj.insert(k.clone(), empty(t));
                    }
                }
            }
        }
        (Value::Array(items), _, Some(t)) => items.iter_mut().for_each(|i| fill(i, t)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completes_missing_fields_at_every_depth() {
        let mut r = ImageScanResult {
            vulnerabilities: Some(vec![Default::default()]),
            ..Default::default()
        };
        complete(&mut r);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["installedProducts"]["hasPackageManager"], false);
        assert_eq!(v["cloudMetadata"]["azure"]["aci"]["containerGroup"], "");
        assert_eq!(v["hostDevices"], serde_json::json!([]));
        assert_eq!(
            v["vulnerabilities"][0]["vulnTagInfos"],
            serde_json::json!([])
        );
        assert_eq!(v["binaries"], serde_json::json!([]));
        // Typed fields are not duplicated into the vendor map.
        assert!(!r.vendor.contains_key("binaries"));
        // Completing twice changes nothing.
        let once = r.clone();
        complete(&mut r);
        assert_eq!(r, once);
    }
}
