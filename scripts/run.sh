#!/usr/bin/env bash
# Serve the site with the sample content on http://127.0.0.1:$PORT/.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
port=${PORT:-5000}

config=instance/config.py

if [ -z "${REDIS_URL:-}" ] && ! grep -qs '^REDIS_URL' "$config"; then
  if command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    # Kept in the instance config so that later 'flask ...' commands, such as the
    # moderation ones, share this Redis with the server.
    mkdir -p instance
    printf '\n# Written by scripts/run.sh: the local Redis it found.\nREDIS_URL = "%s"\n' \
      redis://127.0.0.1:6379/0 >> "$config"
    echo "Using the local Redis at redis://127.0.0.1:6379/0 (recorded in $config)."
  else
    echo "No Redis answered on 127.0.0.1:6379; the one-vote guard runs in-process." >&2
  fi
fi

"$bin/flask" db upgrade
"$bin/flask" content import
echo "Serving on http://127.0.0.1:$port/"
exec "$bin/flask" run --host 127.0.0.1 --port "$port"
