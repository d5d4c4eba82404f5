#!/usr/bin/env bash
# Vendor the browser libraries the UI needs into static/vendor/.
#
# Why: the UI must not depend on a CDN at run time (offline demos, strict CSPs,
# no third party seeing our users). We install exact, pinned versions from npm
# into a throwaway folder and copy only the minified build and its licence, so
# the repository carries no node_modules and the files are reviewable in git.
#
# Usage: scripts/vendor_assets.sh   (needs node + npm; re-run after bumping a pin)
set -euo pipefail

HTMX_VERSION="2.0.11"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/static/vendor"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cd "$WORK"
npm init -y >/dev/null
npm install --no-audit --no-fund --ignore-scripts --save-exact \
    "htmx.org@${HTMX_VERSION}" >/dev/null

mkdir -p "$DEST/htmx"
cp node_modules/htmx.org/dist/htmx.min.js "$DEST/htmx/htmx.min.js"
cp node_modules/htmx.org/LICENSE "$DEST/htmx/LICENSE"
echo "htmx.org ${HTMX_VERSION} (https://www.npmjs.com/package/htmx.org)" \
    > "$DEST/htmx/VERSION"

echo "vendored htmx.org ${HTMX_VERSION} into ${DEST#"$ROOT"/}/htmx/"
