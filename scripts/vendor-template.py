#!/usr/bin/env python3
"""Writes crates/model/src/scan_result/vendor_template.json from the vendor's OpenAPI subset:
the shape of `shared.ImageScanResult` with every field the vendor declares, as a template
(`{"o": {field: template}}` for objects, `{"a": item template}` for arrays, the zero value for
scalars). The Console completes every result with it, so fields we have nothing for are present,
typed and empty. Run it again when the spec file changes:
    python3 scripts/vendor-template.py ../shared/spec/compute-api-34.04-registry-subset.json
"""
import json
import sys

spec = json.load(open(sys.argv[1]))
schemas = spec["components"]["schemas"]
ZERO = {"string": "", "integer": 0, "number": 0.0, "boolean": False}


def template(node, stack=()):
    ref = node.get("$ref")
    if ref:
        name = ref.split("/")[-1]
        if name in stack:  # recursive types: stop at an empty object
            return {"o": {}}
        return template(schemas[name], stack + (name,))
    kind = node.get("type")
    if kind == "array":
        return {"a": template(node.get("items", {}), stack)}
    if kind == "object" or "properties" in node:
        return {"o": {k: template(v, stack) for k, v in sorted(node.get("properties", {}).items())}}
    return ZERO.get(kind, "")


root = template({"$ref": "#/components/schemas/shared.ImageScanResult"})
out = "crates/model/src/scan_result/vendor_template.json"
with open(out, "w") as f:
    json.dump(root, f, indent=0, sort_keys=True)
    f.write("\n")
print("wrote", out)
