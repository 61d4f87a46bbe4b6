#!/usr/bin/env bash
# The governance worked example, end to end: inventory -> risk assessment -> evidence -> release
# gate (refused for missing oversight, then refused for disparate impact, then allowed after a
# fairness mitigation) -> published cards -> the register exported as YAML.
#
#   bash examples/governance/run.sh [WORK_DIR]
#
# Uses a SQLite database in WORK_DIR (default: a new temporary directory) unless STEWARD_DATABASE_URL
# is set; the database a previous run left in WORK_DIR is replaced, so a rerun into the same folder
# starts clean. DATA (default: ../shared/data beside the repository) must hold adult/, advbench/,
# truthfulqa/. Needs the fairness extra (pip install 'steward[fairness]').
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WORK="${1:-$(mktemp -d)}"
DATA="${DATA:-$REPO/../shared/data}"
PYTHON="${PYTHON:-python}"
if [ ! -d "$DATA/adult" ]; then
  echo "no data at $DATA (expected adult/, advbench/, truthfulqa/): set DATA=/path/to/shared/data" >&2
  exit 2
fi
mkdir -p "$WORK"
if [ -z "${STEWARD_DATABASE_URL:-}" ]; then
  rm -f "$WORK/steward.db"  # a rerun into the same folder starts from an empty register
  export STEWARD_DATABASE_URL="sqlite:///$WORK/steward.db"
  export STEWARD_DATA_DIR="${STEWARD_DATA_DIR:-$WORK}"  # the server key beside the example's database
fi
rm -rf "$WORK/cards"
steward db upgrade
step() { printf '\n== %s\n' "$*"; }

step "1. Inventory: the chatbot's guardrail (frozen as version 1), both systems, the data sets"
steward guardrail create support-bot --policy default --description "In front of the support chatbot"
steward guardrail version support-bot --description "Reviewed for the chatbot's 2.1 release"
steward system add "$HERE/support-chatbot.yaml"
steward system add "$HERE/credit-prescreen.yaml"
steward dataset add "$HERE/adult-datasheet.yaml"
steward dataset add "$HERE/adult-test-datasheet.yaml"
steward system list

step "2. Measure the data: size, label balance, groups, duplicates (recorded as dataset-scan evidence)"
COLUMNS="age,workclass,fnlwgt,education,education-num,marital-status,occupation,relationship,race,sex,capital-gain,capital-loss,hours-per-week,native-country,income"
steward dataset profile uci-adult "$DATA/adult/adult.data" --columns "$COLUMNS" --label income \
  --group sex --group race --text occupation --pii-sample 200 --system credit-prescreen
steward dataset profile uci-adult-test "$DATA/adult/adult.test" --columns "$COLUMNS" --skip-rows 1 \
  --label income --group sex --group race

step "3. Risk assessment"
steward risk add support-chatbot "$HERE/support-chatbot-risks.yaml"
steward risk add credit-prescreen "$HERE/credit-risks.yaml"
steward risk heatmap credit-prescreen

step "4. First attempt to deploy the credit model: the gate refuses (exit 7)"
set +e
steward system status credit-prescreen deployment --by "lending lead"
code=$?
set -e
if [ "$code" -ne 7 ]; then echo "expected the gate to refuse (exit 7), got $code" >&2; exit 1; fi

step "5. Evidence: guardrail evaluation for the chatbot, model and fairness evaluation for the credit model"
"$PYTHON" "$HERE/eval_guardrail.py" --data "$DATA" --n "${EVAL_N:-100}" > "$WORK/chatbot-eval.json"
steward evidence add support-chatbot "$WORK/chatbot-eval.json" --name "guardrail eval" \
  --subject guardrail:support-bot --subject-version 1 --control "nist-ai-rmf:MEASURE-2.1"
"$PYTHON" "$HERE/train_credit_model.py" --data "$DATA/adult" --out "$WORK"
steward evidence add credit-prescreen "$WORK/credit-eval.json" --kind evaluation --name "credit-lr holdout" \
  --subject model:credit-lr --subject-version 1.0 --input "$WORK/credit-model.json" --input "$DATA/adult/adult.test"
steward fairness "$WORK/credit-predictions.csv" --label label --prediction prediction --score score \
  --group sex --group race --system credit-prescreen --name "credit-lr groups" \
  --subject model:credit-lr --subject-version 1.0 --input "$WORK/credit-model.json" --input "$DATA/adult/adult.test"
steward evidence attest credit-prescreen --name "model review" --by "model risk validation" --kind review \
  --statement "Independent validation of credit-lr 1.0: inputs, weights and holdout results checked." \
  --control "nist-ai-rmf:MEASURE-1.3"

step "6. Fix the gaps: a human in the loop, risks treated and reviewed; the gate still refuses (disparate impact)"
steward system add "$HERE/credit-prescreen-fixed.yaml" --replace
steward risk add credit-prescreen "$HERE/credit-risks-reviewed.yaml"
set +e
steward system gate credit-prescreen
code=$?
set -e
if [ "$code" -ne 7 ]; then echo "expected the gate to refuse on disparate impact (exit 7), got $code" >&2; exit 1; fi

step "7. Mitigate: per-group thresholds for demographic parity (fairlearn ThresholdOptimizer) -> credit-lr 1.1"
steward fairness mitigate "$DATA/adult/adult.data" "$DATA/adult/adult.test" --columns "$COLUMNS" \
  --test-skip-rows 1 --label income --positive '>50K' --positive '>50K.' --group sex \
  --exclude race --exclude fnlwgt --keep race --method threshold-optimizer --constraint demographic_parity \
  --predictions-out "$WORK/credit-mitigated-predictions.csv"
steward system add "$HERE/credit-prescreen-mitigated.yaml" --replace
steward fairness "$WORK/credit-mitigated-predictions.csv" --label label --prediction prediction --score score \
  --group sex --group race --resamples 200 --kind evaluation --system credit-prescreen --name "credit-lr holdout" \
  --subject model:credit-lr --subject-version 1.1 --input "$DATA/adult/adult.test" | grep "^recorded"
steward fairness "$WORK/credit-mitigated-predictions.csv" --label label --prediction prediction --score score \
  --group sex --group race --system credit-prescreen --name "credit-lr groups" \
  --subject model:credit-lr --subject-version 1.1 --input "$DATA/adult/adult.test" | grep -E "^== |ratio|four-fifths|^recorded"
steward system gate credit-prescreen

step "8. Deploy: the gate allows both systems now"
steward system status credit-prescreen deployment --by "lending lead"
steward system status support-chatbot deployment --by "support lead"
steward system decisions credit-prescreen

step "9. Publish cards (strict: fails if required evidence is missing or stale) and the risk report"
steward card credit-prescreen --format md --out "$WORK/cards" --strict
steward card credit-prescreen --format html --out "$WORK/cards" --strict
steward card support-chatbot --format md --out "$WORK/cards" --strict
steward risk report credit-prescreen --format html --out "$WORK/cards/credit-prescreen-risk-report.html"
steward system controls credit-prescreen --state gap | tail -n 5

step "10. Export the whole register for git"
steward system export --out "$WORK/register.yaml"
echo "done: $WORK"
