"""What a scan found, summed per column and overall, with group representation and masked examples.

Counts only: no value from the data appears in a report, except group names (the values of a
``--group`` column, which the user chose to have counted) and, when asked, examples whose
personal data is masked with tags (``{EMAIL}``) and which are cut to a short window.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from steward.anonymize import TagOperator, mask
from steward.assessment import Finding, PolicyKind
from steward.datascan.batch import ATTACK, HARMFUL, PII, Hit, RowResult
from steward.datascan.readers import BadLine
from steward.errors import InputError

__all__ = [
    "EXAMPLES_PER_TYPE",
    "GROUP_VALUES_MAX",
    "REFERENCE_MAX_BYTES",
    "ChunkCounts",
    "ColumnStats",
    "ScanStats",
    "load_reference",
]

#: Distinct values counted per group column; the rest are summed as ``other``.
GROUP_VALUES_MAX = 1000
#: Masked examples kept per finding type.
EXAMPLES_PER_TYPE = 3
#: Characters of context either side of a finding in an example.
EXAMPLE_CONTEXT = 40
#: Longest example shown, in characters of the original text.
EXAMPLE_MAX_CHARS = 160
#: Bad lines listed by number (all are counted).
BAD_LINES_LISTED = 20
#: Largest group gaps listed.
GAPS_LISTED = 5
REFERENCE_MAX_BYTES = 1 << 20
#: Distinct row digests kept to count duplicates (8 bytes each plus the set's overhead,
#: about 70 bytes a row: the one part of a scan that grows with the file).
DIGESTS_MAX = 50_000_000
#: Bytes in one row digest (see ``steward.datascan.readers``).
DIGEST_BYTES = 8


@dataclass
class ColumnStats:
    """Counts for one column (or, summed, for the whole file)."""

    cells: int = 0
    unchecked: int = 0
    pii: Counter[str] = field(default_factory=Counter)
    harmful: Counter[str] = field(default_factory=Counter)
    prompt_attack: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    cells_with_pii: int = 0

    def add(self, hits: Sequence[Hit], language: str | None, skipped: str | None) -> None:
        self.cells += 1
        if skipped is not None:
            self.unchecked += 1
        if language is not None:
            self.languages[language] += 1
        any_pii = False
        for h in hits:
            if h.kind == PII:
                self.pii[h.type] += 1
                any_pii = True
            elif h.kind == HARMFUL:
                self.harmful[h.type] += 1
            elif h.kind == ATTACK:
                self.prompt_attack += 1
        self.cells_with_pii += any_pii

    def merge(self, other: ColumnStats) -> None:
        self.cells += other.cells
        self.unchecked += other.unchecked
        self.pii.update(other.pii)
        self.harmful.update(other.harmful)
        self.prompt_attack += other.prompt_attack
        self.languages.update(other.languages)
        self.cells_with_pii += other.cells_with_pii

    def to_state(self) -> dict[str, Any]:
        """Everything, for a resumable scan's state file (:meth:`from_state` reads it back)."""
        return {
            "cells": self.cells,
            "unchecked": self.unchecked,
            "pii": dict(self.pii),
            "harmful": dict(self.harmful),
            "prompt_attack": self.prompt_attack,
            "languages": dict(self.languages),
            "cells_with_pii": self.cells_with_pii,
        }

    @classmethod
    def from_state(cls, d: Mapping[str, Any]) -> ColumnStats:
        return cls(
            cells=int(d["cells"]),
            unchecked=int(d["unchecked"]),
            pii=Counter(d["pii"]),
            harmful=Counter(d["harmful"]),
            prompt_attack=int(d["prompt_attack"]),
            languages=Counter(d["languages"]),
            cells_with_pii=int(d["cells_with_pii"]),
        )

    def to_dict(self) -> dict[str, Any]:
        checked = sum(self.languages.values())
        return {
            "cells": self.cells,
            "cells_unchecked": self.unchecked,
            "cells_with_pii": self.cells_with_pii,
            "pii": dict(sorted(self.pii.items())),
            "harmful": dict(sorted(self.harmful.items())),
            "prompt_attack": self.prompt_attack,
            "languages_identified": checked,
            "languages": {
                lang: {"cells": n, "share": round(n / checked, 4)}
                for lang, n in sorted(self.languages.items(), key=lambda kv: (-kv[1], kv[0]))
            },
        }


def load_reference(path: Path) -> dict[str, float]:
    """A reference distribution: a JSON or YAML mapping of group value to a count or share.

    Shares are normalised to sum to 1, so counts from a census table work as they are.
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", field=str(path)) from None
    if len(data) > REFERENCE_MAX_BYTES:
        raise InputError(f"is larger than {REFERENCE_MAX_BYTES} bytes", field=str(path))
    try:
        doc = yaml.safe_load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InputError(f"is not valid UTF-8 (byte {exc.start})", field=str(path)) from None
    except yaml.YAMLError:
        raise InputError("is not valid JSON or YAML", field=str(path)) from None
    if not isinstance(doc, dict) or not doc:
        raise InputError("must map each group value to a count or share", field=str(path))
    shares: dict[str, float] = {}
    for key, value in doc.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or value != value:
            raise InputError("must be a number of at least 0", field=f"{path}: {key}")
        shares[str(key)] = float(value)
    total = sum(shares.values())
    if total <= 0:
        raise InputError("has no positive share", field=str(path))
    return {k: v / total for k, v in shares.items()}


def example_snippet(hit: Hit, text: str, masked_spans: Sequence[Finding]) -> str:
    """A window of ``text`` around ``hit`` with every span in ``masked_spans`` tagged."""
    lo, hi = (
        (0, min(len(text), 2 * EXAMPLE_CONTEXT))
        if hit.end <= hit.start
        else (
            max(0, hit.start - EXAMPLE_CONTEXT),
            min(len(text), hit.end + EXAMPLE_CONTEXT),
        )
    )
    hi = min(hi, lo + EXAMPLE_MAX_CHARS)  # a content finding can span a whole paragraph
    window = [
        Finding(
            policy=f.policy,
            type=f.type,
            detector=f.detector,
            start=max(f.start, lo) - lo,
            end=min(f.end, hi) - lo,
            match="",
            score=f.score,
            rule=f.rule,
        )
        for f in masked_spans
        if f.start < hi and f.end > lo
    ]
    snippet = mask(text[lo:hi], window, TagOperator())
    return ("…" if lo else "") + " ".join(snippet.split()) + ("…" if hi < len(text) else "")


def _keep_example(examples: dict[str, list[str]], key: str, snippet: str) -> None:
    kept = examples.get(key)
    if kept is None:
        kept = examples[key] = []
    if len(kept) < EXAMPLES_PER_TYPE and snippet not in kept:
        kept.append(snippet)


#: The per-row totals a chunk counts and a scan sums (:class:`RowTotals`'s fields).
ROW_TOTALS = ("rows_with_pii", "rows_with_harmful", "rows_with_prompt_attack", "rows_blocked")


@dataclass(kw_only=True)
class RowTotals:
    """Rows with each kind of finding, and rows the policy blocks: a chunk's and a scan's."""

    rows_with_pii: int = 0
    rows_with_harmful: int = 0
    rows_with_prompt_attack: int = 0
    rows_blocked: int = 0

    def add_totals(self, other: RowTotals) -> None:
        for name in ROW_TOTALS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class ChunkCounts(RowTotals):
    """One chunk's counts, summed where its rows were checked (a worker) and sent to the driver
    instead of the rows' results: :meth:`ScanStats.add_chunk` adds them in chunk order.

    Small whatever the data: counters, 8 bytes of digest per row, at most
    :data:`EXAMPLES_PER_TYPE` masked examples per finding type, the group values of the chunk's
    rows (which the report lists anyway), the keys its JSON rows have; never a raw value.
    """

    bad: list[BadLine] = field(default_factory=list)
    #: JSON Lines keys in the order the chunk's rows first have them (the driver learns columns).
    keys: list[str] = field(default_factory=list)
    rows: int = 0
    digests: bytearray = field(default_factory=bytearray)
    columns: dict[str, ColumnStats] = field(default_factory=dict)
    #: Per group column, its values' counts in the order the chunk first saw them (no cap here).
    groups: dict[str, Counter[str]] = field(default_factory=dict)
    group_missing: Counter[str] = field(default_factory=Counter)
    #: The chunk's first distinct examples per ``kind:type``: enough for whatever the driver lacks.
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add_row(self, digest: bytes, result: RowResult, groups: Mapping[str, str | None]) -> None:
        self.rows += 1
        self.digests += digest
        kinds: set[str] = set()
        for cell in result.cells:
            stats = self.columns.get(cell.column)
            if stats is None:
                stats = self.columns[cell.column] = ColumnStats()
            stats.add(cell.hits, cell.language, cell.skipped)
            kinds.update(h.kind for h in cell.hits)
        self.rows_with_pii += PII in kinds
        self.rows_with_harmful += HARMFUL in kinds
        self.rows_with_prompt_attack += ATTACK in kinds
        self.rows_blocked += result.blocked
        for column, value in groups.items():
            counts = self.groups.setdefault(column, Counter())
            if value is None:
                self.group_missing[column] += 1
            else:
                counts[value] += 1

    def want_example(self, key: str) -> bool:
        return len(self.examples.get(key, ())) < EXAMPLES_PER_TYPE

    def add_example(self, key: str, snippet: str) -> None:
        _keep_example(self.examples, key, snippet)


@dataclass
class ScanStats(RowTotals):
    """A scan's running totals; :meth:`add_chunk` adds one chunk's counts at a time, in chunk order."""

    format: str
    files: list[str] = field(default_factory=list)
    rows: int = 0
    bad_lines: Counter[str] = field(default_factory=Counter)
    bad_listed: list[dict[str, Any]] = field(default_factory=list)
    duplicate_rows: int = 0
    digests_full: bool = False
    columns: dict[str, ColumnStats] = field(default_factory=dict)
    groups: dict[str, Counter[str]] = field(default_factory=dict)
    group_missing: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    #: Share of cells whose language was identified (1.0 every cell, 0.0 none; set by the scan,
    #: not saved: a resumed scan has the same, its checkpoint's fingerprint holds it).
    language_share: float = 1.0
    _digests: set[bytes] = field(default_factory=set, repr=False)
    #: Digests added since the last :meth:`take_new_digests` (kept only for a resumable scan).
    _new_digests: list[bytes] | None = field(default=None, repr=False)

    #: The counters a state file holds (the digests go to a file of their own, appended to).
    _STATE_INTS = ("rows", "duplicate_rows", *ROW_TOTALS)

    def to_state(self) -> dict[str, Any]:
        """Everything but the row digests, JSON-ready, for a resumable scan's state file."""
        return {
            "format": self.format,
            "files": self.files,
            **{k: getattr(self, k) for k in self._STATE_INTS},
            "bad_lines": dict(self.bad_lines),
            "bad_listed": self.bad_listed,
            "digests_full": self.digests_full,
            "columns": {name: c.to_state() for name, c in self.columns.items()},
            "groups": {name: dict(c) for name, c in self.groups.items()},
            "group_missing": dict(self.group_missing),
            "examples": self.examples,
        }

    @classmethod
    def from_state(cls, d: Mapping[str, Any], digests: bytes) -> ScanStats:
        """The stats :meth:`to_state` saved, with the row digests (8 bytes each) read back."""
        stats = cls(format=str(d["format"]), files=list(d["files"]))
        for k in cls._STATE_INTS:
            setattr(stats, k, int(d[k]))
        stats.bad_lines = Counter(d["bad_lines"])
        stats.bad_listed = list(d["bad_listed"])
        stats.digests_full = bool(d["digests_full"])
        stats.columns = {name: ColumnStats.from_state(c) for name, c in d["columns"].items()}
        stats.groups = {name: Counter(c) for name, c in d["groups"].items()}
        stats.group_missing = Counter(d["group_missing"])
        stats.examples = {k: list(v) for k, v in d["examples"].items()}
        stats._digests = {digests[i : i + DIGEST_BYTES] for i in range(0, len(digests), DIGEST_BYTES)}
        return stats

    def keep_new_digests(self) -> None:
        """Start noting the digests added, for :meth:`take_new_digests`."""
        self._new_digests = []

    def take_new_digests(self) -> bytes:
        """The digests added since the last call, joined (a resumable scan appends them to its file)."""
        new = b"".join(self._new_digests or ())
        if self._new_digests is not None:
            self._new_digests = []
        return new

    def add_bad(self, file: str, bad: Sequence[BadLine]) -> None:
        for b in bad:
            kind = b.reason.split(" (")[0]
            self.bad_lines[kind] += 1
            if len(self.bad_listed) < BAD_LINES_LISTED:
                self.bad_listed.append({"file": file, "line": b.line, "reason": b.reason})

    def add_chunk(self, file: str, chunk: ChunkCounts) -> None:
        """Add one chunk's counts; chunks come in file order, so every total is what adding the
        rows one by one gives: duplicates against the digests seen so far, group values up to
        :data:`GROUP_VALUES_MAX` in the order they first appear, the first distinct examples."""
        self.add_bad(file, chunk.bad)
        self.rows += chunk.rows
        digests = bytes(chunk.digests)
        for i in range(0, len(digests), DIGEST_BYTES):
            digest = digests[i : i + DIGEST_BYTES]
            if digest in self._digests:
                self.duplicate_rows += 1
            elif len(self._digests) < DIGESTS_MAX:
                self._digests.add(digest)
                if self._new_digests is not None:
                    self._new_digests.append(digest)
            else:
                self.digests_full = True
        for name, stats in chunk.columns.items():
            self.columns.setdefault(name, ColumnStats()).merge(stats)
        self.add_totals(chunk)
        for column, values in chunk.groups.items():
            counts = self.groups.setdefault(column, Counter())
            for value, n in values.items():  # in the order the chunk first saw them
                if value in counts or len(counts) < GROUP_VALUES_MAX:
                    counts[value] += n
                else:
                    counts["(other)"] += n
        self.group_missing.update(chunk.group_missing)
        for key, snippets in chunk.examples.items():
            for snippet in snippets:
                _keep_example(self.examples, key, snippet)

    def full_examples(self) -> frozenset[str]:
        """The example keys (``kind:type``) that have all the examples they may have."""
        return frozenset(k for k, v in self.examples.items() if len(v) >= EXAMPLES_PER_TYPE)

    def want_example(self, hit: Hit) -> bool:
        return len(self.examples.get(f"{hit.kind}:{hit.type}", ())) < EXAMPLES_PER_TYPE

    def add_example(self, hit: Hit, text: str, masked_spans: Sequence[Finding]) -> None:
        """Keep a window of ``text`` around ``hit`` with every span in ``masked_spans`` tagged."""
        _keep_example(self.examples, f"{hit.kind}:{hit.type}", example_snippet(hit, text, masked_spans))

    def overall(self) -> ColumnStats:
        total = ColumnStats()
        for stats in self.columns.values():
            total.merge(stats)
        return total

    def to_dict(self, reference: Mapping[str, Mapping[str, float]] | None = None) -> dict[str, Any]:
        overall = self.overall().to_dict()
        out: dict[str, Any] = {
            "files": self.files,
            "format": self.format,
            "rows": self.rows,
            "bad_lines": {
                "total": sum(self.bad_lines.values()),
                "by_reason": dict(self.bad_lines),
                "first": self.bad_listed,
            },
            "duplicate_rows": self.duplicate_rows,
            "rows_with_pii": self.rows_with_pii,
            "rows_with_harmful": self.rows_with_harmful,
            "rows_with_prompt_attack": self.rows_with_prompt_attack,
            "rows_blocked": self.rows_blocked,
            "language_share": self.language_share,
            "overall": overall,
            "columns": {name: stats.to_dict() for name, stats in self.columns.items()},
        }
        if self.digests_full:
            out["duplicates_note"] = f"duplicates counted against the first {DIGESTS_MAX} distinct rows"
        if self.groups:
            out["groups"] = {
                column: _representation(counts, self.group_missing[column], (reference or {}).get(column))
                for column, counts in self.groups.items()
            }
        if self.examples:
            out["examples"] = self.examples
        return out


def _representation(
    counts: Counter[str], missing: int, reference: Mapping[str, float] | None
) -> dict[str, Any]:
    total = sum(counts.values())
    values = sorted(set(counts) | set(reference or {}), key=lambda v: (-counts.get(v, 0), v))
    table = []
    for value in values:
        share = counts.get(value, 0) / total if total else 0.0
        row: dict[str, Any] = {"value": value, "count": counts.get(value, 0), "share": round(share, 4)}
        if reference is not None:
            ref = reference.get(value, 0.0)
            row["reference"] = round(ref, 4)
            row["gap"] = round(share - ref, 4)
        table.append(row)
    out: dict[str, Any] = {"rows": total, "missing": missing, "values": table}
    if reference is not None:
        out["largest_gaps"] = sorted(table, key=lambda r: (-abs(r["gap"]), r["value"]))[:GAPS_LISTED]
    return out


def render_text(report: Mapping[str, Any]) -> str:
    """The report for a terminal: one block per column, then overall, groups and examples."""

    def counts(mapping: Mapping[str, int]) -> str:
        return (
            ", ".join(f"{k} {v:,}" for k, v in sorted(mapping.items(), key=lambda kv: (-kv[1], kv[0])))
            or "none"
        )

    share = report.get("language_share", 1.0)  # reports stored before samples were taken have none
    sampled = 0.0 < share < 1.0

    def column_lines(name: str, c: Mapping[str, Any]) -> list[str]:
        langs = (
            ", ".join(f"{k} {v['share']:.1%}" for k, v in list(c["languages"].items())[:6])
            or "not identified"
        )
        if sampled and c["languages"]:
            langs += f" (a sample of {c['languages_identified']:,} cells)"
        return [
            f"{name}: {c['cells']:,} cells"
            + (f" ({c['cells_unchecked']:,} not checked)" if c["cells_unchecked"] else ""),
            f"  PII: {counts(c['pii'])}",
            f"  harmful content: {counts(c['harmful'])}",
            f"  prompt attacks: {c['prompt_attack']:,}",
            f"  languages: {langs}",
        ]

    bad = report["bad_lines"]
    lines = [
        f"scanned {len(report['files'])} file(s) ({report['format']}): {report['rows']:,} rows, "
        f"{bad['total']:,} unreadable lines, {report['duplicate_rows']:,} duplicate rows",
        f"rows with PII {report['rows_with_pii']:,}, with harmful content {report['rows_with_harmful']:,}, "
        f"with prompt attacks {report['rows_with_prompt_attack']:,}, blocked by the policy {report['rows_blocked']:,}",
    ]
    for item in bad["first"][:5]:
        lines.append(f"  skipped {item['file']} line {item['line']}: {item['reason']}")
    if sampled:
        lines.append(
            f"languages identified in a {share:.1%} sample of the cells, chosen by a hash "
            "of their text (--all-languages: every cell)"
        )
    for name, c in report["columns"].items():
        lines += column_lines(f"column {name}", c)
    lines += column_lines("overall", report["overall"])
    for column, rep in report.get("groups", {}).items():
        lines.append(f"group {column}: {rep['rows']:,} rows, {rep['missing']:,} missing")
        for row in rep["values"][:20]:
            ref = (
                f", reference {row['reference']:.1%}, gap {row['gap'] * 100:+.1f} pts"
                if "reference" in row
                else ""
            )
            lines.append(f"  {row['value']}: {row['count']:,} ({row['share']:.1%}{ref})")
        if "largest_gaps" in rep:
            gaps = ", ".join(f"{r['value']} {r['gap'] * 100:+.1f}" for r in rep["largest_gaps"])
            lines.append(f"  largest gaps (pts): {gaps}")
    for key, snippets in report.get("examples", {}).items():
        for s in snippets:
            lines.append(f"example {key}: {s}")
    return "\n".join(lines) + "\n"


def finding_of(hit: Hit) -> Finding:
    """A :class:`Finding` for a PII hit, enough for :func:`~steward.anonymize.mask` to tag its span."""
    return Finding(
        policy=PolicyKind.SENSITIVE_INFORMATION,
        type=hit.type,
        detector="datascan",
        start=hit.start,
        end=hit.end,
        match="",
        score=hit.score,
        rule="",
    )


def dumps(report: Mapping[str, Any]) -> str:
    """The report as JSON text."""
    return json.dumps(report, indent=2, ensure_ascii=False)
