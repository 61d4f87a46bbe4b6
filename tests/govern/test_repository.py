from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from govern_builders import make_evidence, make_risk, make_system

from steward.errors import ConflictError, InputError, NotFoundError
from steward.govern.datasheet import Datasheet
from steward.govern.inventory import Lifecycle
from steward.govern.register import dump_register
from steward.govern.repository import GovernanceStore
from steward.store import make_engine, session_factory

GOOD = {"recall": 0.95, "fpr": 0.01}


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(microsecond=0)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(db_url: str, clock: Clock) -> Iterator[GovernanceStore]:
    engine = make_engine(db_url)
    yield GovernanceStore(session_factory(engine), clock=clock)
    engine.dispose()


def _ids() -> str:
    return f"sys-{uuid.uuid4().hex[:8]}"


def test_systems_are_added_listed_and_unknown_ids_named(store: GovernanceStore) -> None:
    sid = _ids()
    system = make_system(id=sid)
    store.add_system(system)
    assert store.get_system(sid) == system
    assert sid in {s.id for s in store.list_systems()}
    with pytest.raises(ConflictError, match="already exists"):
        store.add_system(system)
    with pytest.raises(NotFoundError, match="system 'no-such-system' not found"):
        store.get_system("no-such-system")
    with pytest.raises(NotFoundError):
        store.change_status("no-such-system", "deployment")


def test_new_systems_cannot_skip_the_gate(store: GovernanceStore) -> None:
    with pytest.raises(ConflictError, match="which runs the release gate"):
        store.add_system(make_system(id=_ids(), status="deployment"))


def test_refused_status_change_is_recorded_and_changes_nothing(store: GovernanceStore, clock: Clock) -> None:
    sid = _ids()
    store.add_system(make_system(id=sid, human_oversight="none"))
    decision = store.change_status(sid, "deployment", actor="lead")
    assert not decision.allowed
    assert "human oversight is 'none'" in " ".join(decision.missing)
    assert store.get_system(sid).status is Lifecycle.DEVELOPMENT
    [record] = store.decisions(sid)
    assert (record.allowed, record.decided_by, record.to_status) == (False, "lead", Lifecycle.DEPLOYMENT)
    with pytest.raises(InputError, match="not a lifecycle status"):
        store.change_status(sid, "live")


def test_allowed_once_evidence_oversight_and_risks_are_in_place(store: GovernanceStore, clock: Clock) -> None:
    sid = _ids()
    system = make_system(id=sid)
    store.add_system(system)
    store.put_risk(make_risk(system_id=sid))
    assert store.check_gate(sid).missing == ["no evaluation evidence 'holdout' recorded for version 1.0"]
    assert store.decisions(sid) == []  # a dry run records nothing
    ev = make_evidence(GOOD, system=system, recorded_at=clock.now)
    store.add_evidence(ev)
    with pytest.raises(ConflictError, match=f"already recorded as {ev.id}"):
        store.add_evidence(ev)
    decision = store.change_status(sid, Lifecycle.DEPLOYMENT)
    assert decision.allowed, decision.explain()
    assert store.get_system(sid).status is Lifecycle.DEPLOYMENT
    assert store.list_evidence(sid) == [ev]


def test_edits_cannot_change_status_or_ship_an_ungated_version(store: GovernanceStore, clock: Clock) -> None:
    sid = _ids()
    system = make_system(id=sid, consequential_domains=[], eu_ai_act_tier="minimal", release_requirements=[])
    store.add_system(system)
    with pytest.raises(ConflictError, match="change its status with `steward system status`"):
        store.add_system(system.model_copy(update={"status": Lifecycle.OPERATION}), replace=True)
    assert store.change_status(sid, "deployment").allowed
    with pytest.raises(ConflictError, match="version 2.0 has not passed the release gate"):
        store.add_system(
            system.model_copy(update={"version": "2.0", "status": Lifecycle.DEPLOYMENT}), replace=True
        )
    store.add_system(
        system.model_copy(update={"owner": "New owner", "status": Lifecycle.DEPLOYMENT}), replace=True
    )
    assert store.get_system(sid).owner == "New owner"


def test_risks_need_a_known_system_and_can_be_replaced_and_removed(store: GovernanceStore) -> None:
    sid = _ids()
    with pytest.raises(NotFoundError):
        store.put_risk(make_risk(system_id=sid))
    store.add_system(make_system(id=sid))
    store.put_risk(make_risk(system_id=sid))
    store.put_risk(make_risk(system_id=sid, likelihood=5))
    assert [r.likelihood for r in store.list_risks(sid)] == [5]
    store.delete_risk(sid, "r1")
    assert store.list_risks(sid) == []
    with pytest.raises(NotFoundError, match="risk"):
        store.delete_risk(sid, "r1")


def test_datasheets(store: GovernanceStore) -> None:
    did = f"ds-{uuid.uuid4().hex[:8]}"
    sheet = Datasheet(
        id=did,
        name="D",
        version="1",
        motivation="m",
        composition="c",
        collection="c",
        preprocessing="p",
        uses="u",
        distribution="d",
        maintenance="m",
    )
    store.put_dataset(sheet)
    assert store.get_dataset(did) == sheet
    with pytest.raises(NotFoundError, match="dataset"):
        store.get_dataset("nope-none")
    system = make_system(id=_ids(), datasets=[{"id": did, "version": "1"}])
    assert store.datasheets_for(system) == {did: sheet}


def test_profiles_are_measured_never_typed_and_survive_edits(store: GovernanceStore, tmp_path: Path) -> None:
    from steward.govern.profile import profile_dataset

    did = f"ds-{uuid.uuid4().hex[:8]}"
    sheet = Datasheet(
        id=did,
        name="D",
        version="1",
        motivation="m",
        composition="c",
        collection="c",
        preprocessing="p",
        uses="u",
        distribution="d",
        maintenance="m",
    )
    data = tmp_path / "d.csv"
    data.write_text("a,b\n1,2\n1,2\n")
    measured = profile_dataset(data)
    with pytest.raises(InputError, match="profile: is measured by `steward dataset profile`"):
        store.put_dataset(sheet.model_copy(update={"profile": measured}))
    store.put_dataset(sheet.model_copy(update={"profile": measured}), measured=True)
    store.put_dataset(sheet.model_copy(update={"motivation": "Updated."}))
    kept = store.get_dataset(did)
    assert (
        kept.motivation == "Updated." and kept.profile == measured and kept.profile.exact_duplicate_rows == 1
    )


def test_export_import_round_trip_into_an_empty_database(
    store: GovernanceStore, fresh_db_url: str, clock: Clock, request: pytest.FixtureRequest
) -> None:
    from steward.store import upgrade

    sid = _ids()
    system = make_system(id=sid)
    store.add_system(system)
    store.put_risk(make_risk(system_id=sid))
    store.add_evidence(make_evidence(GOOD, system=system, recorded_at=clock.now))
    store.change_status(sid, "deployment")
    exported = dump_register(store.export_register())

    upgrade(fresh_db_url)
    engine = make_engine(fresh_db_url)
    other = GovernanceStore(session_factory(engine))
    request.addfinalizer(engine.dispose)
    from steward.govern.register import parse_register

    counts = other.import_register(parse_register(exported))
    assert counts["decisions"] >= 1 and counts["evidence"] >= 1
    assert dump_register(other.export_register()) == exported
    again = other.import_register(parse_register(exported))
    assert again["evidence"] == 0 and again["decisions"] == 0  # append-only records are not duplicated
    assert dump_register(other.export_register()) == exported


def test_a_failed_import_loses_nothing(store: GovernanceStore, monkeypatch: pytest.MonkeyPatch) -> None:
    from steward.errors import StorageError
    from steward.govern.register import Register

    sid = _ids()
    store.add_system(make_system(id=sid))
    before = dump_register(store.export_register())
    incoming = Register(
        systems=[make_system(id=sid, owner="Changed")],
        evidence=[make_evidence(GOOD, system=make_system(id=sid))],
    )

    def fail(evidence: object) -> object:
        raise StorageError("disk full")

    # the system update is written first; the failure on the evidence must roll it back
    monkeypatch.setattr(GovernanceStore, "_evidence_row", staticmethod(fail))
    with pytest.raises(StorageError, match="disk full"):
        store.import_register(incoming)
    assert dump_register(store.export_register()) == before
    assert store.get_system(sid).owner == "Lending"


def test_the_gate_checks_guardrails_against_the_guards_store(store: GovernanceStore, db_url: str) -> None:
    from steward.policy import load_policy
    from steward.store.guardrails import GuardrailStore

    sid = _ids()
    gid = f"g-{uuid.uuid4().hex[:8]}"
    low = {"consequential_domains": [], "eu_ai_act_tier": "limited", "release_requirements": []}
    store.add_system(make_system(id=sid, guardrails=[{"id": gid, "version": "1"}], **low))
    assert store.check_gate(sid).missing == [f"guardrail '{gid}' version 1 is not in the guard's store"]
    engine = make_engine(db_url)
    try:
        guardrails = GuardrailStore(session_factory(engine))
        guardrails.create(gid, load_policy("default"))
        guardrails.create_version(gid)
    finally:
        engine.dispose()
    assert store.change_status(sid, "deployment").allowed
