#!/usr/bin/env bash
# Set everything up and run every check: lint, types, and the test suite
# (SQLite and the local PostgreSQL on 127.0.0.1:5432, database "test").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
echo "== ruff"; ruff check src tests benchmarks
echo "== mypy"; mypy
echo "== pytest"; python -m pytest "$@"
