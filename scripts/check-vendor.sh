#!/usr/bin/env bash
# Fail if a vendored file differs from the checksum recorded for it.
set -euo pipefail
cd "$(dirname "$0")/../static/vendor"
sha256sum --quiet --check <<'SUMS'
a0abb04f2f45a1f89d1d4844023245537e5e6014c87b144553e0607b4cc32130  htmx-4.0.1.min.js
SUMS
