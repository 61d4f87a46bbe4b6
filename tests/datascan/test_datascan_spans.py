"""Chunks as spans of lines: workers read and sum their own chunks, with the one-process results.

JSON Lines and text chunks are cut by newlines only (``Reader.spans``) and parsed by the worker
that checks them; only counts come back. These tests hold that path to what reading the whole
file in one go gives: bad lines, CRLF, a last line without a newline, an empty file, a chunk
boundary inside a read block, resuming by chunk with another number of processes.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pytest
from datascan_data import count_batches, presidio_rows, restore_batches

from steward.datascan import engines, readers
from steward.datascan.batch import BatchConfig
from steward.datascan.readers import LINE_MAX_BYTES, ChunkJob, Reader, open_reader
from steward.datascan.scan import ScanOptions, ScanWork, scan
from steward.datascan.scrub import ScrubOptions, scrub
from steward.errors import InputError
from steward.policy import load_policy


def _lines(n: int = 60) -> list[bytes]:
    """Presidio sentences as JSON objects, with every kind of bad line among them and a repeat."""
    rows = [json.dumps({"id": i, "text": r["full_text"]}).encode() for i, r in enumerate(presidio_rows(n))]
    rows[3:3] = [b'{"text": "bad \xff\xfe bytes"}', b""]
    rows[10:10] = [b'{"text": "unterminated', b'["not", "an", "object"]']
    rows[20:20] = [b'{"text": "' + b"a" * (LINE_MAX_BYTES + 10) + b'"}', rows[5]]
    rows.append(b'{"extra": {"mail": "ann@example.org"}, "text": "late key"}')
    return rows


@pytest.fixture(params=["lf", "crlf", "no-final-newline"])
def messy(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The lines of :func:`_lines` with LF, CRLF, or LF and no newline after the last line."""
    end = b"\r\n" if request.param == "crlf" else b"\n"
    body = end.join(_lines()) + (b"" if request.param == "no-final-newline" else end)
    path = tmp_path / "messy.jsonl"
    path.write_bytes(body)
    return path


def _whole(path: Path) -> tuple[list[tuple[int, object, bytes]], list[tuple[int, str]]]:
    """Records and bad lines of the file read as one chunk."""
    [chunk] = open_reader(path).chunks(100_000)
    return [(r.line, r.data, r.digest) for r in chunk.records], [(b.line, b.reason) for b in chunk.bad]


@pytest.mark.parametrize("chunk_rows", [1, 2, 7, 25, 1000])
def test_spans_cover_the_file_in_whole_lines_and_read_back_as_the_whole_file(
    messy: Path, chunk_rows: int
) -> None:
    reader = open_reader(messy)
    spans = list(reader.spans(chunk_rows))
    assert spans[0].start == 0 and spans[-1].stop == messy.stat().st_size
    assert all(a.stop == b.start for a, b in pairwise(spans))
    lines = messy.read_bytes().count(b"\n") + (not messy.read_bytes().endswith(b"\n"))
    assert [s.line for s in spans] == list(range(1, lines + 1, chunk_rows))
    chunks = list(reader.chunks(chunk_rows))
    assert [c.index for c in chunks] == list(range(len(spans)))
    assert [c.size for c in chunks] == [s.stop - s.start for s in spans]
    records = [(r.line, r.data, r.digest) for c in chunks for r in c.records]
    bad = [(b.line, b.reason) for c in chunks for b in c.bad]
    assert (records, bad) == _whole(messy)
    assert {reason.split(" (")[0] for _, reason in bad} == {
        "is not valid UTF-8",
        "is not valid JSON",
        "must be a JSON object, not list",
        f"is over {LINE_MAX_BYTES} bytes",
    }


def test_a_chunk_boundary_inside_a_read_block_and_across_blocks(
    messy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = list(open_reader(messy).spans(3))
    for block in (1, 7, 64, 4096):  # newlines found a few bytes at a time: boundaries fall anywhere
        monkeypatch.setattr(readers, "_SPAN_BLOCK", block)
        assert list(open_reader(messy).spans(3)) == expected


def test_a_job_reads_its_own_span_as_the_driver_would(messy: Path) -> None:
    reader = open_reader(messy)
    driver = list(open_reader(messy).chunks(4))
    jobs = list(reader.jobs(4))
    assert all(j.chunk is None and j.span is not None for j in jobs)  # the driver parsed nothing
    for job, chunk in zip(jobs, driver, strict=True):
        read, keys = pickle.loads(pickle.dumps(job)).read()
        assert (read.index, read.records, read.bad, read.size) == (
            chunk.index,
            chunk.records,
            chunk.bad,
            chunk.size,
        )
        assert set(keys) == {k for r in chunk.records for k in r.data}


def test_an_empty_file_has_no_chunks_and_an_empty_report(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    assert list(open_reader(path).spans(5)) == []
    assert list(open_reader(path).jobs(5)) == []
    options = {"policy": load_policy("pii-mask"), "languages": False}
    one = scan(path, ScanOptions(workers=1, **options))  # type: ignore[arg-type]
    assert one == scan(path, ScanOptions(workers=2, **options))  # type: ignore[arg-type]
    assert one["rows"] == 0 and one["bad_lines"]["total"] == 0


def test_two_processes_scan_messy_lines_as_one_does(messy: Path) -> None:
    options = {"policy": load_policy("pii-mask"), "chunk_rows": 7, "groups": ["id"], "examples": True}
    one = scan(messy, ScanOptions(workers=1, **options))  # type: ignore[arg-type]
    two = scan(messy, ScanOptions(workers=2, **options))  # type: ignore[arg-type]
    assert json.dumps(two) == json.dumps(one)  # the same keys in the same order too
    assert one["rows"] == 62 and one["duplicate_rows"] == 1 and one["bad_lines"]["total"] == 4
    assert one["examples"]["pii:EMAIL"]


def test_two_processes_scrub_as_one_does(messy: Path, tmp_path: Path) -> None:
    manifests = []
    for workers in (1, 2):
        out = tmp_path / f"out{workers}.jsonl"
        options = ScrubOptions(policy=load_policy("pii-mask"), workers=workers, chunk_rows=7, on_block="flag")
        manifests.append(scrub(messy, out, options))
    assert (tmp_path / "out1.jsonl").read_bytes() == (tmp_path / "out2.jsonl").read_bytes()
    assert manifests[0]["counts"] == manifests[1]["counts"]
    assert manifests[0]["counts"]["rows_masked"] > 10
    assert manifests[0]["counts"]["lines_unreadable"]["is not valid JSON"] == 1


def test_a_worker_sends_back_counts_and_digests_not_the_data(presidio_jsonl: Path) -> None:
    work = ScanWork(BatchConfig(load_policy("pii-mask"), language_share=0.0), None, (), examples=False)
    [job] = open_reader(presidio_jsonl).jobs(500)
    counts = work((job, frozenset()), engines._Batch(work.config))
    assert counts.rows == 120 and len(counts.digests) == 120 * 8
    sent = pickle.dumps(counts)
    for row in presidio_rows(120):
        for span in row["spans"]:
            if len(span["entity_value"]) >= 6:
                assert span["entity_value"].encode() not in sent


def test_a_scan_interrupted_in_one_process_resumes_in_two(
    tmp_path: Path, messy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = ScanOptions(
        policy=load_policy("pii-mask"),
        workers=1,
        chunk_rows=9,
        state_dir=tmp_path / "state",
        checkpoint_seconds=0,
        examples=True,
    )
    expected = scan(messy, options)
    count_batches(monkeypatch, die_after=3)
    with pytest.raises(KeyboardInterrupt):
        scan(messy, options)
    [state_file] = (tmp_path / "state").glob("*.json")
    assert json.loads(state_file.read_text())["chunks_done"] == 3
    restore_batches(monkeypatch)
    resumed = scan(messy, replace(options, workers=2, resume=True))
    assert resumed == expected
    assert not list((tmp_path / "state").iterdir())


def test_a_tag_scrub_interrupted_in_one_process_resumes_in_two(
    tmp_path: Path, messy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    options = ScrubOptions(policy=load_policy("pii-mask"), workers=1, chunk_rows=9, checkpoint_seconds=0)
    expected = scrub(messy, tmp_path / "clean.jsonl", options)
    count_batches(monkeypatch, die_after=2)
    out = tmp_path / "out.jsonl"
    with pytest.raises(KeyboardInterrupt):
        scrub(messy, out, options)
    assert json.loads((tmp_path / "out.jsonl.parts" / "state.json").read_text())["chunks_done"] == 2
    restore_batches(monkeypatch)
    resumed = scrub(messy, out, replace(options, workers=2, resume=True))
    assert out.read_bytes() == (tmp_path / "clean.jsonl").read_bytes()
    assert resumed["counts"] == expected["counts"]
    assert resumed["run"]["resumed_from_chunk"] == 2


def test_a_json_column_no_row_of_the_first_chunk_has_is_refused_in_a_pool(messy: Path) -> None:
    options = ScanOptions(policy=load_policy("pii-mask"), workers=2, chunk_rows=5, columns=["extra"])
    with pytest.raises(InputError, match=r"names column\(s\) extra not in messy.jsonl \(columns: id, text\)"):
        scan(messy, options)  # "extra" is only in the last line, as a typo would be in none


def test_a_text_chunk_is_lines_and_a_job_names_no_rows(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"mail ann@example.org\r\n\r\nbad \xff\nlast, no newline")
    reader = Reader(path, "text").open()
    [first, second] = reader.jobs(2)
    assert isinstance(first, ChunkJob) and first.chunk is None
    chunk, _ = second.read()
    assert [(r.line, r.data) for r in chunk.records] == [(4, "last, no newline")]
    assert [(b.line, b.reason.split(" (")[0]) for b in chunk.bad] == [(3, "is not valid UTF-8")]
    report = scan(path, ScanOptions(policy=load_policy("pii-mask"), workers=2, chunk_rows=2, languages=False))
    assert report["rows"] == 3 and report["overall"]["pii"] == {"EMAIL": 1}
