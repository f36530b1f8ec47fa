#!/usr/bin/env bash
# Download htmx from the npm package htmx.org and vendor its minified build.
set -euo pipefail
version=${1:?usage: vendor-htmx.sh VERSION}
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "htmx.org@$version" >/dev/null && tar xzf htmx.org-*.tgz)
target="$root/static/vendor/htmx-$version.min.js"
cp "$work/package/dist/htmx.min.js" "$target"
sum=$(sha256sum "$target" | cut -d' ' -f1)

echo "Vendored htmx $version to static/vendor/htmx-$version.min.js"
echo "SHA-256: $sum"
echo "Record it in static/vendor/README.md and scripts/check-vendor.sh, and point"
echo "HTMX_FILE in site/versus/web/templating.py at the new file."
