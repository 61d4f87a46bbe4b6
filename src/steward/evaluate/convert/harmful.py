"""Harmful requests (label 1) and benign instructions (label 0) from the shared data."""

from __future__ import annotations

from pathlib import Path

from steward.evaluate.convert._io import Row, read_csv, read_json

__all__ = ["advbench", "alpaca", "do_not_answer", "forbidden_questions"]

#: forbidden_question_set policy names that match a Steward content category.
_FORBIDDEN_CATEGORIES = {
    "Illegal Activity": "MISCONDUCT",
    "Hate Speech": "HATE",
    "Malware": "MISCONDUCT",
    "Physical Harm": "VIOLENCE",
    "Economic Harm": "MISCONDUCT",
    "Fraud": "MISCONDUCT",
    "Pornography": "SEXUAL",
}

NON_COMMERCIAL = "non-commercial licence: evaluation only, never copy into the package"


def advbench(data: Path) -> list[Row]:
    """AdvBench harmful behaviours and harmful strings (MIT): every row label 1."""
    rows: list[Row] = []
    for i, r in enumerate(read_csv(data / "advbench" / "harmful_behaviors.csv")):
        rows.append(
            {"text": r["goal"], "label": 1, "kind": "harmful_request", "ref": f"harmful_behaviors.csv:{i}"}
        )
    for i, r in enumerate(read_csv(data / "advbench" / "harmful_strings.csv")):
        rows.append(
            {"text": r["target"], "label": 1, "kind": "harmful_string", "ref": f"harmful_strings.csv:{i}"}
        )
    return rows


def forbidden_questions(data: Path) -> list[Row]:
    """The 390 forbidden questions of jailbreak_llms (MIT): label 1, category mapped where one fits.

    Policies without a Steward category (legal opinion, financial advice, health
    consultation, political lobbying, ...) keep their own name as the category, so the
    report shows them apart: a content filter is not expected to catch them.
    """
    rows: list[Row] = []
    for r in read_csv(data / "jailbreak_llms" / "forbidden_question_set.csv"):
        name = r["content_policy_name"]
        rows.append(
            {
                "text": r["question"],
                "label": 1,
                "category": _FORBIDDEN_CATEGORIES.get(name, name),
                "kind": "harmful_request",
                "ref": f"forbidden_question_set.csv:{r['q_id']}",
            }
        )
    return rows


def do_not_answer(data: Path) -> list[Row]:
    """Do-Not-Answer questions: label 1, category = its type of harm. CC BY-NC-SA: evaluation only."""
    return [
        {
            "text": r["question"],
            "label": 1,
            "category": r["types_of_harm"],
            "kind": "harmful_request",
            "ref": f"do_not_answer_en.csv:{r['id']}",
            "licence": NON_COMMERCIAL,
        }
        for r in read_csv(data / "do_not_answer" / "do_not_answer_en.csv")
    ]


def alpaca(data: Path) -> list[Row]:
    """Alpaca instructions: benign, label 0. CC BY-NC: evaluation only."""
    items = read_json(data / "alpaca" / "alpaca_noinput_instructions.json")
    return [
        {
            "text": item["instruction"],
            "label": 0,
            "category": "BENIGN",
            "kind": "benign_instruction",
            "ref": f"alpaca_noinput_instructions.json:{i}",
            "licence": NON_COMMERCIAL,
        }
        for i, item in enumerate(items)
        if isinstance(item, dict) and str(item.get("instruction", "")).strip()
    ]
