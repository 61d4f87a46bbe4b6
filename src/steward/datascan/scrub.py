"""``scrub``: a copy of a data file with personal data masked and blocked rows dropped or flagged.

With tags (``{EMAIL}``, the default) masking needs no state, so on the local engine each
chunk is one job of :class:`ScrubWork`: the worker reads its chunk (a span of lines for JSON
Lines and text; CSV and Parquet rows come read by the driver), checks it, masks it, writes its
part file and returns its counts; the driver only finds the spans, adds counts and keeps the
state. Pseudonyms (``{NAME_3}``) are numbered consistently across the whole data set through
one :class:`~steward.anonymize.PseudonymVault`, sealed at the end with a key only the user
holds (an existing vault file continues, so several files of one data set share numbering):
the engine finds spans and this process masks them, in row order; so does a Ray scrub.

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
from steward.datascan.engines import Check, run_batches, run_chunks
from steward.datascan.readers import (
    CHUNK_ROWS_DEFAULT,
    Chunk,
    ChunkJob,
    Reader,
    csv_text,
    open_reader,
    pyarrow_modules,
    with_cells,
)
from steward.datascan.scan import CHUNKING, check_columns, learn_keys, rows_to_check
from steward.errors import InputError
from steward.policy.schema import Policy

__all__ = [
    "FLAG_COLUMN",
    "ON_BLOCK",
    "VAULT_ENTRIES_MAX",
    "ScrubOptions",
    "ScrubWork",
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
#: Writes a JSON Lines row as ``json.dumps(row, ensure_ascii=False)`` does, without building an
#: encoder per row as ``dumps`` does whenever an option is given (a few per cent of a scrub).
_JSON_ROW = json.JSONEncoder(ensure_ascii=False)


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

    def merge(self, other: _Counts) -> None:
        """Add another chunk's counts."""
        self.rows_read += other.rows_read
        self.rows_written += other.rows_written
        self.rows_masked += other.rows_masked
        self.rows_dropped += other.rows_dropped
        self.rows_flagged += other.rows_flagged
        self.rows_unchecked_dropped += other.rows_unchecked_dropped
        self.lines_unreadable.update(other.lines_unreadable)
        self.pii.update(other.pii)
        self.blocked.update(other.blocked)

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


@dataclass(frozen=True)
class _Parts:
    """Writes a chunk's rows as one part file in the output format, and joins the parts.

    Picklable (the format, the folder, the CSV header, the Parquet schema), so that a worker
    writes its own chunk's part.
    """

    format: str
    folder: Path
    header: list[str]
    schema: Any = None

    @classmethod
    def of(cls, reader: Reader, folder: Path, flag: bool) -> _Parts:
        header = [*reader.columns, FLAG_COLUMN] if flag and reader.format == "csv" else list(reader.columns)
        schema: Any = None
        if reader.format == "parquet":
            pa, pq = pyarrow_modules()
            schema = pq.ParquetFile(reader.path).schema_arrow
            schema = schema.append(pa.field(FLAG_COLUMN, pa.string())) if flag else schema
        return cls(reader.format, folder, header, schema)

    def path(self, index: int) -> Path:
        return self.folder / f"part-{index:07d}"

    def write(self, index: int, rows: list[Any]) -> None:
        fmt = self.format
        if fmt == "parquet":
            pa, pq = pyarrow_modules()
            tmp = self.path(index).with_suffix(".tmp")
            pq.write_table(pa.Table.from_pylist(rows, schema=self.schema), tmp)
            os.replace(tmp, self.path(index))
            return
        if fmt == "csv":
            text = csv_text(self.header, rows, with_header=False)
        elif fmt == "jsonl":
            encode = _JSON_ROW.encode
            text = "".join(encode(r) + "\n" for r in rows)
        else:
            text = "".join(r + "\n" for r in rows)
        write_atomic(self.path(index), text.encode("utf-8"))

    def join(self, chunks: int, out: Path) -> None:
        tmp = out.with_name(out.name + ".tmp")
        if self.format == "parquet":
            _, pq = pyarrow_modules()
            with pq.ParquetWriter(tmp, self.schema) as writer:
                for i in range(chunks):
                    writer.write_table(pq.read_table(self.path(i), schema=self.schema))
        else:
            with tmp.open("wb") as handle:
                if self.format == "csv":
                    handle.write(csv_text(self.header, [], with_header=True).encode("utf-8"))
                for i in range(chunks):
                    with self.path(i).open("rb") as part:
                        shutil.copyfileobj(part, handle)
        os.replace(tmp, out)


def _masked_row(
    fmt: str,
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
    return with_cells(fmt, data, replaced), bool(replaced)


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
                CHUNKING,
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
    parts = _Parts.of(reader, folder, flag)
    work = ScrubWork(
        BatchConfig(options.policy, language_share=0.0),
        tuple(options.columns) if options.columns is not None else None,
        options.on_block,
        parts,
    )
    resumed_from = done

    def jobs() -> Iterator[tuple[tuple[int, int], ChunkJob]]:
        for job in reader.jobs(options.chunk_rows):
            if job.index == 0 and reader.format != "jsonl":  # JSON Lines: against its first chunk's keys
                check_columns(reader, options.columns)
            if job.index < done:
                if tick is not None:
                    tick(job.size)
                continue
            yield (job.index, job.size), job

    if options.engine == "local" and vault is None:
        written = run_chunks(jobs(), work, workers=options.workers)
    else:
        operator: Operator = PseudonymOperator(vault) if vault is not None else TagOperator()
        written = _written_in_driver(jobs(), work, operator, options)
    chunks_total = done
    last_checkpoint = time.monotonic()
    for (index, size), (chunk_counts, keys) in written:
        if reader.format == "jsonl" and index == 0:  # a resumed scrub's first chunk was checked before
            learn_keys(reader, keys)
            check_columns(reader, options.columns)
        counts.merge(chunk_counts)
        chunks_total = index + 1
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
            tick(size)
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


@dataclass(frozen=True)
class ScrubWork:
    """A scrub's work on one chunk, run where it is checked (a worker): read, check, mask with
    tags, write the part; only the counts (and a JSON chunk's keys) come back."""

    config: BatchConfig
    columns: tuple[str, ...] | None
    on_block: str
    parts: _Parts

    def __call__(self, job: ChunkJob, check: Check) -> tuple[_Counts, list[str]]:
        chunk, columns = job.read()
        row_cells, batch = rows_to_check(job.format, columns, chunk, self.columns)
        counts = _Counts()
        _write_chunk(
            job.format, self.parts, chunk, row_cells, check(batch), TagOperator(), counts, self.on_block
        )
        return counts, columns if job.format == "jsonl" else []


def _written_in_driver(
    jobs: Iterator[tuple[Any, ChunkJob]], work: ScrubWork, operator: Operator, options: ScrubOptions
) -> Iterator[tuple[Any, tuple[_Counts, list[str]]]]:
    """The chunks read, masked and written here (pseudonyms: one vault, in row order), checked by the engine."""

    def batches() -> Iterator[tuple[Any, list[RowCells]]]:
        for tag, job in jobs:
            chunk, columns = job.read()
            row_cells, batch = rows_to_check(job.format, columns, chunk, work.columns)
            yield (tag, job, chunk, columns, row_cells), batch

    for (tag, job, chunk, columns, row_cells), results in run_batches(
        batches(), work.config, engine=options.engine, workers=options.workers
    ):
        counts = _Counts()
        _write_chunk(job.format, work.parts, chunk, row_cells, results, operator, counts, work.on_block)
        yield tag, (counts, columns if job.format == "jsonl" else [])


def _write_chunk(
    fmt: str,
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
        data, masked = _masked_row(fmt, record.data, rc, result, operator, counts)
        counts.rows_masked += masked
        if on_block == "flag":
            flag_value = ";".join(blocking) if blocking else None
            counts.rows_flagged += bool(blocking)
            if fmt == "csv":
                data = [*data, flag_value or ""]
            elif flag_value is not None or fmt == "parquet":
                data = {**data, FLAG_COLUMN: flag_value}
        out.append(data)
        counts.rows_written += 1
    parts.write(chunk.index, out)


def _version() -> str:
    try:
        return metadata.version("steward")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"
