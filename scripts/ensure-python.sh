#!/usr/bin/env bash
# Create the virtual environment, installing Python's venv module first if the
# machine lacks it (Debian splits it into a package of its own).
set -euo pipefail
python=${1:-python3}
venv=${2:-.venv}

if [ -x "$venv/bin/python" ]; then
  exit 0
fi

if ! command -v "$python" >/dev/null; then
  echo "error: $python not found; install Python 3.11 or newer" >&2
  exit 1
fi

if ! "$python" -m venv "$venv" 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing python3-venv with apt-get ..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    rm -rf "$venv"
    "$python" -m venv "$venv"
  else
    echo "error: '$python -m venv' failed; install your distribution's venv package" >&2
    exit 1
  fi
fi
