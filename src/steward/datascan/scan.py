"""``scan``: read a file (or every data file under a directory) in chunks, check every cell, sum.

The driver (this process) reads and sums; an engine runs the per-batch function. Rows, bad
lines, duplicates and group counts are taken here as chunks come back in order, so the result
is the same for any engine and any number of workers.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from steward.datascan.batch import PII, BatchConfig, RowCells
from steward.datascan.checkpoint import ScanCheckpoint, scan_fingerprint
from steward.datascan.engines import run_batches
from steward.datascan.readers import (
    CHUNK_ROWS_DEFAULT,
    EXTENSIONS,
    Chunk,
    Reader,
    cells,
    group_value,
    open_reader,
)
from steward.datascan.report import ScanStats, finding_of, load_reference
from steward.errors import InputError
from steward.policy.schema import Policy

__all__ = ["ScanOptions", "data_files", "scan"]

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
    languages: bool = True
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


def prepare(
    reader: Reader, chunks: Iterator[Chunk], columns: Sequence[str] | None, extra: Sequence[str] = ()
) -> Iterator[tuple[Chunk, list[list[tuple[str, Any, str]]], list[RowCells]]]:
    """Each chunk with its rows' cells (with paths) and the rows as the batch function takes them.

    JSON Lines columns are learned as the file is read, so requested columns are checked
    against the first chunk: a column no row of it has is almost always a typo.
    """
    first = True
    for chunk in chunks:
        if first:
            first = False
            _check_columns(reader, list(columns or ()), "columns")
            _check_columns(reader, list(extra), "group")
        row_cells = [cells(reader.format, reader.columns, r.data, columns) for r in chunk.records]
        batch: list[RowCells] = [
            (r.line, tuple((c, t) for c, _, t in rc)) for r, rc in zip(chunk.records, row_cells, strict=True)
        ]
        yield chunk, row_cells, batch


def scan(path: Path, options: ScanOptions, *, tick: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Scan ``path`` (a file or a directory) and return the report as a JSON-ready dict."""
    files = data_files(path, options.format)
    if options.reference and len(options.groups) != 1:
        raise InputError(
            "needs exactly one --group: it is the distribution of that column", field="reference"
        )
    reference = {options.groups[0]: load_reference(options.reference)} if options.reference else None
    stats = ScanStats(format=files[0][1])
    checkpoint, done = _checkpoint(files, options), 0
    if checkpoint is not None:
        if options.resume and checkpoint.exists:
            done, saved = checkpoint.load()
            stats = saved or stats
        else:
            checkpoint.start()
        stats.keep_new_digests()
    elif options.resume:
        raise InputError("needs a folder for scan states (state_dir)", field="resume")
    config = BatchConfig(options.policy, languages=options.languages)
    example_guard = None
    if options.examples:
        from steward.guard import Guard
        from steward.policy import load_policy

        example_guard = Guard(load_policy("pii-mask"))  # examples are masked for every PII type

    seq = 0  # chunks over all files, in order: the unit of a checkpoint

    def todo(reader: Reader) -> Iterator[Chunk]:
        nonlocal seq
        for chunk in reader.chunks(options.chunk_rows):
            seq += 1
            if seq <= done:  # summed before the interruption
                if tick is not None:
                    tick(chunk.size)
                continue
            yield chunk

    def jobs() -> Iterator[tuple[Any, list[RowCells]]]:
        for file, fmt in files:
            reader = open_reader(file, fmt)
            if str(file) not in stats.files:
                stats.files.append(str(file))
            for chunk, row_cells, batch in prepare(reader, todo(reader), options.columns, options.groups):
                yield (reader, chunk, row_cells, seq), batch

    last_checkpoint = time.monotonic()
    for (reader, chunk, row_cells, chunk_seq), results in run_batches(
        jobs(), config, engine=options.engine, workers=options.workers
    ):
        stats.add_bad(reader.path.name, chunk.bad)
        for record, rc, result in zip(chunk.records, row_cells, results, strict=True):
            groups = {g: group_value(reader.format, reader.columns, record.data, g) for g in options.groups}
            stats.add_row(record.digest, result, groups)
            if example_guard is None:
                continue
            for (_, _, text), cell in zip(rc, result.cells, strict=True):
                for hit in cell.hits:
                    if stats.want_example(hit):
                        spans = [finding_of(h) for h in cell.hits if h.kind == PII]
                        spans += [f for f in example_guard.apply(text, "input", output_scope="FULL").findings]
                        stats.add_example(hit, text, spans)
        if checkpoint is not None and time.monotonic() - last_checkpoint >= options.checkpoint_seconds:
            checkpoint.save(chunk_seq, stats)
            last_checkpoint = time.monotonic()
        if tick is not None:
            tick(chunk.size)
    if checkpoint is not None:
        checkpoint.clear()
    return stats.to_dict(reference)


def _checkpoint(files: list[tuple[Path, str]], options: ScanOptions) -> ScanCheckpoint | None:
    """The checkpoint of this scan (its inputs and every option that changes the counts), or None."""
    if options.state_dir is None:
        return None
    counted = {
        "columns": list(options.columns or ()),
        "groups": list(options.groups),
        "examples": options.examples,
        "chunk_rows": options.chunk_rows,
        "languages": options.languages,
    }
    return ScanCheckpoint(options.state_dir, scan_fingerprint(files, options.policy, counted))


def progress_bar(total: int, *, enabled: bool, unit: str = "B") -> Any:
    """A tqdm bar on stderr (the file's bytes), or ``None`` when disabled."""
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=True, desc="scanning", file=sys.stderr)
