"""``steward eval`` end to end: JSON names, several datasets, gates and exit codes, bad lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from steward.cli import main
from steward.cli.exit_codes import ExitCode

POLICY = """
name: eval-test
sensitive_information:
  regexes:
    - {name: BAD, pattern: "\\\\bbadword\\\\b", action: BLOCK}
    - {name: MASK, pattern: "\\\\bmaskme\\\\b", action: ANONYMIZE}
"""

TOP_LEVEL = {
    "n",
    "precision",
    "recall",
    "f1",
    "fpr",
    "auprc",
    "recall_at_1pct_fpr",
    "by_group",
    "by_category",
}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY, encoding="utf-8")
    first = tmp_path / "first.jsonl"
    first.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"text": "a badword here", "label": 1, "category": "HATE", "group": "age:old"},
                {"text": "nothing here", "label": 1, "category": "HATE", "group": "age:young"},
                {"text": "a plain sentence", "label": 0, "group": "age:old"},
                {"text": "please maskme", "label": 0, "group": "age:young"},
            ]
        ),
        encoding="utf-8",
    )
    second = tmp_path / "second.jsonl"
    second.write_text(
        json.dumps({"text": "badword", "label": 1}) + "\n" + json.dumps({"text": "fine", "label": 0}) + "\n",
        encoding="utf-8",
    )
    return {"policy": policy, "first": first, "second": second}


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["eval", *args])
    return result.exit_code, result.stdout, result.stderr


def test_json_report_has_the_documented_names(files: dict[str, Path]) -> None:
    args = [str(files["first"]), "--policy", str(files["policy"]), "--json"]
    code, out, _ = _invoke(*args, "--caught", "intervened")
    assert code == ExitCode.OK
    report = json.loads(out)
    assert set(report) >= TOP_LEVEL | {"fpr_spread", "latency_ms", "masked", "masked_rate", "warnings"}
    assert set(report["latency_ms"]) == {"p50", "p99"}
    assert report["warnings"] == [] and "pii" not in report  # no ignored fields, no gold spans
    # caught = intervened: the block and the mask both count
    assert (
        report["n"] == 4 and report["recall"] == 0.5 and report["fpr"] == 0.5 and report["precision"] == 0.5
    )
    assert report["by_group"]["age:old"]["fpr"] == 0.0 and report["by_group"]["age:young"]["fpr"] == 1.0
    assert report["by_group"]["age:old"]["n"] == 2
    assert report["fpr_spread"] == 1.0
    assert report["by_category"]["HATE"]["recall"] == 0.5


def test_blocked_only_ignores_masking(files: dict[str, Path]) -> None:
    code, out, _ = _invoke(
        str(files["first"]), "--policy", str(files["policy"]), "--json", "--caught", "blocked"
    )
    assert code == ExitCode.OK
    assert json.loads(out)["fpr"] == 0.0


def test_caught_means_blocked_by_default_and_masking_is_reported_apart(files: dict[str, Path]) -> None:
    code, out, _ = _invoke(str(files["first"]), "--policy", str(files["policy"]), "--json")
    assert code == ExitCode.OK
    report = json.loads(out)
    # "please maskme" (label 0) is masked, not blocked: not a false positive, but counted as masked
    assert report["fpr"] == 0.0 and report["recall"] == 0.5 and report["precision"] == 1.0
    assert report["masked"] == 1 and report["masked_rate"] == 0.25
    assert report["by_group"]["age:young"]["masked"] == 1 and report["by_group"]["age:old"]["masked"] == 0
    assert report["by_group"]["age:young"]["masked_rate"] == 0.5
    code, out, _ = _invoke(str(files["first"]), "--policy", str(files["policy"]))
    header, _, first = (line.split() for line in out.splitlines()[1:4])
    assert first[header.index("masked")] == "1" and first[header.index("masked_rate")] == "0.250"


def test_several_datasets_give_one_report_each_plus_overall(files: dict[str, Path]) -> None:
    code, out, _ = _invoke(
        str(files["first"]), str(files["second"]), "--policy", str(files["policy"]), "--json"
    )
    assert code == ExitCode.OK
    report = json.loads(out)
    assert set(report) == {"datasets", "overall", "warnings"}
    assert set(report["datasets"]) == {"first", "second"}
    assert report["datasets"]["second"]["recall"] == 1.0
    assert report["overall"]["n"] == 6
    both = [str(files["first"]), str(files["second"]), "--policy", str(files["policy"])]
    assert _invoke(*both, "--fail-under", "recall=0.6")[0] == ExitCode.OK  # overall 3/4
    assert _invoke(*both, "--fail-under", "datasets.first.recall=0.6")[0] == ExitCode.GATE_FAILED
    assert _invoke(*both, "--fail-under", "datasets.second.recall=1")[0] == ExitCode.OK
    code, out, _ = _invoke(*both)
    assert code == ExitCode.OK
    assert [line.split()[0] for line in out.splitlines()[3:6]] == ["first", "second", "overall"]


def test_gates_set_the_exit_code(files: dict[str, Path]) -> None:
    args = [str(files["first"]), "--policy", str(files["policy"]), "--caught", "intervened"]
    code, _, err = _invoke(*args, "--fail-under", "recall=0.6")
    assert code == ExitCode.GATE_FAILED
    assert "gate failed: recall>=0.6: recall is 0.5000" in err
    assert _invoke(*args, "--fail-under", "recall=0.5")[0] == ExitCode.OK
    assert _invoke(*args, "--fail-over", "fpr=0.4")[0] == ExitCode.GATE_FAILED
    assert _invoke(*args, "--fail-under", "fpr<=0.5", "--fail-over", "fpr_spread=1")[0] == ExitCode.OK
    assert _invoke(*args, "--fail-under", "by_group.age:old.recall=1")[0] == ExitCode.OK
    code, _, err = _invoke(*args, "--fail-under", "recal=0.5")
    assert code == ExitCode.INPUT_ERROR and "no metric 'recal'" in err
    code, _, err = _invoke(*args, "--fail-under", "recall")
    assert code == ExitCode.INPUT_ERROR and "METRIC=VALUE" in err


def test_bad_lines_are_named_and_exit_5(files: dict[str, Path], tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "label": 0}\n{"text": "x", "label": "yes"}\n', encoding="utf-8")
    code, _, err = _invoke(str(bad), "--policy", str(files["policy"]))
    assert code == ExitCode.INPUT_ERROR
    assert err.strip() == "error: bad.jsonl line 2: \"label\" must be 0 or 1, not 'yes'"
    assert "Traceback" not in err


def test_unknown_policy_exits_4(files: dict[str, Path]) -> None:
    assert _invoke(str(files["first"]), "--policy", "no-such-pack")[0] == ExitCode.POLICY_ERROR


def test_split_and_limit_options(files: dict[str, Path]) -> None:
    code, out, _ = _invoke(str(files["first"]), "--policy", str(files["policy"]), "--json", "--limit", "2")
    assert code == ExitCode.OK and json.loads(out)["n"] == 2
    code, _, err = _invoke(str(files["first"]), "--policy", str(files["policy"]), "--split", "test")
    assert code == ExitCode.INPUT_ERROR and "no rows with split 'test'" in err


def test_bootstrap_adds_intervals(files: dict[str, Path]) -> None:
    args = [str(files["first"]), "--policy", str(files["policy"]), "--bootstrap", "50"]
    code, out, _ = _invoke(*args, "--json")
    assert code == ExitCode.OK
    ci = json.loads(out)["ci95"]
    assert set(ci) == {"precision", "recall", "f1", "fpr", "auprc", "recall_at_1pct_fpr"}
    assert ci["recall"][0] <= 0.5 <= ci["recall"][1]
    code, out, _ = _invoke(*args)
    assert code == ExitCode.OK and "95% bootstrap intervals (first): " in out


def test_by_field_slices(files: dict[str, Path], tmp_path: Path) -> None:
    data = tmp_path / "tagged.jsonl"
    data.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"text": "badword", "label": 1, "family": "a", "position": "start"},
                {"text": "clean", "label": 1, "family": "a", "position": "end"},
                {"text": "badword too", "label": 0, "family": "b"},
            ]
        ),
        encoding="utf-8",
    )
    args = [
        str(data),
        "--policy",
        str(files["policy"]),
        "--by",
        "family",
        "--by",
        "position",
        "--by",
        "source",
    ]
    code, out, _ = _invoke(*args, "--json")
    assert code == ExitCode.OK
    report = json.loads(out)
    assert report["by_family"]["a"]["recall"] == 0.5 and report["by_family"]["b"]["fpr"] == 1.0
    assert set(report["by_position"]) == {"start", "end"}  # rows without the field are left out
    assert report["by_source"]["input"]["n"] == 3
    assert _invoke(*args, "--fail-over", "by_family.b.fpr=0.5")[0] == ExitCode.GATE_FAILED
    code, out, _ = _invoke(*args)
    assert "family a" in out and "position start" in out


def test_threshold_option_and_gate(files: dict[str, Path]) -> None:
    args = [str(files["first"]), "--policy", str(files["policy"]), "--threshold", "0.5"]
    code, out, _ = _invoke(*args, "--json")
    assert code == ExitCode.OK
    assert json.loads(out)["at_threshold"]["0.5"]["recall"] == 0.5
    assert _invoke(*args, "--fail-under", "at_threshold.0.5.recall=0.6")[0] == ExitCode.GATE_FAILED
    assert _invoke(*args[:-1], "2")[0] == 2  # out of range is a usage error


def test_ignored_fields_are_warned_about_once_per_file_and_field(
    files: dict[str, Path], tmp_path: Path
) -> None:
    data = tmp_path / "grounded.jsonl"
    rows = [
        {"text": "The answer.", "label": 0, "source": "input", "context": "the source"},
        {"text": "Another answer.", "label": 1, "source": "input", "context": "the source", "query": "q?"},
        {"text": "A question", "label": 0, "query": "q?"},  # no source, no context: checked as input
        {"text": "An answer", "label": 0, "context": "the source"},  # checked as output
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    # the test policy has no grounding check: context on the output row is ignored too
    code, out, err = _invoke(str(data), "--policy", str(files["policy"]), "--json")
    assert code == ExitCode.OK
    warnings = json.loads(out)["warnings"]
    assert len(warnings) == 2 and [w for w in err.splitlines() if w.startswith("warning: ")] == [
        f"warning: {w}" for w in warnings
    ]
    context, query = warnings
    assert context.startswith('"context" is ignored on 3 rows of grounded.jsonl: ')
    assert "2 checked as input" in context and '1 policy "eval-test" has no grounding check' in context
    assert query.startswith('"query" is ignored on 2 rows of grounded.jsonl: checked as input')
    # the default policy has grounding and relevance: only the rows checked as input are left
    code, out, err = _invoke(str(data), "--json")
    warnings = json.loads(out)["warnings"]
    assert warnings[0] == (
        '"context" is ignored on 2 rows of grounded.jsonl: checked as input, '
        "and grounding judges answers (output) only"
    )
    assert warnings[1].startswith('"query" is ignored on 2 rows of grounded.jsonl') and len(warnings) == 2
    assert "warning: " + warnings[0] in err


def test_span_rows_report_pii_and_bad_spans_name_the_line(files: dict[str, Path], tmp_path: Path) -> None:
    data = tmp_path / "spans.jsonl"
    rows = [
        {"text": "please maskme now", "spans": [{"start": 7, "end": 13, "type": "MASK"}]},
        {"text": "nothing", "spans": []},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    code, out, _ = _invoke(str(data), "--policy", str(files["policy"]), "--json")
    assert code == ExitCode.OK
    report = json.loads(out)
    assert report["pii"]["by_type"]["MASK"]["f1"] == 1.0 and report["pii"]["rows"] == 2
    assert report["warnings"] == []
    assert (
        _invoke(str(data), "--policy", str(files["policy"]), "--fail-under", "pii.overall.recall=1")[0] == 0
    )
    code, out, _ = _invoke(str(data), "--policy", str(files["policy"]))
    assert "PII spans on 2 rows" in out
    bad = tmp_path / "bad_spans.jsonl"
    bad.write_text(
        json.dumps(rows[1])
        + "\n"
        + json.dumps({"text": "abc", "spans": [{"start": 1, "end": 9, "type": "X"}]}),
        encoding="utf-8",
    )
    code, _, err = _invoke(str(bad), "--policy", str(files["policy"]))
    assert code == ExitCode.INPUT_ERROR
    assert (
        err.strip()
        == 'error: bad_spans.jsonl line 2: "spans[0].end" 9 is beyond the end of the text (3 characters)'
    )
