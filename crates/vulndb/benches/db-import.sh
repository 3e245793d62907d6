#!/usr/bin/env bash
# Scale benchmark (issue 8, item 4): `crowsnest db import` of the whole feed snapshot, against
# merely unpacking the same archives in the same run, with wall/CPU time and peak RSS from GNU
# time, and the database's size against the unpacked feeds. Run from the workspace root:
#   bash crates/vulndb/benches/db-import.sh [RUNS] [FEEDS_DIR]
set -euo pipefail
runs="${1:-3}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
feeds="$(cd "${2:-$root/../shared/vulndb}" && pwd)"
work="$(mktemp -d /var/tmp/crowsnest-import.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/bench}"
cargo build --quiet --release -p crowsnest-cli --manifest-path "$root/Cargo.toml"
cli="$CARGO_TARGET_DIR/release/crowsnest"

measure() { # label, command...
  local label="$1"; shift
  for i in $(seq "$runs"); do
    /usr/bin/time -v "$@" > /dev/null 2> "$work/time" || { tail -5 "$work/time"; exit 1; }
    printf '%-36s run %d: wall %7s  cpu %6.2f s  peak RSS %4d MB\n' "$label" "$i" \
      "$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time")" \
      "$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {print u + s}' "$work/time")" \
      $(($(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time") / 1024))
  done
}

echo "== $runs runs each ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
# Baseline: unpack every archive to disk (what any importer reading files would start from).
# Each run unpacks into a new directory; deleting the old one (tens of thousands of small files)
# is left out of the timing.
measure "baseline: tar xzf of the archives" sh -c '
  out=$(mktemp -d "$1/unpacked.XXXXXX")
  find "$2" -name "*.tar.gz" | while read -r a; do
    d="$out/$(basename "$a" .tar.gz)"; mkdir -p "$d"; tar -xzf "$a" -C "$d"
  done' sh "$work" "$feeds"
measure "crowsnest db import (whole snapshot)" \
  "$cli" --data-dir "$work/data" --log warn db import "$feeds"

db="$work/data/vulndb/crowsnest.db"
archives=$(du -sb --apparent-size "$(ls -d "$work"/unpacked.* | head -1)" | cut -f1)
plain=$(find "$feeds" -type f ! -name '*.tar.gz' ! -name SHA256SUMS ! -name MANIFEST.md -printf '%s\n' | awk '{s += $1} END {print s}')
size=$(stat -c %s "$db")
echo "unpacked feeds: $archives bytes (archives, apparent size) + $plain (plain files) = $((archives + plain)) bytes"
echo "database: $size bytes = 1 / $(echo "scale=1; ($archives + $plain) / $size" | bc) of the unpacked feeds"
"$cli" --data-dir "$work/data" --log warn db status > "$work/status"
sed -n 2p "$work/status"
