#!/usr/bin/env bash
# Installs what the test suite needs on a fresh Debian machine (idempotent, quiet when all is there).
# One line per need, with the tests that use it; keep it short: CI runs it on every clean clone.
set -euo pipefail
need_apt=()
want() { dpkg -s "$1" >/dev/null 2>&1 || need_apt+=("$1"); }

want curl            # console and registry tests drive HTTP with curl in scripts
want python3         # fixture scripts
want python3-venv    # crates/console prisma_sdk test: a venv for the vendor's Python SDK
want docker-registry # crowsnest-registry tests + benchmark (crowsnest-testkit starts it on 127.0.0.1)
want apache2-utils   # htpasswd -B for crowsnest-testkit's Basic-auth registry
want openssl         # crowsnest-testkit's CA, server/client certs and token-signing key
want postgresql      # crates/store contract suite on PostgreSQL, console/cli serve tests (crowsnest-testkit runs initdb + postgres)
want python3-apt     # crates/version differential tests: apt_pkg.version_compare (dpkg order)
want python3-rpm     # crates/version differential tests: rpm.ver (rpm EVR order)
want python3-packaging  # crates/version differential tests: packaging.version (PEP 440)
want ruby            # crates/version differential tests: Gem::Version (RubyGems); crates/analyzer: real gemspecs
want php-cli         # crates/version differential tests: PHP version_compare (Composer)
want php-composer-semver  # crates/version differential tests: Composer's VersionParser
want nodejs          # crates/version differential tests: node-semver (npm)
want node-semver

if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# PostgreSQL refuses to run as root (CI does): crowsnest-testkit runs it as this unprivileged user.
if [ "$(id -u)" = 0 ] && ! id crowsnest-test >/dev/null 2>&1; then
  useradd --system --no-create-home --shell /usr/sbin/nologin crowsnest-test
fi

# crates/cli tests (image_formats: SARIF 2.1.0, CycloneDX 1.5 and SPDX 2.3 output validated against
# the published schemas) need Python's jsonschema >= 4.18 (it brings `referencing`).
python3 -c 'import jsonschema, referencing' 2>/dev/null \
  || python3 -m pip install -q 'jsonschema>=4.18' 2>/dev/null \
  || python3 -m pip install -q --break-system-packages 'jsonschema>=4.18'

# crates/console tests (prisma_sdk): Palo Alto Networks' own Python SDK drives the Console over
# HTTPS. It declares no dependencies, so they are named here; the test finds the venv at
# CROWSNEST_PRISMA_VENV or this default path.
PRISMA_VENV=${CROWSNEST_PRISMA_VENV:-/var/tmp/crowsnest-prisma-venv}
"$PRISMA_VENV/bin/python" -c 'import prismacloud.api, requests, packaging, update_checker' 2>/dev/null || {
  python3 -m venv "$PRISMA_VENV"
  "$PRISMA_VENV/bin/pip" install -q 'prismacloud-api==5.3.0' requests packaging 'update_checker<1'
}

# scripts/fuzz (scripts/test runs its smoke): cargo-fuzz builds the libFuzzer targets in fuzz/.
command -v cargo-fuzz >/dev/null 2>&1 || cargo install -q cargo-fuzz --version 0.13.2 --locked

# crates/console tests (ui): the web console in real headless Chromium, driven by Selenium from a
# venv, with axe-core (npm) injected into each page. The test finds them at these default paths
# (CROWSNEST_UI_VENV, CROWSNEST_AXE_DIR override them).
for pkg in chromium chromium-driver; do
  dpkg -s "$pkg" >/dev/null 2>&1 || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$pkg" >/dev/null; }
done
UI_VENV=${CROWSNEST_UI_VENV:-/var/tmp/crowsnest-ui-venv}
"$UI_VENV/bin/python" -c 'import selenium' 2>/dev/null || {
  python3 -m venv "$UI_VENV"
  "$UI_VENV/bin/pip" install -q 'selenium==4.51.0'
}
AXE_DIR=${CROWSNEST_AXE_DIR:-/var/tmp/crowsnest-axe}
[ -f "$AXE_DIR/node_modules/axe-core/axe.min.js" ] || npm install -q --no-audit --no-fund --prefix "$AXE_DIR" 'axe-core@4.14.1' >/dev/null
# Vendor client libraries that prove the registry-type simulators faithful (crates/registry/tests/vendor/),
# all in one venv; the tests find it at CROWSNEST_VENDOR_VENV or this default path.
VENDOR_VENV=${CROWSNEST_VENDOR_VENV:-/var/tmp/crowsnest-vendor-venv}
[ -x "$VENDOR_VENV/bin/python" ] || python3 -m venv "$VENDOR_VENV"
# aws (ECR): boto3 against the simulator, moto in server mode as an independent ECR.
"$VENDOR_VENV/bin/python" -c 'import boto3, moto.server' 2>/dev/null \
  || "$VENDOR_VENV/bin/pip" install -q 'boto3==1.44.8' 'moto[server,ecr]==5.2.5'
# harbor: harborapi, an independent Harbor v2.0 client, against the Harbor simulator.
"$VENDOR_VENV/bin/python" -c 'import harborapi' 2>/dev/null \
  || "$VENDOR_VENV/bin/pip" install -q 'harborapi==0.26.2'
# gitlab: python-gitlab, GitLab's client library, reads the GitLab simulator.
"$VENDOR_VENV/bin/python" -c 'import gitlab' 2>/dev/null \
  || "$VENDOR_VENV/bin/pip" install -q 'python-gitlab==8.6.0'
