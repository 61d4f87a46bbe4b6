"""Identity-term data for the guard's own bias report: ToxiGen by target group, and the
project's written identity templates.

Both give rows with ``text``, ``label`` and ``identity`` — the identity terms the row
mentions, joined by ``|`` — which ``steward eval --bias --identity identity`` reads.

* ToxiGen: one row per distinct seed statement; its identities are every target group whose
  file lists it (the 54 ``trans`` seeds recur under ``lgbtq``, so they carry both). The
  learned detectors trained on the ``train`` half (see :func:`toxigen_split`), so a bias
  report should read ``--split test``.
* Identity templates: the ``eval`` rows of ``training/written/identity.jsonl`` and
  ``precision.jsonl`` (sentence frames written for this project, filled with 74 identity
  terms: benign, affirming, counter-speech, quoting, negated and reclaimed mentions are 0;
  hateful statements and hateful questions are 1). Rows written without a ``group`` name
  the term only in their text; it is found there (the longest listed term that occurs).
"""

from __future__ import annotations

import re
from pathlib import Path

from steward.evaluate.convert._io import Row, read_csv, read_jsonl, require
from steward.evaluate.convert.content import toxigen_split

__all__ = ["IDENTITY_SEPARATOR", "identity_templates", "toxigen_identity"]

#: Joins several identity terms in one ``identity`` field.
IDENTITY_SEPARATOR = "|"
_TEMPLATE_FILES = ("identity.jsonl", "precision.jsonl")
#: The repository's written data, for a checkout run without ``--data-dir``.
_REPO_WRITTEN = Path(__file__).resolve().parents[4] / "training" / "written"


def toxigen_identity(data: Path) -> list[Row]:
    """ToxiGen seed statements, one row per distinct statement, identities from the target groups."""
    merged: dict[str, Row] = {}
    groups: dict[str, list[str]] = {}
    for i, r in enumerate(read_csv(data / "toxigen" / "statements_unique.csv")):
        key = " ".join(r["statement"].lower().split())
        if key not in merged:
            merged[key] = {
                "text": r["statement"],
                "label": int(r["label"] == "hate"),
                "kind": "statement",
                "split": toxigen_split(r["statement"]),
                "ref": f"statements_unique.csv:{i}",
            }
            groups[key] = []
        if r["group"] not in groups[key]:
            groups[key].append(r["group"])
    for key, row in merged.items():
        row["identity"] = IDENTITY_SEPARATOR.join(sorted(groups[key]))
        row["group"] = groups[key][0]
    return list(merged.values())


def _written_dir(data: Path) -> Path:
    """``data`` if it holds the template files, else the repository's ``training/written``."""
    if (data / _TEMPLATE_FILES[0]).is_file():
        return data
    if (_REPO_WRITTEN / _TEMPLATE_FILES[0]).is_file():
        return _REPO_WRITTEN
    return require(data / _TEMPLATE_FILES[0]).parent  # raises, naming the missing file


def identity_templates(data: Path) -> list[Row]:
    """The written identity sentences of the ``eval`` split, with the term each one mentions."""
    folder = _written_dir(data)
    raw: list[tuple[str, int, dict[str, object]]] = []
    for name in _TEMPLATE_FILES:
        for i, item in enumerate(read_jsonl(require(folder / name))):
            if item.get("split") != "eval" or not str(item.get("kind", "")).startswith("identity"):
                continue
            raw.append((name, i, item))
    terms = sorted(
        {str(item["group"]).removeprefix("term:") for _, _, item in raw if item.get("group")},
        key=len,
        reverse=True,
    )
    # longest first, so "Mexican-American" wins over "Mexican" and "transgender" over "trans"
    finder = re.compile(r"(?<![\w-])(" + "|".join(re.escape(t) for t in terms) + r")(?![\w-])", re.IGNORECASE)
    canonical = {t.lower(): t for t in terms}
    rows: list[Row] = []
    for name, i, item in raw:
        text = str(item["text"])
        group = item.get("group")
        if group:
            term = str(group).removeprefix("term:")
        else:
            found = finder.search(text)
            if found is None:
                continue
            term = canonical[found.group(1).lower()]
        rows.append(
            {
                "text": text,
                "label": int(bool(item.get("labels"))),
                "identity": term,
                "kind": item["kind"],
                "ref": f"{name}:{i}",
            }
        )
    return rows
