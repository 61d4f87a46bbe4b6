"""The README's commands for the guard's bias and explanations, fairness, and red teaming run as
written, one test per section (together they take over a minute on two cores).

Each test reads its section's ``bash`` block from README.md, prepares what the README says the
commands take (a model saved with joblib, a test CSV, prediction files, registered systems, a
reviewer's file, the server's database for the review queue), and runs every command in order
in process; a command's exit code must be 0. The one line changed before it runs is the red
team's ``--url``: the README names a local server on port 8000, the test a scripted model on a
free port.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from pathlib import Path
from typing import Any

import joblib
import pandas as pd
import pytest
import yaml
from redteam_fakes import Upstream
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DATA = Path(os.environ.get("STEWARD_SHARED_DATA", ROOT.parent / "shared" / "data"))
EXAMPLES = ROOT / "examples" / "governance"
COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]  # fmt: skip
NUMERIC = ["age", "education-num", "capital-gain", "capital-loss", "hours-per-week"]


def readme_commands(section: str) -> list[tuple[list[str], str | None]]:
    """The commands of the first ``bash`` block under ``## section``: (argv, stdout file or None)."""
    text = README.read_text(encoding="utf-8")
    body = text.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```bash\n(.*?)```", body, flags=re.S)
    assert match, f"no bash block under {section!r}"
    commands: list[tuple[list[str], str | None]] = []
    for line in match.group(1).replace("\\\n", " ").splitlines():
        tokens = shlex.split(line, comments=True)
        while tokens:
            cut = tokens.index("&&") if "&&" in tokens else len(tokens)
            argv, tokens = tokens[:cut], tokens[cut + 1 :]
            out = None
            if ">" in argv:
                at = argv.index(">")
                argv, out = argv[:at], argv[at + 1]
            assert argv[0] == "steward", f"not a steward command: {argv}"
            commands.append((argv[1:], out))
    return commands


def _adult(path: Path, rows: int) -> pd.DataFrame:
    frame = pd.read_csv(path, header=None, names=COLUMNS, skipinitialspace=True, nrows=rows, comment="|")
    return frame.assign(income=frame["income"].str.rstrip(".").eq(">50K").astype(int))


def _model(train: pd.DataFrame) -> Any:
    x = train.drop(columns=["income", "fnlwgt", "race", "sex"])
    categorical = [c for c in x.columns if c not in NUMERIC]
    encode = make_column_transformer(
        (StandardScaler(), NUMERIC), (OneHotEncoder(handle_unknown="ignore"), categorical)
    )
    return make_pipeline(encode, LogisticRegression(max_iter=2000)).fit(x, train["income"])


@pytest.fixture
def workdir(run: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """``run`` in a scratch folder, with the shared data and the server's data directory set."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STEWARD_SHARED_DATA", str(DATA))
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    return run


def _run_all(
    run: Any,
    commands: list[tuple[list[str], str | None]],
    before: dict[int, Any] | None = None,
    codes: dict[int, int] | None = None,
) -> list[Any]:
    """Run ``commands`` in order (``before[i]`` first, where given); exit 0 unless ``codes[i]`` says."""
    results = []
    for i, (argv, out) in enumerate(commands):
        if before and i in before:
            before[i]()
        result = run(*argv, code=(codes or {}).get(i, 0))
        if out is not None:
            Path(out).write_text(result.stdout, encoding="utf-8")
        results.append(result)
    return results


def _register(run: Any, name: str) -> None:
    doc = yaml.safe_load((EXAMPLES / f"{name}.yaml").read_text())
    doc.pop("guardrails", None)
    Path(f"{name}.yaml").write_text(yaml.safe_dump(doc))
    run("system", "add", f"{name}.yaml")


def test_the_readme_bias_and_explanation_commands_run_as_written(workdir: Any, tmp_path: Path) -> None:
    run = workdir
    _register(run, "credit-prescreen")
    _register(run, "support-chatbot")
    train, test = _adult(DATA / "adult" / "adult.data", 2000), _adult(DATA / "adult" / "adult.test", 300)
    joblib.dump(_model(train), "credit-lr.joblib")
    test.drop(columns=["fnlwgt", "race", "sex"]).to_csv("test.csv", index=False)
    commands = readme_commands("The guard's own bias, and explanations")
    assert [c[0][0] for c in commands] == ["eval-convert", "eval", "eval", "evidence", "explain", "check"]
    results = _run_all(run, commands, codes={5: 1})  # `check` exits 1 when it blocks (README exit codes)
    assert "final bias score" in results[1].stdout
    assert json.loads(Path("bias.json").read_text())["identities"] == 16
    assert "recorded ev-" in results[3].output and "recorded ev-" in results[4].output
    assert "explain HATE" in results[5].stdout
    chatbot = json.loads(run("card", "support-chatbot", "--format", "json").stdout)[
        "support-chatbot-system-card"
    ]
    fairness = next(s for s in chatbot["sections"] if s["title"] == "Fairness")
    headline = next(
        t for t in fairness["tables"] if t["caption"].startswith("guard bias — guardrail:default 1")
    )
    figures = {r["metric"]: r["value"] for r in headline["rows"]}
    assert (
        figures["final_bias_score"] == f"{json.loads(Path('bias.json').read_text())['final_bias_score']:.4g}"
    )
    cards = json.loads(run("card", "credit-prescreen", "--format", "json").stdout)
    model = cards["credit-prescreen-model-card-credit-lr"]
    assert next(s for s in model["sections"] if s["title"] == "Explainability").get("tables")


def test_the_readme_fairness_commands_run_as_written(workdir: Any, tmp_path: Path) -> None:
    run = workdir
    _register(run, "credit-prescreen")
    train, test = _adult(DATA / "adult" / "adult.data", 3000), _adult(DATA / "adult" / "adult.test", 1500)
    train.to_csv("train.csv", index=False)
    test.to_csv("test.csv", index=False)
    model = _model(train)
    inputs = test.drop(columns=["income", "fnlwgt", "race", "sex"])
    preds = test[["sex", "race"]].assign(
        label=test["income"], prediction=model.predict(inputs), score=model.predict_proba(inputs)[:, 1]
    )
    preds.to_csv("preds.csv", index=False)
    preds.to_parquet("preds.parquet")
    commands = readme_commands("Fairness of predictive models")
    assert [c[0][0] for c in commands] == ["fairness", "fairness", "fairness"]
    results = _run_all(run, commands)
    assert "four-fifths rule" in results[0].stdout and "race" in results[0].stdout
    report = json.loads(results[1].stdout.split("\nrecorded")[0])
    assert report["attributes"]["sex"]["demographic_parity_ratio"]["value"] < 0.8
    assert "recorded ev-" in results[1].output
    assert "sex.demographic_parity_ratio" in results[2].stdout and Path("mitigated.csv").exists()


def test_the_readme_red_team_commands_run_as_written(
    workdir: Any, model: Upstream, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = workdir
    _register(run, "support-chatbot")
    reviewer = json.loads(run("keys", "create", "--role", "reviewer", "--init", "--json").output)["id"]
    monkeypatch.setenv("KEY", "sk-readme")
    commands = readme_commands("Red teaming")
    assert [c[0][:2] for c in commands] == [["redteam", "run"]] * 2 + [
        ["redteam", "report"],
        ["redteam", "run"],
        ["redteam", "report"],
    ]
    url = commands[1][0].index("--url") + 1
    assert commands[1][0][url] == "http://127.0.0.1:8000/v1"
    commands[1][0][url] = model.url

    def reviewers_file() -> None:
        report = json.loads(Path("run.json").read_text())
        first = next(a["id"] for a in report["attempts"] if a["success"])
        Path("verdicts.yaml").write_text(yaml.safe_dump({first: "failure"}))

    def a_reviewer_overturns_one() -> None:
        listed = run("review", "list", "--reason", "red_team", "--json").stdout.splitlines()
        item = json.loads(listed[0])["id"]
        run("review", "claim", item, "--as", reviewer)
        run("review", "overturn", item, "--label", "0", "--as", reviewer)

    results = _run_all(run, commands, before={2: reviewers_file, 4: a_reviewer_overturns_one})
    first = json.loads(Path("run.json").read_text())
    assert first["metrics"]["attempts"] == 952 and len(first["by_group"]["transform"]) == 17
    # The README's headline figure is this run's (the benchmark runs the same goals, transforms and seed),
    # within half a point (4 of 952 attempts): a dozen attempts score within 0.01 of a threshold, and
    # a later fresh install (unpinned onnxruntime, numpy, tokenizers) most likely moved one of them
    # across it (13.3% then 13.2%, same model and code). A retrained model moves the figure by points.
    readme_rate = re.search(r"lets \*\*(\d+\.\d)%\*\* of", README.read_text(encoding="utf-8"))
    assert readme_rate is not None, "the README's red-team section lost its headline figure"
    assert abs(float(readme_rate.group(1)) - 100 * first["metrics"]["attack_success_rate"]) <= 0.5
    assert (
        results[1].stdout.startswith("# Red-team report") and "- **iterative rounds:** 2" in results[1].stdout
    )
    # The attempt the reviewer's file overturns was the first example that got through; now it is not one.
    flipped = first["examples"][0]["id"]
    assert yaml.safe_load(Path("verdicts.yaml").read_text()) == {flipped: "failure"}
    assert "<html" in results[2].stdout and flipped in results[0].stdout and flipped not in results[2].stdout
    assert "recorded ev-" in results[2].output
    assert "filed" in results[3].output and "review queue: 1 verdict(s)" in results[4].output
    assert "- **review queue:** 1 verdict(s)" in results[4].stdout
