#!/usr/bin/env bash
# Set everything up and run the main job: check sample prompts with the default policy.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
. .venv/bin/activate
set +e
while IFS= read -r line; do
  [ -z "$line" ] && continue
  echo "\$ steward check \"$line\""
  steward check "$line"
  echo
done < examples/sample_prompts.txt
exit 0
