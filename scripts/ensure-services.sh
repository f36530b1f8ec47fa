#!/usr/bin/env bash
# Make sure the real components the tests use are present: the redis-server
# binary (the tests start their own server on a free port), a PostgreSQL server
# the tests can create databases on, and Debian's Chromium for browser tests.
# Installs with apt-get when run as root, and otherwise prints what is missing.
set -euo pipefail

pg_host=${TEST_PG_HOST:-127.0.0.1}
pg_port=${TEST_PG_PORT:-5432}
pg_user=${TEST_PG_USER:-postgres}
apt_updated=

can_install() {
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null
}

install() {
  if ! can_install; then
    echo "error: $* not installed, and this script cannot install it (needs root and apt-get)." >&2
    echo "Install it, or set TEST_DATABASE_URL / VERSUS_SKIP_BROWSER as README.md describes." >&2
    exit 1
  fi

  if [ -z "$apt_updated" ]; then
    apt-get update -qq
    apt_updated=1
  fi
  echo "Installing $* with apt-get ..."
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

if ! command -v redis-server >/dev/null; then
  install redis-server
fi

if [ -z "${TEST_DATABASE_URL:-}" ]; then
  if ! pg_isready -q -h "$pg_host" -p "$pg_port" 2>/dev/null; then
    if ! command -v pg_ctlcluster >/dev/null; then
      install postgresql
    fi

    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    echo "Starting PostgreSQL $version ..."
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true

    for _ in $(seq 1 30); do
      pg_isready -q -h "$pg_host" -p "$pg_port" && break
      sleep 1
    done
  fi

  if ! pg_isready -q -h "$pg_host" -p "$pg_port"; then
    echo "error: PostgreSQL is not reachable on $pg_host:$pg_port; start it or set TEST_DATABASE_URL." >&2
    exit 1
  fi

  # The tests connect as postgres with the password "postgres"; a trust setup
  # ignores it, and a fresh Debian cluster gets it set here.
  export PGPASSWORD=${PGPASSWORD:-postgres}
  login() {
    psql -h "$pg_host" -p "$pg_port" -U "$pg_user" -d postgres -Atqc 'SELECT 1' >/dev/null 2>&1
  }

  if ! login && can_install && [ "$pg_user" = postgres ]; then
    su postgres -c "psql -qc \"ALTER USER postgres PASSWORD '$PGPASSWORD'\"" >/dev/null
  fi

  if ! login; then
    echo "error: cannot log in to PostgreSQL as $pg_user on $pg_host:$pg_port." >&2
    echo "Set TEST_DATABASE_URL to a server URL whose user may create databases." >&2
    exit 1
  fi
fi

if [ -z "${VERSUS_SKIP_BROWSER:-}" ] && [ ! -x /usr/bin/chromium ]; then
  install chromium
fi

echo "Test services ready: redis-server $(redis-server --version | awk '{print $3}'), PostgreSQL on $pg_host:$pg_port."
