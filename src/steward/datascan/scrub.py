"""``scrub``: a copy of a data file with personal data masked and blocked rows dropped or flagged.

The engine finds spans; this process masks them, in row order: tags (``{EMAIL}``) or
pseudonyms (``{NAME_3}``) numbered consistently across the whole data set through one
:class:`~steward.anonymize.PseudonymVault`, sealed at the end with a key only the user holds
(an existing vault file continues, so several files of one data set share numbering).

Output is written chunk by chunk into ``OUT.parts/`` (each part renamed into place when
complete), with a state file recording, every few seconds, how many chunks are done, the
counts so far and the vault (sealed). Chunks complete in order, so the state is always a
prefix: ``resume`` skips the chunks it records and carries on. At the end the parts are joined into ``OUT`` and a manifest is
written beside it: input and output SHA-256, policy name and digest, counts per type, rows
dropped, flagged and skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from steward.anonymize import PseudonymOperator, PseudonymVault, TagOperator, mask
from steward.anonymize.base import Operator
from steward.assessment import Finding, PolicyKind
from steward.datascan.batch import BatchConfig, RowCells, RowResult
from steward.datascan.checkpoint import file_sha256, policy_digest, write_atomic
from steward.datascan.engines import run_batches
from steward.datascan.readers import (
    CHUNK_ROWS_DEFAULT,
    Chunk,
    Reader,
    csv_text,
    open_reader,
    pyarrow_modules,
    with_cells,
)
from steward.datascan.scan import prepare
from steward.errors import InputError
from steward.policy.schema import Policy

__all__ = [
    "FLAG_COLUMN",
    "ON_BLOCK",
    "VAULT_ENTRIES_MAX",
    "ScrubOptions",
    "file_sha256",
    "policy_digest",
    "scrub",
]

ON_BLOCK = ("drop", "flag", "keep")
#: The column (JSON key) a flagged row's blocking finding types go in.
FLAG_COLUMN = "steward_blocked"
#: Distinct values one data set's pseudonym vault may hold.
VAULT_ENTRIES_MAX = 5_000_000
MANIFEST_KIND = "steward.scrub-manifest/1"
_STATE = "state.json"


@dataclass(frozen=True)
class ScrubOptions:
    """How to scrub: the policy, the masking style and what to do with blocked rows."""

    policy: Policy
    format: str | None = None
    columns: list[str] | None = None
    pseudonyms: bool = False
    vault_path: Path | None = None
    vault_key: str | None = None
    on_block: str = "drop"
    engine: str = "local"
    workers: int | None = None
    chunk_rows: int = CHUNK_ROWS_DEFAULT
    resume: bool = False
    manifest_path: Path | None = None
    #: Seconds between checkpoints of the state file (0: after every chunk). Sealing the vault
    #: costs a key derivation (scrypt, about 0.1 s), too much to pay after every chunk; chunks
    #: written after the last checkpoint are simply written again on resume.
    checkpoint_seconds: float = 10.0


@dataclass
class _Counts:
    rows_read: int = 0
    rows_written: int = 0
    rows_masked: int = 0
    rows_dropped: int = 0
    rows_flagged: int = 0
    rows_unchecked_dropped: int = 0
    lines_unreadable: Counter[str] = field(default_factory=Counter)
    pii: Counter[str] = field(default_factory=Counter)
    blocked: Counter[str] = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "rows_masked": self.rows_masked,
            "rows_dropped": self.rows_dropped,
            "rows_flagged": self.rows_flagged,
            "rows_unchecked_dropped": self.rows_unchecked_dropped,
            "lines_unreadable": dict(sorted(self.lines_unreadable.items())),
            "pii": dict(sorted(self.pii.items())),
            "blocked": dict(sorted(self.blocked.items())),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> _Counts:
        return cls(
            rows_read=d["rows_read"],
            rows_written=d["rows_written"],
            rows_masked=d["rows_masked"],
            rows_dropped=d["rows_dropped"],
            rows_flagged=d["rows_flagged"],
            rows_unchecked_dropped=d["rows_unchecked_dropped"],
            lines_unreadable=Counter(d["lines_unreadable"]),
            pii=Counter(d["pii"]),
            blocked=Counter(d["blocked"]),
        )


class _Parts:
    """Writes a chunk's rows as one part file in the output format, and joins the parts."""

    def __init__(self, reader: Reader, folder: Path, flag: bool) -> None:
        self.reader = reader
        self.folder = folder
        self.flag = flag
        self.header = (
            [*reader.columns, FLAG_COLUMN] if flag and reader.format == "csv" else list(reader.columns)
        )
        self.schema: Any = None
        if reader.format == "parquet":
            pa, pq = pyarrow_modules()
            schema = pq.ParquetFile(reader.path).schema_arrow
            self.schema = schema.append(pa.field(FLAG_COLUMN, pa.string())) if flag else schema

    def path(self, index: int) -> Path:
        return self.folder / f"part-{index:07d}"

    def write(self, index: int, rows: list[Any]) -> None:
        fmt = self.reader.format
        if fmt == "parquet":
            pa, pq = pyarrow_modules()
            tmp = self.path(index).with_suffix(".tmp")
            pq.write_table(pa.Table.from_pylist(rows, schema=self.schema), tmp)
            os.replace(tmp, self.path(index))
            return
        if fmt == "csv":
            text = csv_text(self.header, rows, with_header=False)
        elif fmt == "jsonl":
            text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        else:
            text = "".join(r + "\n" for r in rows)
        write_atomic(self.path(index), text.encode("utf-8"))

    def join(self, chunks: int, out: Path) -> None:
        tmp = out.with_name(out.name + ".tmp")
        if self.reader.format == "parquet":
            _, pq = pyarrow_modules()
            with pq.ParquetWriter(tmp, self.schema) as writer:
                for i in range(chunks):
                    writer.write_table(pq.read_table(self.path(i), schema=self.schema))
        else:
            with tmp.open("wb") as handle:
                if self.reader.format == "csv":
                    handle.write(csv_text(self.header, [], with_header=True).encode("utf-8"))
                for i in range(chunks):
                    with self.path(i).open("rb") as part:
                        shutil.copyfileobj(part, handle)
        os.replace(tmp, out)


def _masked_row(
    reader: Reader,
    data: Any,
    row_cells: list[tuple[str, Any, str]],
    result: RowResult,
    operator: Operator,
    counts: _Counts,
) -> tuple[Any, bool]:
    replaced = []
    for (_, path, text), cell in zip(row_cells, result.cells, strict=True):
        spans = [
            Finding(
                policy=PolicyKind.SENSITIVE_INFORMATION,
                type=h.type,
                detector="datascan",
                start=h.start,
                end=h.end,
                match=text[h.start : h.end],
                score=h.score,
                rule="",
            )
            for h in cell.hits
            if h.mask
        ]
        for h in cell.hits:
            if h.mask:
                counts.pii[h.type] += 1
        if spans:
            replaced.append((path, mask(text, spans, operator)))
    return with_cells(reader.format, data, replaced), bool(replaced)


def _open_vault(options: ScrubOptions, sealed: str | None) -> PseudonymVault | None:
    if not options.pseudonyms:
        return None
    if not options.vault_key:
        raise InputError(
            "pseudonyms need a vault key (--vault-key-file or STEWARD_VAULT_KEY)", field="vault_key"
        )
    if sealed is None and options.vault_path is not None and options.vault_path.exists():
        try:
            sealed = options.vault_path.read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            raise InputError("cannot be read as a sealed vault", field=str(options.vault_path)) from None
    if sealed is None:
        return PseudonymVault()
    return PseudonymVault.open(sealed, options.vault_key, max_entries=VAULT_ENTRIES_MAX)


def scrub(
    src: Path,
    dst: Path,
    options: ScrubOptions,
    *,
    tick: Callable[[int], None] | None = None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """Scrub ``src`` into ``dst`` and write the manifest; returns the manifest."""
    if options.on_block not in ON_BLOCK:
        raise InputError(f"must be one of {', '.join(ON_BLOCK)}", field="on_block")
    if options.pseudonyms and options.vault_path is None:
        raise InputError("pseudonyms need a vault file to keep the mapping in (--vault)", field="vault")
    reader = open_reader(src, options.format)
    if dst.resolve() == src.resolve():
        raise InputError("must not be the input file", field=str(dst))
    flag = options.on_block == "flag"
    if flag and reader.format == "text":
        raise InputError(
            "cannot flag rows of a plain-text file (no column to flag in); use drop or keep", field="on_block"
        )
    if flag and FLAG_COLUMN in reader.columns:
        raise InputError(f"already has a {FLAG_COLUMN!r} column", field=str(src))
    input_sha = file_sha256(src)
    policy_sha = policy_digest(options.policy)
    fingerprint = hashlib.sha256(
        json.dumps(
            [
                input_sha,
                reader.format,
                policy_sha,
                options.columns,
                options.pseudonyms,
                options.on_block,
                options.chunk_rows,
            ]
        ).encode()
    ).hexdigest()
    folder = dst.with_name(dst.name + ".parts")
    state_file = folder / _STATE
    done = 0
    counts = _Counts()
    sealed: str | None = None
    if folder.exists():
        if not options.resume:
            raise InputError(
                f"an unfinished scrub left {folder}; add --resume to continue it, or remove it",
                field=str(dst),
            )
        try:
            state = json.loads(state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise InputError(
                "has no readable state; remove the folder and start again", field=str(folder)
            ) from None
        if state.get("fingerprint") != fingerprint:
            raise InputError(
                "was left by a scrub of another input or with other options; remove it or use the same ones",
                field=str(folder),
            )
        done, counts, sealed = (
            int(state["chunks_done"]),
            _Counts.from_dict(state["counts"]),
            state.get("vault"),
        )
    vault = _open_vault(options, sealed)
    folder.mkdir(parents=True, exist_ok=True)
    if not state_file.exists():
        write_atomic(
            state_file,
            json.dumps(
                {"fingerprint": fingerprint, "chunks_done": 0, "counts": counts.to_dict(), "vault": None}
            ).encode(),
        )
    operator: Operator = PseudonymOperator(vault) if vault is not None else TagOperator()
    parts = _Parts(reader, folder, flag)
    config = BatchConfig(options.policy, languages=False)
    resumed_from = done

    def jobs() -> Iterator[tuple[Any, list[RowCells]]]:
        for chunk, row_cells, batch in prepare(reader, reader.chunks(options.chunk_rows), options.columns):
            if chunk.index < done:
                if tick is not None:
                    tick(chunk.size)
                continue
            yield (chunk, row_cells), batch

    chunks_total = done
    last_checkpoint = time.monotonic()
    for (chunk, row_cells), results in run_batches(
        jobs(), config, engine=options.engine, workers=options.workers
    ):
        _write_chunk(reader, parts, chunk, row_cells, results, operator, counts, options.on_block)
        chunks_total = chunk.index + 1
        if time.monotonic() - last_checkpoint >= options.checkpoint_seconds:
            state = {
                "fingerprint": fingerprint,
                "chunks_done": chunks_total,
                "counts": counts.to_dict(),
                "vault": vault.seal(options.vault_key or "") if vault is not None else None,
            }
            write_atomic(state_file, json.dumps(state).encode("utf-8"))
            last_checkpoint = time.monotonic()
        if tick is not None:
            tick(chunk.size)
    parts.join(chunks_total, dst)
    if vault is not None and options.vault_path is not None:
        write_atomic(options.vault_path, (vault.seal(options.vault_key or "") + "\n").encode("ascii"))
    manifest = {
        "kind": MANIFEST_KIND,
        "steward_version": _version(),
        "created_at": (now or dt.datetime.now(dt.UTC)).isoformat(),
        "input": {"file": src.name, "format": reader.format, "bytes": reader.size, "sha256": input_sha},
        "output": {"file": dst.name, "bytes": dst.stat().st_size, "sha256": file_sha256(dst)},
        "policy": {"name": options.policy.name, "sha256": policy_sha},
        "masking": {
            "style": "pseudonym" if vault is not None else "tag",
            "vault_file": options.vault_path.name if vault is not None and options.vault_path else None,
            "vault_entries": len(vault) if vault is not None else 0,
        },
        "columns": options.columns or "all",
        "on_block": options.on_block,
        "counts": counts.to_dict(),
        "run": {"chunk_rows": options.chunk_rows, "chunks": chunks_total, "resumed_from_chunk": resumed_from},
    }
    manifest_path = options.manifest_path or dst.with_name(dst.name + ".manifest.json")
    write_atomic(manifest_path, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    shutil.rmtree(folder)
    return manifest


def _write_chunk(
    reader: Reader,
    parts: _Parts,
    chunk: Chunk,
    row_cells: list[list[tuple[str, Any, str]]],
    results: list[RowResult],
    operator: Operator,
    counts: _Counts,
    on_block: str,
) -> None:
    for bad in chunk.bad:
        counts.lines_unreadable[bad.reason.split(" (")[0]] += 1
    out: list[Any] = []
    for record, rc, result in zip(chunk.records, row_cells, results, strict=True):
        counts.rows_read += 1
        if result.unchecked:
            counts.rows_unchecked_dropped += 1  # a cell the guard could not read cannot be passed on
            continue
        blocking = sorted({h.type for c in result.cells for h in c.hits if h.blocks})
        for t in blocking:
            counts.blocked[t] += 1
        if blocking and on_block == "drop":
            counts.rows_dropped += 1
            continue
        data, masked = _masked_row(reader, record.data, rc, result, operator, counts)
        counts.rows_masked += masked
        if on_block == "flag":
            flag_value = ";".join(blocking) if blocking else None
            counts.rows_flagged += bool(blocking)
            if reader.format == "csv":
                data = [*data, flag_value or ""]
            elif flag_value is not None or reader.format == "parquet":
                data = {**data, FLAG_COLUMN: flag_value}
        out.append(data)
        counts.rows_written += 1
    parts.write(chunk.index, out)


def _version() -> str:
    try:
        return metadata.version("steward")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"
