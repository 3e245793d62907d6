#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (idempotent, quiet when all is there).
# One line per need, with the tests that use it; keep it short: CI runs it on every clean clone.
set -euo pipefail
need_apt=()
want() { dpkg -s "$1" >/dev/null 2>&1 || need_apt+=("$1"); }

want curl            # console and registry tests drive HTTP with curl in scripts
want python3         # fixture scripts

if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
