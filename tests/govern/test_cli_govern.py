"""The governance commands end to end on SQLite, in process, with the worked example's files."""

from __future__ import annotations

import json
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "governance"

EVAL = {
    "n": 16281,
    "precision": 0.73,
    "recall": 0.59,
    "f1": 0.65,
    "fpr": 0.067,
    "auprc": 0.76,
    "recall_at_1pct_fpr": 0.29,
    # The example's fairness requirement reads tpr per sex and the selection-rate ratio by sex (>= 0.8).
    "by_group": {
        "sex": {
            "Female": {"recall": 0.53, "tpr": 0.53, "fpr": 0.02, "selection_rate": 0.161},
            "Male": {"recall": 0.6, "tpr": 0.6, "fpr": 0.09, "selection_rate": 0.155},
        }
    },
    "by_category": {},
    "latency_ms": {"p50": 0.02, "p99": 0.06},
}


def test_worked_example_from_inventory_to_published_cards(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("system", "add", str(EXAMPLE / "credit-prescreen.yaml"))
    run("dataset", "add", str(EXAMPLE / "adult-datasheet.yaml"))
    data = tmp_path / "adult.csv"
    data.write_text("39, Male, White, <=50K\n50, Female, Black, >50K\n39, Male, White, <=50K\n")
    out = run(
        "dataset",
        "profile",
        "uci-adult",
        str(data),
        "--columns",
        "age,sex,race,income",
        "--label",
        "income",
        "--group",
        "sex",
        "--group",
        "race",
        "--system",
        "credit-prescreen",
    ).output
    assert "3 rows, 4 columns, 1 exact duplicates" in out and "recorded ev-" in out
    again = run(
        "dataset",
        "profile",
        "uci-adult",
        str(data),
        "--columns",
        "age,sex,race,income",
        "--label",
        "income",
        "--group",
        "sex",
        "--group",
        "race",
        "--system",
        "credit-prescreen",
    ).output
    assert "this scan is already recorded for credit-prescreen 1.0" in again
    run("risk", "add", "credit-prescreen", str(EXAMPLE / "credit-risks.yaml"))
    assert "r1-disparate-impact" in run("risk", "heatmap", "credit-prescreen").output
    html = run("risk", "heatmap", "credit-prescreen", "--format", "html").output
    assert '<td class="critical">r1-disparate-impact</td>' in html
    assert (
        "| severity 5 |" in run("risk", "heatmap", "credit-prescreen", "--format", "md", "--residual").output
    )

    refused = run("system", "status", "credit-prescreen", "deployment", "--by", "lead", code=7).output
    assert refused.startswith("REFUSED: credit-prescreen 1.0 development -> deployment")
    assert "human oversight is 'none'" in refused and "no evaluation evidence 'credit-lr holdout'" in refused
    assert json.loads(run("system", "list", "--json").output)["systems"][0]["status"] == "development"

    (tmp_path / "eval.json").write_text(json.dumps(EVAL))
    model = tmp_path / "model.json"
    model.write_text("{}")
    for kind, name in (("evaluation", "credit-lr holdout"), ("fairness", "credit-lr groups")):
        run(
            "evidence",
            "add",
            "credit-prescreen",
            str(tmp_path / "eval.json"),
            "--kind",
            kind,
            "--name",
            name,
            "--subject",
            "model:credit-lr",
            "--subject-version",
            "1.0",
            "--input",
            str(model),
            "--control",
            "nist-ai-rmf:MEASURE-2.1",
        )
    run("system", "add", str(EXAMPLE / "credit-prescreen-fixed.yaml"), "--replace")
    run("risk", "add", "credit-prescreen", str(EXAMPLE / "credit-risks-reviewed.yaml"))
    assert run("system", "gate", "credit-prescreen").output.startswith("ALLOWED")
    allowed = json.loads(run("system", "status", "credit-prescreen", "deployment", "--json").output)
    assert allowed["allowed"] is True and allowed["to"] == "deployment"
    history = run("system", "decisions", "credit-prescreen").output
    assert "REFUSED" in history and "allowed" in history

    cards = tmp_path / "cards"
    written = run("card", "credit-prescreen", "--format", "html", "--out", str(cards), "--strict").output
    assert "credit-prescreen-system-card.html" in written and "model-card-credit-lr" in written
    system_card = (cards / "credit-prescreen-system-card.html").read_text()
    assert "0.59" in system_card and "credit-lr holdout" in system_card
    assert (cards / "datasheet-uci-adult.html").exists()
    md = run("card", "credit-prescreen").output
    assert md.startswith("# System card: Credit application pre-screening")
    as_json = json.loads(run("card", "credit-prescreen", "--format", "json").output)
    assert set(as_json) >= {
        "credit-prescreen-system-card",
        "credit-prescreen-model-card-credit-lr",
        "datasheet-uci-adult",
    }

    gaps = run("system", "controls", "credit-prescreen", "--state", "gap").output
    assert "eu-ai-act:ART-12" in gaps and "met," in gaps
    report = run("risk", "report", "credit-prescreen", "--format", "md").output
    assert "| r1-disparate-impact |" in report

    exported = tmp_path / "register.yaml"
    run("system", "export", "--out", str(exported))
    assert "steward_register: 1" in exported.read_text()
    run("system", "import", str(exported))
    again = run("system", "export").output
    assert again == exported.read_text()


def test_bad_inputs_get_one_line_errors_and_exit_codes(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    unknown = run("system", "show", "no-such-system", code=6)
    assert unknown.output.strip() == "error: system 'no-such-system' not found"
    run("card", "no-such-system", code=6)
    run("system", "add", str(EXAMPLE / "support-chatbot.yaml"))
    bad_risk = tmp_path / "risk.yaml"
    bad_risk.write_text(
        "id: r9\ntitle: t\ndescription: d\nstakeholders: [a]\nseverity: 7\nlikelihood: 2\nowner: o\n"
    )
    result = run("risk", "add", "support-chatbot", str(bad_risk), code=5)
    assert (
        "severity: Input should be less than or equal to 5" in result.output
        and "Traceback" not in result.output
    )
    malformed = tmp_path / "system.yaml"
    malformed.write_text("id: x\nname: [unclosed\n")
    assert "is not valid YAML or JSON at line" in run("system", "add", str(malformed), code=5).output
    other = run(
        "risk",
        "add",
        "support-chatbot",
        str(EXAMPLE / "credit-risks.yaml").replace("credit-risks", "support-chatbot-risks"),
    )
    assert "risk r2-pii-leak: 12 high -> residual 4 low" in other.output
    bad_json = tmp_path / "eval.json"
    bad_json.write_text("{nope")
    out = run(
        "evidence",
        "add",
        "support-chatbot",
        str(bad_json),
        "--name",
        "n",
        "--subject",
        "s",
        "--subject-version",
        "1",
        code=5,
    ).output
    assert "eval.json: is not valid JSON" in out
    bad_control = run(
        "evidence",
        "attest",
        "support-chatbot",
        "--name",
        "n",
        "--statement",
        "s",
        "--by",
        "me",
        "--control",
        "nist:X",
        code=5,
    )
    assert "not a control reference" in bad_control.output
    assert run("system", "status", "support-chatbot", "live", code=2).exit_code == 2


def test_consequential_system_without_oversight_cannot_deploy_and_strict_cards_fail(run) -> None:  # type: ignore[no-untyped-def]
    run("system", "add", str(EXAMPLE / "credit-prescreen.yaml"))
    gate = json.loads(run("system", "gate", "credit-prescreen", "--json", code=7).output)
    assert gate["allowed"] is False and any("human oversight is 'none'" in m for m in gate["missing"])
    run("system", "status", "credit-prescreen", "operation", code=7)
    assert (
        json.loads(run("system", "show", "credit-prescreen", "--format", "json").output)["status"]
        == "development"
    )
    strict = run("card", "credit-prescreen", "--strict", code=7)
    assert (
        "error: no evaluation evidence 'credit-lr holdout' about model:credit-lr 1.0 recorded for version 1.0"
        in strict.output
    )
    lenient = run("card", "credit-prescreen")
    assert "warning: no evaluation evidence" in lenient.output
    due = run("system", "due", code=7).output
    assert "OVERDUE" in due and "record evaluation evidence 'credit-lr holdout'" in due
    assert run("system", "status", "credit-prescreen", "retired").output.startswith("ALLOWED")
    assert run("system", "due").output.strip() == "nothing due within 30 days"


def test_an_import_that_fails_changes_nothing(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run("system", "add", str(EXAMPLE / "support-chatbot.yaml"))
    before = run("system", "export").output
    broken = tmp_path / "register.yaml"
    broken.write_text(
        before.replace("owner: Support Engineering (support-eng@example.com)", "owner: New")
        + "risks:\n- {id: r1}\n"
    )
    run("system", "import", str(broken), code=5)
    assert run("system", "export").output == before


def _text_pages(run, *args: str) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """Every page of a text list, one row a page, following each page's ``next:`` line."""
    pages, after = [], []
    while True:
        lines = run(*args, "--limit", "1", *after).output.splitlines()
        if not (lines and lines[-1].startswith("next: ")):
            return [*pages, lines]
        pages.append(lines[:-1])
        after = ["--after", lines[-1].removeprefix("next: ")]


def _json_rows(run, name: str, *args: str) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    """Every row of a JSON list, one a page, following each page's ``next`` as the API's pages."""
    rows: list[dict[str, object]] = []
    after: list[str] = []
    while True:
        page = json.loads(run(*args, "--json", "--limit", "1", *after).output)
        assert set(page) == {name, "next"} and len(page[name]) == 1
        rows += page[name]
        if page["next"] is None:
            return rows
        after = ["--after", page["next"]]


def test_governance_lists_page_with_a_cursor_as_the_api_does(run) -> None:  # type: ignore[no-untyped-def]
    run("system", "add", str(EXAMPLE / "credit-prescreen.yaml"))
    run("system", "add", str(EXAMPLE / "support-chatbot.yaml"))
    run("risk", "add", "credit-prescreen", str(EXAMPLE / "credit-risks.yaml"))
    run("dataset", "add", str(EXAMPLE / "adult-datasheet.yaml"))
    run("dataset", "add", str(EXAMPLE / "adult-test-datasheet.yaml"))
    for name in ("first", "second"):
        run("evidence", "attest", "credit-prescreen", "--name", name, "--statement", "s", "--by", "me")
    run("system", "status", "credit-prescreen", "deployment", code=7)  # refused twice: two decisions
    run("system", "status", "credit-prescreen", "deployment", code=7)

    assert [s["id"] for s in _json_rows(run, "systems", "system", "list")] == [
        "credit-prescreen",
        "support-chatbot",
    ]
    risks = json.loads(run("risk", "list", "credit-prescreen", "--json").output)
    assert risks["next"] is None and len(risks["risks"]) == 2
    assert _json_rows(run, "risks", "risk", "list", "credit-prescreen") == risks["risks"]
    evidence = [e["name"] for e in _json_rows(run, "evidence", "evidence", "list", "credit-prescreen")]
    assert evidence == ["first", "second"]  # oldest first
    datasets = _text_pages(run, "dataset", "list")
    assert [page[0].split("\t")[0] for page in datasets] == ["uci-adult", "uci-adult-test"]
    decisions = _text_pages(run, "system", "decisions", "credit-prescreen")
    assert len(decisions) == 2 and all("REFUSED" in page[0] for page in decisions)
    assert "next:" not in run("system", "list").output  # one page holds them all


def test_a_bad_cursor_is_a_one_line_input_error(run) -> None:  # type: ignore[no-untyped-def]
    run("system", "add", str(EXAMPLE / "credit-prescreen.yaml"))
    for args in (
        ("system", "list", "--after", "no-such-system"),
        ("system", "decisions", "credit-prescreen", "--after", "123"),
        ("risk", "list", "credit-prescreen", "--after", "r9"),
        ("evidence", "list", "credit-prescreen", "--after", "x" * 65),
        ("dataset", "list", "--after", "nope"),
    ):
        out = run(*args, code=5).output
        assert out.startswith("error: after: is not the cursor of a previous page"), args
        assert len(out.splitlines()) == 1, args
