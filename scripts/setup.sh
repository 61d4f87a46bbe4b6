#!/usr/bin/env bash
# Create .venv (if missing) and install Steward with its development extras into it.
# Idempotent; used by scripts/run.sh and scripts/test.sh. Each step it takes is named on
# stderr (one line each), so a first start that installs for a minute is not silent; when
# everything is installed already it says nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
say() { echo "setup: $*" >&2; }
if [ ! -x .venv/bin/python ]; then
  say "creating the virtual environment .venv with $("$PY" --version 2>&1)"
  "$PY" -m venv .venv
fi
stamp=.venv/.steward-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  say "upgrading pip in .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip 2>&1 | grep -v "is ignored" || true
  say "installing Steward and its development extras from pyproject.toml (about a minute the first time)"
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".[dev]" 2>&1 | grep -v "is ignored" || true
  .venv/bin/python -c "import steward" && touch "$stamp"
  say "done: Steward is installed in .venv"
fi
