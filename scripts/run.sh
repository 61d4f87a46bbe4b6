#!/usr/bin/env bash
# Set everything up and run the main job: the Steward server on http://127.0.0.1:8080 with the
# `default` guardrail (default policy, version 1) in an embedded SQLite database under
# $STEWARD_DATA_DIR (default ~/.local/share/steward). Setup steps are named on stderr; the
# admin API key (printed once, on the first start) and the listening address go to stdout.
# Extra arguments go to `steward serve` (e.g. --port 9000, --workers 2).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
echo "run: starting the server (first start: migrating the database, creating guardrail 'default' and an admin key)" >&2
exec steward serve --bootstrap-admin-key "$@"
