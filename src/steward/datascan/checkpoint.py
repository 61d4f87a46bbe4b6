"""Checkpoints that let an interrupted scan or scrub carry on, and the digests that name their inputs.

A scan's state is its running totals (:class:`~steward.datascan.report.ScanStats`) after a
whole number of chunks. Chunks come back in order, so the state is always a prefix of the
work: ``--resume`` skips that many chunks and adds the rest. The totals go to a small JSON
file rewritten atomically; the row digests that count duplicates (8 bytes a row, the one part
that grows with the data) go to a file of their own that is only appended to, and the JSON
records how many of its bytes belong to the state, so a crash between the two writes loses
nothing that the JSON vouches for.

A state is tied to its inputs and options by a fingerprint: each file's path, size and
modification time (not its hash, which would read the data once more), the policy's digest
and every option that changes the counts. Another fingerprint is another scan.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from steward.datascan.report import ScanStats
from steward.errors import InputError
from steward.policy.schema import Policy

__all__ = ["ScanCheckpoint", "file_sha256", "policy_digest", "scan_fingerprint", "write_atomic"]

#: Largest scan state file read back (totals only: columns, languages, groups, examples).
STATE_MAX_BYTES = 64 << 20


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``path`` so that a reader sees the old content or the new, never half of it."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def policy_digest(policy: Policy) -> str:
    """SHA-256 of the policy's canonical JSON: the version a manifest names."""
    body = json.dumps(policy.to_dict(), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read a MiB at a time (manifests and evidence name data by it)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scan_fingerprint(files: Sequence[tuple[Path, str]], policy: Policy, options: dict[str, Any]) -> str:
    """What a scan state belongs to: the files (path, size, mtime), the policy, the options."""
    listed = []
    for path, fmt in files:
        st = path.stat()
        listed.append([str(path.resolve()), fmt, st.st_size, st.st_mtime_ns])
    doc = {"files": listed, "policy": policy_digest(policy), "options": options}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode("utf-8")).hexdigest()


class ScanCheckpoint:
    """The saved state of one unfinished scan, in ``folder``, named by its fingerprint."""

    def __init__(self, folder: Path, fingerprint: str) -> None:
        self.folder = folder
        self.fingerprint = fingerprint
        self.state_file = folder / f"{fingerprint[:32]}.json"
        self.digest_file = folder / f"{fingerprint[:32]}.digests"

    @property
    def exists(self) -> bool:
        """Whether an unfinished scan with this fingerprint left its state."""
        return self.state_file.exists()

    def load(self) -> tuple[int, ScanStats | None]:
        """The chunks done and the totals after them (0, None: none yet); an :class:`InputError` if damaged."""
        try:
            if self.state_file.stat().st_size > STATE_MAX_BYTES:
                raise ValueError("too large")
            state = json.loads(self.state_file.read_bytes())
            if state.get("fingerprint") != self.fingerprint:
                raise ValueError("another scan's state")
            kept = int(state["digests_bytes"])
            with self.digest_file.open("rb") as handle:
                digests = handle.read(kept)
            if len(digests) != kept:
                raise ValueError("digests cut short")
            saved = state["stats"]
            stats = None if saved is None else ScanStats.from_state(saved, digests)
            done = int(state["chunks_done"]) if stats is not None else 0
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            raise InputError(
                "holds a damaged scan state; remove it and scan again without --resume",
                field=str(self.state_file),
            ) from None
        with self.digest_file.open("r+b") as handle:
            handle.truncate(kept)  # digests written after the last state belong to no state
        return done, stats

    def start(self) -> None:
        """Begin a new state (an earlier one of the same fingerprint is replaced)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.digest_file.write_bytes(b"")
        self.save(0, None)

    def save(self, chunks_done: int, stats: ScanStats | None) -> None:
        """Record that ``chunks_done`` chunks are summed in ``stats`` (None: nothing yet)."""
        if stats is not None:
            new = stats.take_new_digests()
            if new:
                with self.digest_file.open("ab") as handle:
                    handle.write(new)
                    handle.flush()
                    os.fsync(handle.fileno())
        state = {
            "fingerprint": self.fingerprint,
            "chunks_done": chunks_done,
            "digests_bytes": self.digest_file.stat().st_size,
            "stats": stats.to_state() if stats is not None else None,
        }
        write_atomic(self.state_file, json.dumps(state).encode("utf-8"))

    def clear(self) -> None:
        """The scan finished: its state is no longer needed."""
        for path in (self.state_file, self.digest_file):
            path.unlink(missing_ok=True)
