"""Integrity of the hand-written challenge set under ``data/challenge``.

Other engineers train on its train split and report on its test split, so the split
must be by family (no template, topic or style on both sides), every row must be
well-formed, and the minimum contents the set promises must be there.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

CHALLENGE = Path(__file__).resolve().parents[2] / "data" / "challenge"
CATEGORIES = {
    "HATE",
    "INSULTS",
    "SEXUAL",
    "VIOLENCE",
    "MISCONDUCT",
    "SELF_HARM",
    "CHILD_SAFETY",
    "PROMPT_ATTACK",
    "BENIGN",
}
REQUIRED = ("text", "label", "category", "kind", "source", "split", "family")
#: The kinds data/challenge/README.md documents; a new kind must be documented there too.
KINDS = {
    "alarming_benign",
    "identity_benign",
    "identity_hateful",
    "implicit_hate",
    "counter_speech",
    "quoting",
    "reclaimed",
    "harmful_request",
    "harmful_response",
    "threat",
    "harassment",
    "jailbreak",
    "obfuscation",
    "injection",
    "clean_document",
    "benign_trigger",
}


def _rows() -> list[dict[str, object]]:
    rows = []
    for path in sorted(CHALLENGE.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            row["_file"] = path.name
            rows.append(row)
    return rows


ROWS = _rows()


def test_every_row_is_well_formed() -> None:
    assert len(ROWS) > 3000
    for row in ROWS:
        for name in REQUIRED:
            assert name in row, (row["_file"], name)
        assert isinstance(row["text"], str) and row["text"].strip()
        assert row["label"] in (0, 1)
        assert row["category"] in CATEGORIES
        assert row["source"] in ("input", "output")
        assert row["split"] in ("train", "test")
        assert row["kind"] in KINDS, row["kind"]
        # label 0 rows are BENIGN, label 1 rows name the category they should be caught for
        assert (row["category"] == "BENIGN") == (row["label"] == 0), row["text"]


def test_readme_documents_every_kind() -> None:
    readme = (CHALLENGE / "README.md").read_text(encoding="utf-8")
    line = next(line for line in readme.splitlines() if line.startswith("| `kind` |"))
    assert {k.strip() for k in line.split("|")[2].split(",")} == KINDS


def test_no_duplicate_texts() -> None:
    counts = Counter(str(r["text"]).strip().lower() for r in ROWS)
    assert [t for t, n in counts.items() if n > 1] == []


def test_split_is_by_family_never_by_row() -> None:
    splits: dict[str, set[object]] = {}
    for row in ROWS:
        splits.setdefault(str(row["family"]), set()).add(row["split"])
    assert {f: s for f, s in splits.items() if len(s) > 1} == {}
    families = Counter(row["split"] for row in {str(r["family"]): r for r in ROWS}.values())
    assert families["train"] >= 20 and families["test"] >= 20


def test_injection_carriers_and_obfuscations_differ_between_splits() -> None:
    carriers: dict[str, set[object]] = {"train": set(), "test": set()}
    for row in ROWS:
        if row["kind"] == "injection":
            carriers[str(row["split"])].add(row["carrier"])
            assert row["position"] in ("start", "middle", "end")
            assert row["untrusted"] is True
    assert carriers["train"] and carriers["test"]
    assert not carriers["train"] & carriers["test"]


def test_minimum_contents() -> None:
    kinds = Counter(str(r["kind"]) for r in ROWS)
    assert kinds["alarming_benign"] >= 500
    assert kinds["identity_benign"] >= 500 and kinds["identity_hateful"] >= 500
    assert kinds["counter_speech"] + kinds["quoting"] + kinds["reclaimed"] >= 80
    assert kinds["injection"] >= 150 and kinds["jailbreak"] >= 50 and kinds["obfuscation"] >= 30
    assert kinds["benign_trigger"] >= 50
    positives = Counter(str(r["category"]) for r in ROWS if r["label"] == 1)
    for category in CATEGORIES - {"BENIGN"}:
        assert positives[category] >= 10, category


def test_identity_rows_cover_fifty_terms_in_seven_categories_and_both_splits() -> None:
    identity = [r for r in ROWS if str(r["kind"]).startswith("identity_")]
    groups = {str(r["group"]) for r in identity}
    assert len(groups) >= 50
    assert {g.split(":")[0] for g in groups} == {
        "gender",
        "sexual_orientation",
        "religion",
        "ethnicity",
        "nationality",
        "disability",
        "age",
    }
    # counterfactual: every template is filled with every term
    per_family = Counter(str(r["family"]) for r in identity)
    assert set(per_family.values()) == {len(groups)}
    for split in ("train", "test"):
        for label in (0, 1):
            assert {
                str(r["group"]) for r in identity if r["split"] == split and r["label"] == label
            } == groups


@pytest.mark.parametrize("script", ["build_handwritten.py", "build_identity.py", "build_attacks.py"])
def test_committed_files_are_what_the_scripts_build(script: str, tmp_path: Path) -> None:
    """The JSONL files are generated: rebuilding in a copy reproduces them byte for byte."""
    copy = tmp_path / "challenge"
    copy.mkdir()
    (copy / script).write_text((CHALLENGE / script).read_text(encoding="utf-8"), encoding="utf-8")
    if script == "build_handwritten.py":
        (copy / "handwritten").mkdir()
        for src in (CHALLENGE / "handwritten").glob("*.txt"):
            (copy / "handwritten" / src.name).write_text(src.read_text(encoding="utf-8"), encoding="utf-8")
    subprocess.run([sys.executable, str(copy / script)], check=True, capture_output=True)
    built = sorted(copy.glob("*.jsonl"))
    assert built
    for path in built:
        assert path.read_bytes() == (CHALLENGE / path.name).read_bytes(), path.name
