"""Tamper evidence for the audit trail: every writer process keeps an HMAC chain.

Each record stores ``chain_id`` (the writer's), ``chain_seq`` (1, 2, ...), ``prev_digest``
(the digest of the chain's previous record) and ``digest`` = HMAC-SHA256 over the record's
canonical JSON and ``prev_digest``, keyed by a key derived from the server key (which never
enters the database). :func:`verify` recomputes every digest and follows every chain:

* a changed record no longer matches its digest;
* a deleted record leaves a gap in ``chain_seq`` and a ``prev_digest`` that matches nothing;
* a forged record cannot be given a valid digest without the server key.

What it cannot see: records deleted from the *end* of a chain (the newest ones of a writer),
and a whole chain deleted. Pruning old records (``steward audit prune``) removes the start of
chains; verification then starts each chain at its oldest remaining record. Retention that
removes records from the middle of a chain (one guardrail's records kept shorter than
another's, a data-protection request) first writes a checkpoint per removed run
(:class:`~steward.store.models.retention.AuditCheckpoint`, MACed with the chain key); a gap
that checkpoints bridge exactly is counted as ``pruned``, any other gap is still a problem.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from steward.store.audit_trail import chained_after, checkpoints, unchained_count
from steward.store.models.core import AuditRow, as_utc

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = ["ChainState", "Verification", "chain_key", "checkpoint_mac", "digest_of", "verify"]

#: Rows read per query while verifying.
_CHUNK = 5000

_FIELDS = (
    "request_id",
    "endpoint",
    "guardrail_id",
    "version",
    "policy_name",
    "source",
    "action",
    "action_reason",
    "finding_types",
    "findings",
    "text_length",
    "latency_ms",
    "caller_key_id",
    "chain_id",
    "chain_seq",
)


def chain_key(server_key: bytes) -> bytes:
    """The audit-chain HMAC key, derived from the server key (so one secret protects both)."""
    return hmac.new(server_key, b"steward audit chain v1", hashlib.sha256).digest()


def digest_of(key: bytes, values: dict[str, Any], prev_digest: str) -> str:
    """The HMAC of one record's values (a row dict) chained to ``prev_digest``."""
    payload = {name: values.get(name) for name in _FIELDS}
    payload["created_at"] = as_utc(values["created_at"]).isoformat()
    message = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS) + b"\n" + prev_digest.encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def checkpoint_mac(
    key: bytes, chain_id: str, seq_from: int, seq_to: int, last_digest: str, reason: str
) -> str:
    """The HMAC of one checkpoint's fields (so a checkpoint cannot be forged to hide a deletion)."""
    message = f"checkpoint\n{chain_id}\n{seq_from}\n{seq_to}\n{last_digest}\n{reason}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


class ChainState:
    """One writer's chain: its id, the last sequence number and digest written."""

    def __init__(self, key: bytes, chain_id: str) -> None:
        self._key = key
        self.chain_id = chain_id
        self.seq = 0
        self.last_digest = ""

    def seal(self, rows: list[dict[str, Any]]) -> tuple[int, str]:
        """Add chain fields to ``rows`` in order; returns the state to :meth:`advance` to once stored."""
        seq, prev = self.seq, self.last_digest
        for row in rows:
            seq += 1
            row["chain_id"] = self.chain_id
            row["chain_seq"] = seq
            row["prev_digest"] = prev
            row["digest"] = prev = digest_of(self._key, row, prev)
        return seq, prev

    def advance(self, state: tuple[int, str]) -> None:
        """Record that the rows sealed up to ``state`` are stored."""
        self.seq, self.last_digest = state


@dataclass
class Verification:
    """What :func:`verify` found."""

    records: int = 0
    verified: int = 0
    unchained: int = 0
    chains: int = 0
    #: Chain positions removed by retention and vouched for by checkpoints.
    pruned: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Whether no record was found changed, forged or missing."""
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (the first 100 problems)."""
        return {
            "intact": self.intact,
            "records": self.records,
            "verified": self.verified,
            "unchained": self.unchained,
            "chains": self.chains,
            "pruned": self.pruned,
            "problems": self.problems[:100],
        }


def _row_values(row: AuditRow) -> dict[str, Any]:
    values = {name: getattr(row, name) for name in _FIELDS}
    values["created_at"] = row.created_at
    return values


def _checkpoints(
    sessions: sessionmaker[Session], key: bytes, result: Verification
) -> dict[str, dict[int, tuple[int, str]]]:
    """Every valid checkpoint, by chain and first position; a forged one is a problem."""
    runs: dict[str, dict[int, tuple[int, str]]] = {}
    for cp in checkpoints(sessions):
        expected = checkpoint_mac(key, cp.chain_id, cp.seq_from, cp.seq_to, cp.last_digest, cp.reason)
        if not hmac.compare_digest(expected, cp.mac):
            result.problems.append(f"checkpoint {cp.id} (chain {cp.chain_id}) was changed or forged")
            continue
        runs.setdefault(cp.chain_id, {})[cp.seq_from] = (cp.seq_to, cp.last_digest)
    return runs


def _bridge(runs: dict[int, tuple[int, str]], start: int, end: int, prev: str) -> int | None:
    """How many positions checkpoints remove between ``start`` and ``end`` (None if they do not fit)."""
    position, link = start, None
    while position < end:
        run = runs.get(position)
        if run is None:
            return None
        position, link = run[0] + 1, run[1]
    return end - start if position == end and link == prev else None


def verify(sessions: sessionmaker[Session], key: bytes) -> Verification:
    """Recompute every digest and follow every chain; problems name the record ids."""
    result = Verification()
    runs = _checkpoints(sessions, key, result)
    last: dict[str, tuple[int, str]] = {}
    after = (" ", 0)
    while True:
        rows = chained_after(sessions, after, _CHUNK)
        for row in rows:
            result.records += 1
            chain, seq = str(row.chain_id), int(row.chain_seq or 0)
            prev = row.prev_digest or ""
            if digest_of(key, _row_values(row), prev) != row.digest:
                result.problems.append(f"record {row.id} (chain {chain} #{seq}) was changed or forged")
                last[chain] = (seq, row.digest or "")
                continue
            if chain not in last:
                result.chains += 1
            elif last[chain][0] + 1 != seq or last[chain][1] != prev:
                bridged = _bridge(runs.get(chain, {}), last[chain][0] + 1, seq, prev)
                if bridged is not None:
                    result.pruned += bridged
                else:
                    result.problems.append(
                        f"records missing from chain {chain} between #{last[chain][0]} and #{seq} "
                        f"(before record {row.id})"
                    )
            last[chain] = (seq, str(row.digest))
            result.verified += 1
        if len(rows) < _CHUNK:
            break
        after = (str(rows[-1].chain_id), int(rows[-1].chain_seq or 0))
    result.unchained = unchained_count(sessions)
    result.records += result.unchained
    return result
