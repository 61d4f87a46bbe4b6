"""``scan``: read a file (or every data file under a directory) in chunks, check every cell, sum.

With the local engine each chunk is one job of :class:`ScanWork`: the worker reads and parses
its chunk (JSON Lines and text: a span of lines; CSV and Parquet rows come read by the driver),
runs the per-batch function and sums what it found into :class:`~steward.datascan.report.ChunkCounts`
(counts, 8-byte row digests, masked examples), which is all that comes back. The driver finds
the spans, adds the chunks' counts in chunk order (duplicates, group values, examples: the
order-dependent parts) and saves checkpoints, so with a pool it is nearly idle, and the result
is the same for any number of workers. On Ray the driver reads the chunks and sums the results
itself, with the same function (:func:`count_chunk`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from steward.datascan.batch import PII, BatchConfig, RowCells, RowResult, language_share_for
from steward.datascan.checkpoint import ScanCheckpoint, scan_fingerprint
from steward.datascan.engines import Check, run_batches, run_chunks
from steward.datascan.readers import (
    CHUNK_ROWS_DEFAULT,
    EXTENSIONS,
    Chunk,
    ChunkJob,
    Reader,
    cells,
    group_value,
    open_reader,
)
from steward.datascan.report import ChunkCounts, ScanStats, example_snippet, finding_of, load_reference
from steward.errors import InputError
from steward.policy.schema import Policy

if TYPE_CHECKING:
    from steward.guard import Guard

__all__ = ["CHUNKING", "ScanOptions", "ScanWork", "count_chunk", "data_files", "rows_to_check", "scan"]

#: How chunks are cut, in every checkpoint's fingerprint: a state saved when a JSON Lines or
#: text chunk was a number of readable rows (not lines) is another scan's.
CHUNKING = "lines-2"

#: Files one directory scan reads at most.
FILES_MAX = 10_000


@dataclass(frozen=True)
class ScanOptions:
    """What to scan and how; the defaults scan every column with all cores."""

    policy: Policy
    format: str | None = None
    columns: Sequence[str] | None = None
    groups: Sequence[str] = ()
    reference: Path | None = None
    examples: bool = False
    engine: str = "local"
    workers: int | None = None
    chunk_rows: int = CHUNK_ROWS_DEFAULT
    #: Report the language mix (of every cell up to ``LANGUAGE_SAMPLE_BYTES`` of input, of a sample beyond).
    languages: bool = True
    #: Identify the language of every cell, however large the input (exact counts, slower).
    all_languages: bool = False
    progress: bool = False
    #: Continue the unfinished scan of the same inputs and options from its last checkpoint.
    resume: bool = False
    #: Where unfinished scans keep their state (None: no checkpoints, so no resume).
    state_dir: Path | None = None
    #: Seconds between checkpoints (0: after every chunk).
    checkpoint_seconds: float = 10.0


def data_files(path: Path, fmt: str | None) -> list[tuple[Path, str]]:
    """``path`` itself, or the data files under a directory (sorted), each with its format."""
    from steward.datascan.readers import detect_format

    if not path.exists():
        raise InputError("does not exist", field=str(path))
    if path.is_file():
        return [(path, fmt or detect_format(path))]
    formats = [fmt] if fmt else list(EXTENSIONS)
    found: list[tuple[Path, str]] = []
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        for f in formats:
            if file.name.lower().endswith(EXTENSIONS[f]):
                found.append((file, f))
                break
        if len(found) > FILES_MAX:
            raise InputError(f"holds more than {FILES_MAX} data files", field=str(path))
    if not found:
        raise InputError("holds no data files of a known format", field=str(path))
    kinds = {f for _, f in found}
    if len(kinds) > 1:
        raise InputError(f"mixes formats ({', '.join(sorted(kinds))}); give --format", field=str(path))
    return found


def _check_columns(reader: Reader, wanted: Sequence[str], option: str) -> None:
    missing = [c for c in wanted if c not in reader.columns]
    if missing:
        shown = ", ".join(reader.columns[:50]) or "none"
        raise InputError(
            f"names column(s) {', '.join(missing)} not in {reader.path.name} (columns: {shown})", field=option
        )


def check_columns(reader: Reader, columns: Sequence[str] | None, groups: Sequence[str] = ()) -> None:
    """Requested columns must exist (JSON Lines: among the keys of the file's first chunk)."""
    _check_columns(reader, list(columns or ()), "columns")
    _check_columns(reader, list(groups), "group")


def learn_keys(reader: Reader, keys: Sequence[str]) -> None:
    """Add a chunk's JSON keys to the reader's columns, in the order first seen."""
    known = set(reader.columns)
    for key in keys:
        if key not in known:
            known.add(key)
            reader.columns.append(key)


def rows_to_check(
    fmt: str, columns: Sequence[str], chunk: Chunk, wanted: Sequence[str] | None
) -> tuple[list[list[tuple[str, Any, str]]], list[RowCells]]:
    """A chunk's rows' cells (with paths) and the rows as the per-batch function takes them."""
    row_cells = [cells(fmt, columns, r.data, wanted) for r in chunk.records]
    batch: list[RowCells] = [
        (r.line, tuple((c, t) for c, _, t in rc)) for r, rc in zip(chunk.records, row_cells, strict=True)
    ]
    return row_cells, batch


_EXAMPLE_GUARDS: list[Guard] = []


def _example_guard() -> Guard:
    """The guard that masks examples (every PII type), built once per process."""
    if not _EXAMPLE_GUARDS:
        from steward.guard import Guard
        from steward.policy import load_policy

        _EXAMPLE_GUARDS.append(Guard(load_policy("pii-mask")))
    return _EXAMPLE_GUARDS[0]


def count_chunk(
    fmt: str,
    chunk: Chunk,
    columns: Sequence[str],
    row_cells: list[list[tuple[str, Any, str]]],
    results: list[RowResult],
    groups: Sequence[str],
    examples: bool,
    skip_examples: frozenset[str],
) -> ChunkCounts:
    """Sum one chunk's results: what every engine's chunks are added to a scan as."""
    counts = ChunkCounts(bad=chunk.bad, keys=list(columns) if fmt == "jsonl" else [])
    for record, rc, result in zip(chunk.records, row_cells, results, strict=True):
        values = {g: group_value(fmt, columns, record.data, g) for g in groups}
        counts.add_row(record.digest, result, values)
        if not examples:
            continue
        for (_, _, text), cell in zip(rc, result.cells, strict=True):
            spans: list[Any] | None = None
            for hit in cell.hits:
                key = f"{hit.kind}:{hit.type}"
                if key in skip_examples or not counts.want_example(key):
                    continue  # the driver has all it may keep, or this chunk has enough to offer
                if spans is None:
                    spans = [finding_of(h) for h in cell.hits if h.kind == PII]
                    spans += _example_guard().apply(text, "input", output_scope="FULL").findings
                counts.add_example(key, example_snippet(hit, text, spans))
    return counts


@dataclass(frozen=True)
class ScanWork:
    """A scan's work on one chunk, run where the chunk is checked (a worker): read, check, sum."""

    config: BatchConfig
    columns: tuple[str, ...] | None
    groups: tuple[str, ...]
    examples: bool

    def __call__(self, item: tuple[ChunkJob, frozenset[str]], check: Check) -> ChunkCounts:
        job, skip_examples = item
        chunk, columns = job.read()
        row_cells, batch = rows_to_check(job.format, columns, chunk, self.columns)
        results = check(batch)
        return count_chunk(
            job.format, chunk, columns, row_cells, results, self.groups, self.examples, skip_examples
        )


def scan(path: Path, options: ScanOptions, *, tick: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Scan ``path`` (a file or a directory) and return the report as a JSON-ready dict."""
    files = data_files(path, options.format)
    if options.reference and len(options.groups) != 1:
        raise InputError(
            "needs exactly one --group: it is the distribution of that column", field="reference"
        )
    reference = {options.groups[0]: load_reference(options.reference)} if options.reference else None
    share = _language_share(files, options)
    stats = ScanStats(format=files[0][1], language_share=share)
    checkpoint, done = _checkpoint(files, options, share), 0
    if checkpoint is not None:
        if options.resume and checkpoint.exists:
            done, saved = checkpoint.load()
            stats = saved or stats
            stats.language_share = share
        else:
            checkpoint.start()
        stats.keep_new_digests()
    elif options.resume:
        raise InputError("needs a folder for scan states (state_dir)", field="resume")
    work = ScanWork(
        BatchConfig(options.policy, language_share=share),
        tuple(options.columns) if options.columns is not None else None,
        tuple(options.groups),
        options.examples,
    )
    readers: dict[str, Reader] = {}
    seq = 0  # chunks over all files, in order: the unit of a checkpoint

    def jobs() -> Iterator[tuple[tuple[str, int, int, int], tuple[ChunkJob, frozenset[str]]]]:
        nonlocal seq
        for file, fmt in files:
            reader = readers[str(file)] = open_reader(file, fmt)
            if str(file) not in stats.files:
                stats.files.append(str(file))
            first = True
            for job in reader.jobs(options.chunk_rows):
                seq += 1
                if seq <= done:  # summed before the interruption
                    if tick is not None:
                        tick(job.size)
                    continue
                if first and fmt != "jsonl":  # JSON Lines: checked against its first chunk's keys
                    check_columns(reader, options.columns, options.groups)
                first = False
                full = stats.full_examples() if options.examples else frozenset()  # as of the chunks added
                yield (str(file), job.index, seq, job.size), (job, full)

    if options.engine == "local":
        counted = run_chunks(jobs(), work, workers=options.workers)
    else:
        counted = _counted_in_driver(jobs(), work, options)
    last_checkpoint = time.monotonic()
    for (file, index, chunk_seq, size), counts in counted:
        reader = readers[file]
        if reader.format == "jsonl":
            learn_keys(reader, counts.keys)
            if index == 0:  # a resumed scan's first chunks were checked before the interruption
                check_columns(reader, options.columns, options.groups)
        stats.add_chunk(reader.path.name, counts)
        if checkpoint is not None and time.monotonic() - last_checkpoint >= options.checkpoint_seconds:
            checkpoint.save(chunk_seq, stats)
            last_checkpoint = time.monotonic()
        if tick is not None:
            tick(size)
    if checkpoint is not None:
        checkpoint.clear()
    return stats.to_dict(reference)


def _counted_in_driver(
    jobs: Iterator[tuple[Any, tuple[ChunkJob, frozenset[str]]]], work: ScanWork, options: ScanOptions
) -> Iterator[tuple[Any, ChunkCounts]]:
    """The chunks read and summed here, checked by another engine (Ray)."""

    def batches() -> Iterator[tuple[Any, list[RowCells]]]:
        for tag, (job, skip) in jobs:
            chunk, columns = job.read()
            row_cells, batch = rows_to_check(job.format, columns, chunk, work.columns)
            yield (tag, job, chunk, columns, row_cells, skip), batch

    for (tag, job, chunk, columns, row_cells, skip), results in run_batches(
        batches(), work.config, engine=options.engine, workers=options.workers
    ):
        yield (
            tag,
            count_chunk(job.format, chunk, columns, row_cells, results, work.groups, work.examples, skip),
        )


def _language_share(files: list[tuple[Path, str]], options: ScanOptions) -> float:
    """The share of cells whose language this scan identifies (see :func:`~steward.datascan.batch.language_share_for`)."""
    if not options.languages:
        return 0.0
    if options.all_languages:
        return 1.0
    return language_share_for(sum(file.stat().st_size for file, _ in files))


def _checkpoint(files: list[tuple[Path, str]], options: ScanOptions, share: float) -> ScanCheckpoint | None:
    """The checkpoint of this scan (its inputs and every option that changes the counts), or None."""
    if options.state_dir is None:
        return None
    counted = {
        "columns": list(options.columns or ()),
        "groups": list(options.groups),
        "examples": options.examples,
        "chunk_rows": options.chunk_rows,
        "language_share": share,
        "chunking": CHUNKING,
    }
    return ScanCheckpoint(options.state_dir, scan_fingerprint(files, options.policy, counted))
