"""Converters from the shared development data (``../shared/data``) to eval JSONL.

Each converter reads one source's files, labels every row the way the source means it
(see each function's docstring) and tags it with ``dataset`` (the converter's name) and
``ref`` (file and row in the source), so any number in a report can be traced back. All
are deterministic; ``limit`` keeps an evenly spaced sample of each label, in its
share, not the first rows.

The non-commercial sets (alpaca, do_not_answer) and Tensor Trust (no licence) are for
evaluation only: their rows carry a ``licence`` note, and nothing from them may be
copied into the package.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from steward.errors import InputError
from steward.evaluate.convert import attacks, content, grounding, harmful, identity
from steward.evaluate.convert._io import Row, read_csv, read_jsonl, stratified_sample

__all__ = ["CONVERTERS", "Converter", "convert", "read_csv", "read_jsonl", "write_jsonl"]


@dataclass(frozen=True, slots=True)
class Converter:
    """One source of the shared data and how to turn it into eval rows."""

    name: str
    read: Callable[[Path], list[Row]]
    summary: str


CONVERTERS: dict[str, Converter] = {
    c.name: c
    for c in (
        Converter("advbench", harmful.advbench, "AdvBench harmful behaviours and strings, all label 1"),
        Converter("forbidden_questions", harmful.forbidden_questions, "390 forbidden questions, label 1"),
        Converter(
            "do_not_answer", harmful.do_not_answer, "Do-Not-Answer questions, label 1 (evaluation only)"
        ),
        Converter("alpaca", harmful.alpaca, "Alpaca instructions, benign label 0 (evaluation only)"),
        Converter("davidson", content.davidson, "tweets: hate -> HATE 1, offensive -> INSULTS 1, neither 0"),
        Converter(
            "toxigen",
            content.toxigen,
            "implicit-hate and neutral statements about 16 groups, split by statement",
        ),
        Converter(
            "toxigen_identity",
            identity.toxigen_identity,
            "ToxiGen statements with their target groups as 'identity', for eval --bias",
        ),
        Converter(
            "identity_templates",
            identity.identity_templates,
            "written identity sentences (eval split, 74 terms) for eval --bias; reads training/written",
        ),
        Converter("gptfuzz", content.gptfuzz, "responses to jailbreaks, source output, 1 = jailbroken"),
        Converter(
            "jailbreak_prompts", attacks.jailbreak_prompts, "in-the-wild jailbreak prompts, PROMPT_ATTACK 1"
        ),
        Converter(
            "bipia", attacks.bipia, "email/table/code contexts, clean 0 and injected at start/middle/end 1"
        ),
        Converter("tensor_trust", attacks.tensor_trust, "attacks 1, access codes 0 (evaluation only)"),
        Converter("halueval_qa", grounding.halueval_qa, "grounding: context/query/answer, 1 = hallucinated"),
        Converter(
            "halueval_general", grounding.halueval_general, "responses without context, 1 = hallucinated"
        ),
        Converter("truthfulqa", grounding.truthfulqa, "best answer 0, an incorrect answer 1 (factuality)"),
    )
}


def convert(name: str, data_dir: Path, *, limit: int | None = None) -> list[Row]:
    """Rows of converter ``name`` over the shared data in ``data_dir``, at most ``limit``."""
    converter = CONVERTERS.get(name)
    if converter is None:
        raise InputError(f"unknown converter (choose from {', '.join(CONVERTERS)})", field=repr(name))
    rows = stratified_sample(converter.read(data_dir), limit)
    for row in rows:
        row["dataset"] = name
        row.setdefault("source", "input")
    return rows


def write_jsonl(rows: list[Row], path: Path) -> int:
    """Write rows as JSON lines (UTF-8, one object per line); return how many were written."""
    try:
        with path.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    except OSError as exc:
        raise InputError(f"cannot be written ({exc.strerror})", field=str(path)) from None
    return len(rows)
