"""The one path the measuring commands record evidence through (``steward.cli._govern_io``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from govern_builders import make_system

from steward.app.context import local_app
from steward.cli._govern_io import hash_inputs, record_evidence
from steward.errors import ConflictError, InputError, NotFoundError
from steward.govern.evidence import sha256_hex
from steward.govern.repository import GovernanceStore
from steward.govern.requirements import EvidenceKind

PAYLOAD = json.dumps({"metrics": {"recall": 0.9, "fpr": 0.01}}).encode()


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GovernanceStore]:
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    with local_app(f"sqlite:///{tmp_path / 'gov.db'}", create=True) as app:
        app.governance.add_system(make_system())
        yield app.governance


def _record(store: GovernanceStore, **overrides: object):  # type: ignore[no-untyped-def]
    args: dict[str, object] = {
        "system_id": "credit",
        "kind": EvidenceKind.EVALUATION,
        "name": "holdout",
        "subject": "model:credit-lr",
        "subject_version": "2.0",
        "source": "metrics.json",
        "store": store,
    }
    args.update(overrides)
    return record_evidence(PAYLOAD, **args)  # type: ignore[arg-type]


def test_hash_inputs_names_each_file_by_its_sha256(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.bin"
    a.write_text("x,y\n1,2\n")
    b.write_bytes(b"\x00\x01")
    assert hash_inputs([a, b]) == {"a.csv": sha256_hex(a.read_bytes()), "b.bin": sha256_hex(b"\x00\x01")}
    assert hash_inputs([]) == {}


def test_hash_inputs_an_unreadable_file_is_an_input_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot be read") as caught:
        hash_inputs([tmp_path / "missing.csv"])
    assert "missing.csv" in str(caught.value)


def test_record_evidence_stores_it_for_the_current_version(store: GovernanceStore) -> None:
    recorded = _record(store, actor="ana", inputs={"test.csv": "ab" * 32})
    assert recorded.added and recorded.system.id == "credit" and recorded.system.version == "1.0"
    ev = recorded.evidence
    assert (ev.system_version, ev.kind, ev.name, ev.recorded_by) == (
        "1.0",
        EvidenceKind.EVALUATION,
        "holdout",
        "ana",
    )
    assert ev.metrics == {"recall": 0.9, "fpr": 0.01} and ev.inputs == {"test.csv": "ab" * 32}
    assert [e.id for e in store.list_evidence("credit")] == [ev.id]


def test_record_evidence_twice_is_a_conflict_unless_reruns_are_expected(store: GovernanceStore) -> None:
    first = _record(store)
    with pytest.raises(ConflictError, match=f"already recorded as {first.evidence.id}"):
        _record(store)
    again = _record(store, rerun_ok=True)
    assert not again.added and again.evidence.id == first.evidence.id
    assert len(store.list_evidence("credit")) == 1


def test_record_evidence_for_an_unknown_system_is_not_found(store: GovernanceStore) -> None:
    with pytest.raises(NotFoundError):
        _record(store, system_id="nope")
