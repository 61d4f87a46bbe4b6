"""Labelled evaluation sets: one JSON object per line, read with errors that name the line.

A row holds ``text`` and ``label`` (1 = should be caught, 0 = should pass) and may add
``source`` (input/output), ``category``, ``group`` (for fairness slices), ``split``
(train/test), ``untrusted`` (third-party content), for grounding ``context`` and
``query``, and for PII gold ``spans`` (see :mod:`steward.evaluate.spans`). Unknown fields
are ignored so richer files (the challenge set) load as they are.

Two defaults predict how the rows are meant: a row with ``context`` and no ``source`` is a
model answer to check against that context, so it is checked as output (grounding only
runs on output); a row with ``spans`` and no ``label`` is labelled 1 if it has any span,
else 0. Fields that the run would ignore are reported by :func:`ignored_fields`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from steward.assessment import Source
from steward.errors import InputError, InputTooLargeError
from steward.evaluate.spans import Span, parse_spans
from steward.policy.schema import Policy
from steward.rules import rule_key, rule_settings

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_ROWS",
    "EvalRow",
    "ignored_fields",
    "jsonl_items",
    "load_dataset",
    "parse_row",
    "take_rows",
]

T = TypeVar("T")

#: A line longer than this is refused (the largest checkable text plus room for the JSON).
MAX_LINE_BYTES = 1 << 20
#: Rows read from one file at most; larger sets should be sampled with ``limit``.
MAX_ROWS = 500_000
#: Extra fields kept per row as tags, and the longest tag value kept.
MAX_TAGS = 32
MAX_TAG_CHARS = 200
_KNOWN = frozenset(
    {"text", "label", "spans", "source", "category", "group", "split", "context", "query", "untrusted"}
)


@dataclass(frozen=True, slots=True)
class EvalRow:
    """One labelled example."""

    text: str
    label: int
    source: Source = Source.INPUT
    category: str | None = None
    group: str | None = None
    split: str | None = None
    context: str | None = None
    query: str | None = None
    untrusted: bool = False
    #: Where the row came from, for error messages: ``file.jsonl line 12``.
    origin: str = ""
    #: The row's other scalar fields as strings (``family``, ``kind``, ``carrier``...), for
    #: ``--by FIELD`` slices.
    tags: dict[str, str] = field(default_factory=dict)
    #: Gold PII spans, when the row has a ``spans`` field (an empty tuple: no PII in the text).
    spans: tuple[Span, ...] | None = None


def _optional_str(item: dict[str, Any], name: str, where: str) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f'"{name}" must be a string, not {type(value).__name__}', field=where)
    return value


def parse_row(item: object, where: str) -> EvalRow:
    """Validate one decoded line; raise :class:`InputError` naming ``where`` and the field."""
    if not isinstance(item, dict):
        raise InputError(f"must be a JSON object, not {type(item).__name__}", field=where)
    text = item.get("text")
    if not isinstance(text, str):
        raise InputError('needs a "text" string', field=where)
    spans = parse_spans(item["spans"], text, where) if "spans" in item else None
    label = item.get("label")
    if label is None and spans is not None:
        label = 1 if spans else 0
    elif label is None:
        raise InputError('needs a "label" (0 or 1) or "spans"', field=where)
    if isinstance(label, bool):
        label = int(label)
    if label not in (0, 1) or not isinstance(label, int):
        raise InputError(f'"label" must be 0 or 1, not {label!r}', field=where)
    context = _optional_str(item, "context", where)
    # A row with a context is an answer to check against it, unless it says otherwise.
    default_source = Source.INPUT if context is None else Source.OUTPUT
    raw_source = item.get("source")
    try:
        source = Source.parse(default_source if raw_source is None else raw_source)
    except ValueError as exc:
        raise InputError(str(exc), field=where) from None
    untrusted = item.get("untrusted", False)
    if not isinstance(untrusted, bool):
        raise InputError('"untrusted" must be true or false', field=where)
    return EvalRow(
        text=text,
        label=label,
        source=source,
        category=_optional_str(item, "category", where),
        group=_optional_str(item, "group", where),
        split=_optional_str(item, "split", where),
        context=context,
        query=_optional_str(item, "query", where),
        untrusted=untrusted,
        origin=where,
        tags=_tags(item),
        spans=spans,
    )


def _tags(item: dict[str, Any]) -> dict[str, str]:
    """Scalar fields beyond the known ones, as short strings (nested values are skipped)."""
    tags: dict[str, str] = {}
    for name, value in item.items():
        if name in _KNOWN or not isinstance(value, str | int | float | bool) or len(tags) >= MAX_TAGS:
            continue
        tags[str(name)] = str(value)[:MAX_TAG_CHARS]
    return tags


_GROUNDING = rule_key("contextual_grounding.grounding")
_RELEVANCE = rule_key("contextual_grounding.relevance")
_PII_PREFIXES = ("sensitive_information.pii_entities[", "sensitive_information.regexes[")


def _detectable_types(rules: Iterable[str]) -> frozenset[str]:
    """The PII entity and regex names among enabled rule keys: the types a span can be predicted as."""
    return frozenset(
        key[len(prefix) : -1] for key in rules for prefix in _PII_PREFIXES if key.startswith(prefix)
    )


def _ignored(field_name: str, reasons: Counter[str], name: str) -> str:
    """``"context" is ignored on 3 rows of f.jsonl: why``; with mixed reasons, a count for each."""
    total = sum(reasons.values())
    why = "; ".join(f"{n} {r}" if len(reasons) > 1 else r for r, n in reasons.most_common())
    return f'"{field_name}" is ignored on {total} row{"s" if total != 1 else ""} of {name}: {why}'


def ignored_fields(rows: Sequence[EvalRow], policy: Policy, *, name: str) -> list[str]:
    """One warning per field of file ``name`` that the run ignores on some rows, with the count.

    ``context`` is ignored where no grounding check runs (rows checked as input, or a policy
    without one), ``query`` where neither relevance nor grounding (given a context) uses it;
    ``spans`` of a type the policy cannot predict in the row's direction are scored but can
    only be missed. A silently ignored field would make a run look like it measured what it
    did not.
    """
    rules = {source: rule_settings(policy, source).keys() for source in Source}
    detectable = {source: _detectable_types(keys) for source, keys in rules.items()}
    why = {
        ("context", Source.INPUT): "checked as input, and grounding judges answers (output) only",
        ("context", Source.OUTPUT): f'policy "{policy.name}" has no grounding check',
        ("query", Source.INPUT): "checked as input, and relevance judges answers (output) only",
        ("query", Source.OUTPUT): f'policy "{policy.name}" has no relevance check',
    }
    context: Counter[str] = Counter()
    query: Counter[str] = Counter()
    unknown: Counter[str] = Counter()
    for row in rows:
        grounding, relevance = _GROUNDING in rules[row.source], _RELEVANCE in rules[row.source]
        if row.context is not None and not grounding:
            context[why["context", row.source]] += 1
        if row.query is not None and not (relevance or (grounding and row.context is not None)):
            query[why["query", row.source]] += 1
        for kind in {s.type for s in row.spans or ()} - detectable[row.source]:
            unknown[kind] += 1
    warnings: list[str] = []
    if context:
        warnings.append(_ignored("context", context, name))
    if query:
        as_input = why["query", Source.INPUT] in query
        warnings.append(
            _ignored("query", query, name)
            + ('; give rows that hold answers "source": "output"' if as_input else "")
        )
    if unknown:
        kinds = ", ".join(f"{kind} ({n} row{'s' if n != 1 else ''})" for kind, n in sorted(unknown.items()))
        warnings.append(
            f'"spans" in {name} have types policy "{policy.name}" does not detect there: {kinds}; '
            "they are scored, and can only be missed"
        )
    return warnings


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", field=str(path)) from None
    with fh:
        yield from enumerate(fh, start=1)


def jsonl_items(path: Path) -> Iterator[tuple[str, object]]:
    """Each non-blank line of a JSONL file, parsed, with where it stands (``name line N``).

    Read line by line, so a large file costs one line of memory; a line that is too long,
    not UTF-8 or not JSON stops the read with an error naming the file and line.
    """
    for number, raw in _lines(path):
        where = f"{path.name} line {number}"
        if len(raw) > MAX_LINE_BYTES:
            raise InputTooLargeError(field=where, size=len(raw), limit=MAX_LINE_BYTES, unit="bytes")
        if not raw.strip():
            continue
        try:
            item = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise InputError(f"is not valid UTF-8 (byte {exc.start})", field=where) from None
        except json.JSONDecodeError as exc:
            raise InputError(f"is not valid JSON ({exc.msg} at column {exc.colno})", field=where) from None
        yield where, item


def load_dataset(path: Path, *, split: str | None = None, limit: int | None = None) -> list[EvalRow]:
    """Read a JSONL evaluation set; keep only rows of ``split`` if given, at most ``limit`` rows.

    Blank lines are skipped. The first bad line stops the load with an error naming the
    file and line, because a silently skipped row would change every metric.
    """
    parsed = (parse_row(item, where) for where, item in jsonl_items(path))
    return take_rows(
        (row for row in parsed if split is None or row.split == split), path, split=split, limit=limit
    )


def take_rows(rows: Iterable[T], path: Path, *, split: str | None, limit: int | None) -> list[T]:
    """The first ``limit`` of ``rows`` (the rows of ``split``, read from ``path``), under
    :data:`MAX_ROWS`; none at all is an error, as a metric over nothing would mislead."""
    taken: list[T] = []
    for row in rows:
        taken.append(row)
        if limit is not None and len(taken) >= limit:
            break
        if len(taken) > MAX_ROWS:
            raise InputError(f"has more than {MAX_ROWS} rows; sample it with --limit", field=str(path))
    if not taken:
        wanted = f" with split {split!r}" if split is not None else ""
        raise InputError(f"holds no rows{wanted}", field=str(path))
    return taken
