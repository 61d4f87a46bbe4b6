"""Streaming readers for data files: CSV, JSON Lines, Parquet and plain text, in chunks of rows.

A data set can be larger than memory, so a file is never read whole: rows come in chunks of
a fixed number, each chunk numbered, so that a run can be spread over processes (or a Ray
cluster) and resumed by chunk. A chunk of a JSON Lines or text file is a fixed number of
*lines* (bad and blank ones included), so it is a byte range that only newlines delimit: the
driver finds the ranges without parsing (:meth:`Reader.spans`) and each worker reads and
parses its own (:class:`ChunkJob`). A CSV chunk is a fixed number of *rows*, read by the
driver: a quoted field may hold a newline, so only a parser that has read from the start
knows where a row ends. Parquet chunks are rows read by the driver too. A line that cannot be
read (invalid UTF-8, malformed JSON, a CSV row with the wrong number of fields, a line over
:data:`LINE_MAX_BYTES`) is counted with its line number and reason, never fatal: one bad line
in a million should not stop a scan.

Each row is kept in its native shape (a list of strings for CSV, a JSON object, a line of
text, a Parquet row as a dict) so a scrub can write it back in the same format; :func:`cells`
lists the strings in it to check, with a path to put each one back (:func:`with_cells`).
Nested JSON and Parquet values are walked: a name inside ``{"user": {"email": ...}}`` is found.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steward.errors import DetectorUnavailableError, InputError
from steward.policy import limits

__all__ = [
    "CHUNK_ROWS_DEFAULT",
    "CHUNK_ROWS_MAX",
    "EXTENSIONS",
    "FORMATS",
    "LINE_MAX_BYTES",
    "BadLine",
    "CellPath",
    "Chunk",
    "ChunkJob",
    "Reader",
    "Record",
    "Span",
    "cells",
    "csv_text",
    "detect_format",
    "group_value",
    "open_reader",
    "pyarrow_modules",
    "with_cells",
]

FORMATS = ("csv", "jsonl", "parquet", "text")
#: File name endings of each format, for ``--format`` left out and for directories.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "csv": (".csv",),
    "jsonl": (".jsonl", ".ndjson"),
    "parquet": (".parquet", ".pq"),
    "text": (".txt", ".text"),
}
#: A line longer than this is skipped and counted: every cell then fits the guard's text limit
#: (a cell is never longer, in characters, than the line that holds it is in bytes).
LINE_MAX_BYTES = limits.TEXT_MAX_CHARS
#: Rows per chunk (lines for JSON Lines and text): the unit of parallel work, of progress and of resuming.
CHUNK_ROWS_DEFAULT = 500
CHUNK_ROWS_MAX = 100_000
#: Column name of a plain-text file's one column.
TEXT_COLUMN = "text"
_READ_BLOCK = 1 << 16
_SPAN_BLOCK = 1 << 20
_NEWLINE = 0x0A


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line that could not be read, and why (the reason never quotes the line)."""

    line: int
    reason: str

    def __reduce__(self) -> tuple[Any, ...]:
        # Chunks cross to worker processes by pickle: rebuilt by the constructor, not by the
        # frozen dataclass's ``__setstate__`` (see ``steward.datascan.batch.Hit``).
        return BadLine, (self.line, self.reason)


@dataclass(frozen=True, slots=True)
class Record:
    """One row: its line number (row number for Parquet), native value and an 8-byte digest."""

    line: int
    data: Any
    digest: bytes

    def __reduce__(self) -> tuple[Any, ...]:
        return Record, (self.line, self.data, self.digest)  # see BadLine.__reduce__


@dataclass(slots=True)
class Chunk:
    """A numbered run of rows, the lines skipped among them and the input bytes they took."""

    index: int
    records: list[Record] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)
    size: int = 0


@dataclass(frozen=True, slots=True)
class Span:
    """Whole lines of a file: bytes ``start`` to ``stop``, the first of them line number ``line``."""

    start: int
    stop: int
    line: int


@dataclass(frozen=True, slots=True)
class ChunkJob:
    """One chunk as it goes to a worker: where its rows are, or the rows themselves.

    A JSON Lines or text chunk is its :class:`Span` (a few numbers: the worker reads and parses
    the lines itself); a CSV or Parquet chunk is its :class:`Chunk`, read by the driver.
    ``columns`` are the reader's (a CSV header, a Parquet schema; none for JSON Lines, whose
    keys each chunk learns from its own rows).
    """

    path: str
    format: str
    columns: tuple[str, ...]
    index: int
    size: int
    span: Span | None = None
    chunk: Chunk | None = None

    def read(self) -> tuple[Chunk, list[str]]:
        """The chunk's rows and bad lines, and the columns (for JSON Lines: the keys its rows have)."""
        if self.chunk is not None:
            return self.chunk, list(self.columns)
        assert self.span is not None
        reader = Reader(Path(self.path), self.format)
        reader.columns = list(self.columns)
        return reader.read_span(self.index, self.span), reader.columns


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=8).digest()


def detect_format(path: Path) -> str:
    """The format a file name implies; an unknown ending is an :class:`InputError`."""
    name = path.name.lower()
    for fmt, endings in EXTENSIONS.items():
        if name.endswith(endings):
            return fmt
    known = ", ".join(e for endings in EXTENSIONS.values() for e in endings)
    raise InputError(f"has no known data-file ending ({known}); give --format", field=str(path))


class Reader:
    """Reads one data file in chunks; ``columns`` is known after :meth:`open` (JSONL: as seen)."""

    def __init__(self, path: Path, fmt: str) -> None:
        if fmt not in FORMATS:
            raise InputError(f"must be one of {', '.join(FORMATS)}, not {fmt!r}", field="format")
        self.path = path
        self.format = fmt
        self.columns: list[str] = []
        self.total_rows: int | None = None
        self.size = 0

    def open(self) -> Reader:
        """Check the file can be read and learn its columns (CSV header, Parquet schema)."""
        try:
            self.size = self.path.stat().st_size
            if not self.path.is_file():
                raise InputError("is not a file", field=str(self.path))
            if self.format == "csv":
                self.columns = self._csv_header()
            elif self.format == "text":
                self.columns = [TEXT_COLUMN]
            elif self.format == "parquet":
                meta = _parquet_file(self.path)
                self.columns = list(meta.schema_arrow.names)
                self.total_rows = meta.metadata.num_rows
        except FileNotFoundError:
            raise InputError("does not exist", field=str(self.path)) from None
        except OSError as exc:
            raise InputError(f"cannot be read ({exc.strerror})", field=str(self.path)) from None
        return self

    # -- line-based formats -------------------------------------------------------------

    def _lines(self, span: Span | None = None) -> Iterator[tuple[int, bytes | None, int]]:
        """``(line number, bytes without the line end or None when too long, bytes consumed)``,
        of the whole file or of ``span``."""
        with self.path.open("rb") as handle:
            number, position, stop = 0, 0, None
            if span is not None:
                handle.seek(span.start)
                number, position, stop = span.line - 1, span.start, span.stop
            while stop is None or position < stop:
                raw = handle.readline(LINE_MAX_BYTES + 2)
                if not raw:
                    return
                number += 1
                used = len(raw)
                if len(raw) > LINE_MAX_BYTES + 1 or (len(raw) == LINE_MAX_BYTES + 1 and raw[-1:] != b"\n"):
                    while raw and not raw.endswith(b"\n"):  # the rest of the long line
                        raw = handle.readline(_READ_BLOCK)
                        used += len(raw)
                    yield number, None, used
                    position += used
                    continue
                position += used
                yield number, raw.rstrip(b"\r\n"), used

    def spans(self, chunk_rows: int = CHUNK_ROWS_DEFAULT) -> Iterator[Span]:
        """The file (JSON Lines or text) as runs of ``chunk_rows`` whole lines, the last maybe shorter.

        Only newlines are looked for (by numpy, a MiB at a time), so the driver of a pool spends
        milliseconds per 16 MB here and leaves reading and parsing to the workers.
        """
        import numpy as np

        with self.path.open("rb") as handle:
            start = position = pending = 0  # pending: newlines in the chunk not yet complete
            line = 1
            while block := handle.read(_SPAN_BLOCK):
                ends = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == _NEWLINE)
                for k in range(chunk_rows - pending - 1, len(ends), chunk_rows):
                    stop = position + int(ends[k]) + 1
                    yield Span(start, stop, line)
                    start, line = stop, line + chunk_rows
                pending = (pending + len(ends)) % chunk_rows
                position += len(block)
            if position > start:  # the last lines (or a last line without a newline)
                yield Span(start, position, line)

    def _csv_header(self) -> list[str]:
        with self.path.open("rb") as handle:
            first = handle.readline(LINE_MAX_BYTES + 1)
        if not first.strip():
            raise InputError("is empty or has no header row", field=str(self.path))
        try:
            text = first.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"header row is not valid UTF-8 (byte {exc.start})", field=str(self.path)
            ) from None
        names: list[str] = []
        for i, raw_name in enumerate(next(csv.reader([text])), start=1):
            name = raw_name.strip() or f"column_{i}"
            if name in names:  # repeated names (COMPAS has two) are told apart, as pandas does
                n = 2
                while f"{name}.{n}" in names:
                    n += 1
                name = f"{name}.{n}"
            names.append(name)
        return names

    def _rows_csv(self) -> Iterator[tuple[Record | BadLine, int]]:
        width = len(self.columns)
        state = {"line": 0, "used": 0}
        bad: list[BadLine] = []

        def physical() -> Iterator[str]:
            for number, raw, used in self._lines():
                state["line"], state["used"] = number, state["used"] + used
                if number == 1:
                    continue  # the header
                if raw is None:
                    bad.append(BadLine(number, f"is over {LINE_MAX_BYTES} bytes"))
                    continue
                try:
                    yield raw.decode("utf-8") + "\n"
                except UnicodeDecodeError as exc:
                    bad.append(BadLine(number, f"is not valid UTF-8 (byte {exc.start})"))

        # A field may be as long as a line (the csv module's default stops at 131,072 characters).
        csv.field_size_limit(max(csv.field_size_limit(), LINE_MAX_BYTES))
        reader = csv.reader(physical())
        while True:
            start = state["line"] + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                bad.append(BadLine(state["line"], f"is not valid CSV ({exc})"))
                row = None
            for item in bad:
                yield item, 0
            bad.clear()
            used, state["used"] = state["used"], 0
            if row is None or not row or (len(row) == 1 and not row[0].strip()):
                yield BadLine(0, ""), used  # nothing to keep; carries the bytes
                continue
            if len(row) != width:
                yield BadLine(state["line"], f"has {len(row)} fields, expected {width}"), used
                continue
            data = [c.strip() for c in row]
            yield (
                Record(max(start, 2), data, _digest("\x1f".join(data).encode("utf-8", "surrogatepass"))),
                used,
            )
        for item in bad:
            yield item, 0
        if state["used"]:
            yield BadLine(0, ""), state["used"]

    def _rows_jsonl(self, span: Span | None) -> Iterator[tuple[Record | BadLine, int]]:
        seen = dict.fromkeys(self.columns)
        for number, raw, used in self._lines(span):
            if raw is None:
                yield BadLine(number, f"is over {LINE_MAX_BYTES} bytes"), used
                continue
            if not raw.strip():
                yield BadLine(0, ""), used
                continue
            try:
                obj = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError as exc:
                yield BadLine(number, f"is not valid UTF-8 (byte {exc.start})"), used
                continue
            except json.JSONDecodeError as exc:
                yield BadLine(number, f"is not valid JSON ({exc.msg} at column {exc.colno})"), used
                continue
            if not isinstance(obj, dict):
                yield BadLine(number, f"must be a JSON object, not {type(obj).__name__}"), used
                continue
            for key in obj:
                if key not in seen:
                    seen[key] = None
                    self.columns.append(key)
            yield Record(number, obj, _digest(raw.strip())), used

    def _rows_text(self, span: Span | None) -> Iterator[tuple[Record | BadLine, int]]:
        for number, raw, used in self._lines(span):
            if raw is None:
                yield BadLine(number, f"is over {LINE_MAX_BYTES} bytes"), used
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield BadLine(number, f"is not valid UTF-8 (byte {exc.start})"), used
                continue
            yield Record(number, text, _digest(raw)), used

    def _rows_parquet(self, chunk_rows: int) -> Iterator[tuple[Record | BadLine, int]]:
        pq_file = _parquet_file(self.path)
        number = 0
        rows = max(1, self.total_rows or 1)
        for batch in pq_file.iter_batches(batch_size=chunk_rows):
            for row in batch.to_pylist():
                number += 1
                key = json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
                # bytes are not per row in a columnar file: each row takes its share, for progress
                used = number * self.size // rows - (number - 1) * self.size // rows
                yield Record(number, row, _digest(key.encode("utf-8", "surrogatepass"))), used

    def read_span(self, index: int, span: Span) -> Chunk:
        """Chunk ``index``: the rows and bad lines of ``span`` (JSON Lines or text)."""
        rows = self._rows_jsonl(span) if self.format == "jsonl" else self._rows_text(span)
        chunk = Chunk(index)
        try:
            for item, used in rows:
                chunk.size += used
                if isinstance(item, Record):
                    chunk.records.append(item)
                elif item.line:
                    chunk.bad.append(item)
        except OSError as exc:
            raise InputError(f"cannot be read ({exc.strerror})", field=str(self.path)) from None
        return chunk

    def chunks(self, chunk_rows: int = CHUNK_ROWS_DEFAULT) -> Iterator[Chunk]:
        """The file in chunks: ``chunk_rows`` rows each (lines for JSON Lines and text), the last maybe shorter."""
        _check_chunk_rows(chunk_rows)
        if self.format in _LINE_FORMATS:
            for index, span in enumerate(self.spans(chunk_rows)):
                yield self.read_span(index, span)
            return
        rows = self._rows_csv() if self.format == "csv" else self._rows_parquet(chunk_rows)
        chunk = Chunk(0)
        try:
            for item, used in rows:
                chunk.size += used
                if isinstance(item, Record):
                    chunk.records.append(item)
                    if len(chunk.records) >= chunk_rows:
                        yield chunk
                        chunk = Chunk(chunk.index + 1)
                elif item.line:
                    chunk.bad.append(item)
        except OSError as exc:
            raise InputError(f"cannot be read ({exc.strerror})", field=str(self.path)) from None
        if chunk.records or chunk.bad or chunk.size:
            yield chunk

    def jobs(self, chunk_rows: int = CHUNK_ROWS_DEFAULT) -> Iterator[ChunkJob]:
        """The file's chunks as jobs for workers: spans of lines, or CSV and Parquet rows read here."""
        _check_chunk_rows(chunk_rows)
        path, columns = str(self.path), tuple(self.columns)
        if self.format in _LINE_FORMATS:
            try:
                for index, span in enumerate(self.spans(chunk_rows)):
                    yield ChunkJob(path, self.format, columns, index, span.stop - span.start, span=span)
            except OSError as exc:
                raise InputError(f"cannot be read ({exc.strerror})", field=str(self.path)) from None
            return
        for chunk in self.chunks(chunk_rows):
            yield ChunkJob(path, self.format, tuple(self.columns), chunk.index, chunk.size, chunk=chunk)


_LINE_FORMATS = ("jsonl", "text")


def _check_chunk_rows(chunk_rows: int) -> None:
    if not 1 <= chunk_rows <= CHUNK_ROWS_MAX:
        raise InputError(f"must be between 1 and {CHUNK_ROWS_MAX}", field="chunk_rows")


def pyarrow_modules() -> tuple[Any, Any]:
    """``(pyarrow, pyarrow.parquet)``; a clear error when pyarrow is not installed."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError as exc:  # pragma: no cover - pyarrow comes with the parquet and ray extras
        raise DetectorUnavailableError("Parquet needs pyarrow: pip install 'steward[parquet]'") from exc
    return pyarrow, pyarrow.parquet


def _parquet_file(path: Path) -> Any:
    _, pq = pyarrow_modules()
    try:
        return pq.ParquetFile(path)
    except FileNotFoundError:
        raise
    except Exception:  # pyarrow raises ArrowInvalid (a ValueError) for a file that is not Parquet
        raise InputError("is not a readable Parquet file", field=str(path)) from None


def open_reader(path: Path, fmt: str | None = None) -> Reader:
    """A reader for ``path`` in ``fmt`` (from the file name when ``None``), opened."""
    return Reader(path, fmt or detect_format(path)).open()


# -- the strings in a row, and putting them back -------------------------------------------

CellPath = tuple[str | int, ...]


def _walk(value: Any, path: CellPath, out: list[tuple[CellPath, str]]) -> None:
    if isinstance(value, str):
        out.append((path, value))
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(item, (*path, key), out)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _walk(item, (*path, i), out)


def cells(
    fmt: str, columns: Sequence[str], data: Any, wanted: Sequence[str] | None
) -> list[tuple[str, CellPath, str]]:
    """``(column, path, text)`` for every string in a row's ``wanted`` columns (all when ``None``)."""
    out: list[tuple[str, CellPath, str]] = []
    if fmt == "text":
        return [(TEXT_COLUMN, (), data)] if wanted is None or TEXT_COLUMN in wanted else []
    if fmt == "csv":
        for i, column in enumerate(columns):
            if wanted is None or column in wanted:
                out.append((column, (i,), data[i]))
        return out
    for key, value in data.items():
        if wanted is not None and key not in wanted:
            continue
        found: list[tuple[CellPath, str]] = []
        _walk(value, (key,), found)
        out.extend((key, path, text) for path, text in found)
    return out


def _set(container: Any, path: CellPath, text: str) -> Any:
    head, rest = path[0], path[1:]
    if isinstance(container, tuple):
        container = list(container)
    container[head] = text if not rest else _set(container[head], rest, text)
    return container


def with_cells(fmt: str, data: Any, replaced: Sequence[tuple[CellPath, str]]) -> Any:
    """A copy of a row with the strings at the given paths replaced."""
    if not replaced:
        return data
    if fmt == "text":
        return replaced[0][1]
    copy = list(data) if fmt == "csv" else _deep_copy(data)
    for path, text in replaced:
        copy = _set(copy, path, text)
    return copy


def _deep_copy(value: Any) -> Any:
    """A copy of a parsed row's containers (the strings are shared): a JSON Lines row holds only what
    ``json.loads`` builds, so this equals a round trip through JSON text at a fraction of its cost."""
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_deep_copy(v) for v in value]
    return value


def group_value(fmt: str, columns: Sequence[str], data: Any, column: str) -> str | None:
    """A row's value in ``column`` as text, for group counts; ``None`` when missing or empty."""
    if fmt == "csv":
        value: Any = data[columns.index(column)]
    elif fmt == "text":
        value = data
    else:
        value = data.get(column)
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def csv_text(header: Sequence[str], rows: Sequence[Sequence[str]], *, with_header: bool) -> str:
    """Rows as CSV text (the header first when asked)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if with_header:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()
