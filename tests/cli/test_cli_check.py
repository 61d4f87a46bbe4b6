from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from steward.cli import main


def _policy_file(tmp_path: Path) -> Path:
    p = tmp_path / "p.yaml"
    p.write_text(
        "name: p\nsensitive_information:\n  regexes:\n"
        "    - {name: ticket, pattern: 'TICKET-\\d+', action: ANONYMIZE}\n"
        "    - {name: secret, pattern: 'S3CRET', action: BLOCK}\n"
    )
    return p


def test_exit_codes_and_readable_output(tmp_path: Path) -> None:
    runner = CliRunner()
    pol = str(_policy_file(tmp_path))
    ok = runner.invoke(main, ["check", "--policy", pol, "hello"])
    assert ok.exit_code == 0 and "PASSED" in ok.output
    masked = runner.invoke(main, ["check", "--policy", pol, "see TICKET-9"])
    assert masked.exit_code == 3 and "output: see {ticket}" in masked.output
    blocked = runner.invoke(main, ["check", "--policy", pol, "S3CRET"])
    assert blocked.exit_code == 1 and "BLOCKED" in blocked.output


def test_json_and_stdin(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        main, ["check", "--policy", str(_policy_file(tmp_path)), "--json", "-"], input="x TICKET-1"
    )
    body = json.loads(result.output)
    assert body["action"] == "GUARDRAIL_INTERVENED" and body["output"] == "x {ticket}"
    bad = runner.invoke(main, ["check", "-"], input=b"\xff\xfe")
    assert bad.exit_code == 5 and "stdin: is not valid UTF-8" in bad.output


def test_jsonl_reports_each_line_and_bad_lines(tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_bytes(
        b'{"text": "TICKET-1"}\n"plain"\n{not json\n{"nope": 1}\n\n{"text": "S3CRET", "source": "output"}\n'
    )
    result = CliRunner().invoke(
        main, ["check", "--policy", str(_policy_file(tmp_path)), "--jsonl", str(data)]
    )
    rows = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [r["line"] for r in rows] == [1, 2, 3, 4, 6]
    assert rows[0]["output"] == "{ticket}"
    assert rows[1]["action"] == "NONE"
    assert "not valid JSON" in rows[2]["error"]
    assert "text" in rows[3]["error"]
    assert rows[4]["source"] == "output" and rows[4]["action"] == "GUARDRAIL_INTERVENED"
    assert result.exit_code == 5


def test_policy_commands(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["policy", "validate", str(_policy_file(tmp_path))]).exit_code == 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: p\ncontent_filters: [{category: HATE, input_strength: HUGE}]\n")
    out = runner.invoke(main, ["policy", "validate", str(bad)])
    assert out.exit_code == 4 and "content_filters[0].input_strength" in out.output
    shown = runner.invoke(main, ["policy", "show", "default"])
    assert shown.exit_code == 0 and "name: default" in shown.output
    assert runner.invoke(main, ["policy", "show", "nope"]).exit_code == 4
    assert "pii-mask" in runner.invoke(main, ["policy", "list"]).output
