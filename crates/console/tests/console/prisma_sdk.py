"""Drives a Crowsnest Console with Palo Alto Networks' own Python SDK (`prismacloud-api`, its
`pc_api` in Compute-only mode), the way a user's script would. Every call goes through the SDK;
where the SDK has no helper for a route, through its own `execute_compute`, which still applies
its paging loop, its token handling and its Content-Type rules.

Arguments: console URL, user, password, CA file, registry URL (as the spec names it), number of
images pushed. Prints one JSON line of findings for the Rust test to check; the SDK itself exits
non-zero on any failed call.
"""

import json
import sys
import time

from prismacloud.api import pc_api

url, user, password, ca, registry, images = sys.argv[1:7]
images = int(images)
out = {}


def check(cond, what):
    if not cond:
        raise SystemExit("check failed: %s" % what)


def once(items, key, what):
    keys = [key(i) for i in items]
    check(len(keys) == len(set(keys)), "%s: duplicates among %d" % (what, len(keys)))
    return keys


pc_api.configure({"url": url, "identity": user, "secret": password, "verify": ca})
pc_api.login_compute()
check(pc_api.token, "login gave a token")

# The feed state, as public scripts check it first.
intel = pc_api.statuses_intelligence()
check(intel["intelligence"]["connected"] is True, "intelligence connected: %r" % intel)
out["intelligence_last_update"] = intel["intelligence"]["lastUpdate"]

# Credentials: more than one SDK page of them, each listed once.
for i in range(60):
    pc_api.credential_list_create(
        {"_id": "sdk-cred-%02d" % i, "type": "basic", "accountID": "u%d" % i,
         "secret": {"plain": "pw-%d" % i}}
    )
creds = pc_api.credential_list_read()
ids = once(creds, lambda c: c["_id"], "credentials")
check(sum(1 for i in ids if i.startswith("sdk-cred-")) == 60, "60 credentials, got %d" % len(ids))
pc_api.credential_list_delete("sdk-cred-59")
check(len(pc_api.credential_list_read()) == len(ids) - 1, "credential deleted")
out["credentials"] = len(ids)

# Settings: POST one spec without scanning, then PUT the whole list; read it back.
spec = {"version": "2", "registry": registry, "repository": "sdk/*", "tag": "", "os": "linux",
        "cap": 0, "scanners": 2, "collections": ["All"], "credentialID": ""}
pc_api.execute_compute("POST", "api/v1/settings/registry?scanLater=true", body_params=spec)
settings = pc_api.settings_registry_read()
check(len(settings["specifications"]) == 1, "one spec after POST")
# The SDK's own PUT helper sends no scanLater (so it would start a scan); the scan is started
# below by its own call, so this PUT goes through execute_compute with scanLater.
pc_api.execute_compute("PUT", "api/v1/settings/registry?scanLater=true",
                       body_params={"specifications": [spec]})
check(pc_api.settings_registry_read()["specifications"][0]["repository"] == "sdk/*", "PUT kept")

# A regular scan, followed through progress and status.
pc_api.registry_scan()
deadline = time.time() + 240
while True:
    progress = pc_api.execute_compute("GET", "api/v1/registry/progress")
    status = pc_api.statuses_registry()
    if (status["completed"] and not any(p["isScanOngoing"] for p in progress)
            and progress and progress[0]["imageScan"]["scanned"] >= images):
        break
    check(time.time() < deadline, "scan finished in time: %r %r" % (status, progress))
    time.sleep(0.2)
check(status["errors"] == [], "no scan errors: %r" % status["errors"])
out["progress_scanned"] = progress[0]["imageScan"]["scanned"]

# Every result through the SDK's own paging: each image exactly once.
results = pc_api.registry_list_read()
keys = once(results, lambda r: r["_id"], "results")
check(len(keys) == images, "%d results, expected %d" % (len(keys), images))
for r in results:
    for field in ("binaries", "applications", "startupBinaries", "hosts", "installedProducts"):
        check(field in r, "%s in every result" % field)
out["results"] = len(keys)

# One image by its image id, as scripts pass it in `id`.
first = results[0]
by_id = pc_api.registry_list_read(image_id=first["id"])
check([r["_id"] for r in by_id] == [first["_id"]], "id=%s finds %r" % (first["id"], by_id))

# Names: every one once.
names = pc_api.registry_list_image_names()
once(names, lambda n: n, "names")
check(len(names) == images, "%d names, expected %d" % (len(names), images))
out["names"] = len(names)

# The CSV download: text, one header line, rows for the images.
csv = pc_api.execute_compute("GET", "api/v1/registry/download")
check(isinstance(csv, str) and csv.count("\n") >= 1, "CSV text: %r" % (csv[:200],))
out["csv_lines"] = csv.count("\n")

# Policies read and written.
policy = pc_api.policies_read("vulnerability/images")
rule = dict(policy["rules"][0])
rule["name"] = "sdk rule"
policy["rules"] = [rule] + policy["rules"]
pc_api.policies_write("vulnerability/images", policy)
check(pc_api.policies_read("vulnerability/images")["rules"][0]["name"] == "sdk rule", "policy kept")
compliance = pc_api.policies_read("compliance/container")
pc_api.policies_write("compliance/container", compliance)

# Collections: create, list (the SDK pages it), update, usages, delete.
pc_api.collection_create({"name": "sdk-team", "images": ["sdk/*"], "color": "#AABBCC"})
cols = pc_api.collections_list_read()
once(cols, lambda c: c["name"], "collections")
check(any(c["name"] == "sdk-team" for c in cols), "collection listed")
pc_api.collection_update("sdk-team", {"name": "sdk-team", "images": ["sdk/app-1*"],
                                      "color": "#AABBCC"})
pc_api.collection_usages("sdk-team")
pc_api.collection_delete("sdk-team")
check(all(c["name"] != "sdk-team" for c in pc_api.collections_list_read()), "collection gone")

# A scan stopped, then an on-demand scan of one image followed to its result.
pc_api.registry_scan()
pc_api.execute_compute("POST", "api/v1/registry/stop")
repo, tag = first["repoTag"]["repo"], first["repoTag"]["tag"]
pc_api.registry_scan({"onDemandScan": True,
                      "tag": {"registry": registry, "repo": repo, "tag": tag}})
deadline = time.time() + 120
while True:
    p = pc_api.execute_compute(
        "GET", "api/v1/registry/progress?onDemand=true&repo=%s&tag=%s" % (repo, tag))
    if p and not any(x["isScanOngoing"] for x in p):
        break
    check(time.time() < deadline, "on-demand scan finished: %r" % p)
    time.sleep(0.2)
pc_api.registry_scan_select([{"tag": {"registry": registry, "repo": repo, "tag": tag}}])
out["on_demand"] = repo + ":" + tag

print(json.dumps(out))
