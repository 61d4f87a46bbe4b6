#!/usr/bin/env bash
# The governance worked example, end to end: inventory -> risk assessment -> evidence -> release
# gate (refused, then allowed once fixed) -> published cards -> the register exported as YAML.
#
#   bash examples/governance/run.sh [WORK_DIR]
#
# Uses a fresh SQLite database in WORK_DIR (default: a new temporary directory) unless
# STEWARD_DATABASE_URL is set. DATA (default /work/shared/data) must hold adult/, advbench/, truthfulqa/.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
WORK="${1:-$(mktemp -d)}"
DATA="${DATA:-/work/shared/data}"
PYTHON="${PYTHON:-python}"
mkdir -p "$WORK"
export STEWARD_DATABASE_URL="${STEWARD_DATABASE_URL:-sqlite:///$WORK/steward.db}"
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
steward evidence add credit-prescreen "$WORK/credit-fairness.json" --kind fairness --name "credit-lr groups" \
  --subject model:credit-lr --subject-version 1.0 --input "$WORK/credit-model.json" --input "$DATA/adult/adult.test"
steward evidence attest credit-prescreen --name "model review" --by "model risk validation" --kind review \
  --statement "Independent validation of credit-lr 1.0: inputs, weights and holdout results checked." \
  --control "nist-ai-rmf:MEASURE-1.3"

step "6. Fix the gaps: a human in the loop, risks treated and reviewed"
steward system add "$HERE/credit-prescreen-fixed.yaml" --replace
steward risk add credit-prescreen "$HERE/credit-risks-reviewed.yaml"
steward system gate credit-prescreen

step "7. Deploy: the gate allows both systems now"
steward system status credit-prescreen deployment --by "lending lead"
steward system status support-chatbot deployment --by "support lead"
steward system decisions credit-prescreen

step "8. Publish cards (strict: fails if required evidence is missing or stale) and the risk report"
steward card credit-prescreen --format md --out "$WORK/cards" --strict
steward card credit-prescreen --format html --out "$WORK/cards" --strict
steward card support-chatbot --format md --out "$WORK/cards" --strict
steward risk report credit-prescreen --format html --out "$WORK/cards/credit-prescreen-risk-report.html"
steward system controls credit-prescreen --state gap | tail -n 5

step "9. Export the whole register for git"
steward system export --out "$WORK/register.yaml"
echo "done: $WORK"
