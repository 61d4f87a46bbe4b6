"""Storing the governance register in the same database as the guard.

:class:`GovernanceStore` opens one short transaction per call, so the CLI and the server
share it (the process's one instance is ``App.governance``, see :mod:`steward.app.context`). Evidence is append-only; a system's status changes only through
:meth:`GovernanceStore.change_status`, which runs the release gate and records every
decision, allowed or refused. Nothing already stored is lost on a bad input: every
check happens before the first write, and a failed write rolls back. The rows are read and
written by :mod:`steward.store.governance`; this module decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel

from steward.errors import ConflictError, InputError, NotFoundError
from steward.govern.datasheet import Datasheet
from steward.govern.evidence import Evidence
from steward.govern.gates import GateDecision, evaluate_gate
from steward.govern.inventory import GATED_STATUSES, AISystem, Lifecycle, parse_status
from steward.govern.register import Register, StatusChange, check_references
from steward.govern.risk import Risk
from steward.store import governance as rows
from steward.store.models.govern import GovDataset, GovDecision, GovEvidence, GovRisk, GovSystem
from steward.store.paging import Page

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = ["GovernanceStore", "Page"]

T = TypeVar("T")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _parser(model: type[BaseModel]) -> Callable[[Any], Any]:
    """Read a row's stored document as ``model``."""
    return lambda row: model.model_validate(row.doc)


def _status_change(row: GovDecision) -> StatusChange:
    """A recorded gate decision without its checks (the gate history shows the outcome and reasons)."""
    return StatusChange.model_validate({k: v for k, v in row.doc.items() if k != "checks"})


class GovernanceStore:
    """The governance register in the database."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        clock: Callable[[], dt.datetime] = _utcnow,
    ) -> None:
        self._sessions = sessions
        self._clock = clock

    def _page(
        self,
        parse: Callable[[Any], Any],
        column: Any,
        *,
        after: str | None,
        limit: int,
        system_id: str | None = None,
        key: Any = None,
        descending: bool = False,
    ) -> Page[Any]:
        """One page of ``column``'s table by ``(column, id)`` (one system's rows with ``system_id``,
        an unknown system being a :class:`NotFoundError`), each parsed from its document. ``key``
        finds the cursor's row when its id alone does not (see :func:`~steward.store.paging.keyset_page`)."""

        def work(session: Session) -> Page[Any]:
            if system_id is not None:
                self._system_row(session, system_id)
            found = rows.page(
                session,
                column,
                after=after,
                limit=limit,
                system_id=system_id,
                key=key,
                descending=descending,
            )
            return Page([parse(row) for row in found.items], found.next)

        return self._run(work)

    def _run(self, work: Callable[[Session], T]) -> T:
        return rows.transaction(self._sessions, work)

    # -- systems ---------------------------------------------------------------------------

    @staticmethod
    def _system_row(session: Session, system_id: str, *, lock: bool = False) -> GovSystem:
        row = rows.system(session, system_id, lock=lock)
        if row is None:
            raise NotFoundError("system", system_id)
        return row

    def add_system(self, system: AISystem, *, replace: bool = False) -> AISystem:
        """Register a system, or with ``replace`` update one; status changes go through the gate."""

        def work(session: Session) -> AISystem:
            row = rows.system(session, system.id)
            if row is None and system.status in GATED_STATUSES:
                raise ConflictError(
                    f"a new system starts before deployment (not {system.status.value}); "
                    "move it there with `steward system status`, which runs the release gate"
                )
            if row is not None and not replace:
                raise ConflictError(f"system {system.id!r} already exists (use replace to update it)")
            if row is not None and system.status.value != row.status:
                raise ConflictError(
                    f"system {system.id!r} is {row.status}; change its status with `steward system status`, "
                    "not by editing the record"
                )
            if (
                row is not None
                and row.status in {s.value for s in GATED_STATUSES}
                and system.version != row.version
            ):
                raise ConflictError(
                    f"system {system.id!r} is {row.status} at version {row.version}; version {system.version} "
                    "has not passed the release gate (move it to development first)"
                )
            self._save_system(session, system, self._clock())
            return system

        return self._run(work)

    @staticmethod
    def _save_system(session: Session, system: AISystem, now: dt.datetime) -> None:
        rows.save_system(
            session,
            system.id,
            name=system.name,
            version=system.version,
            status=system.status.value,
            doc=system.model_dump(mode="json", exclude_none=True),
            now=now,
        )

    def get_system(self, system_id: str) -> AISystem:
        """One system; :class:`NotFoundError` if there is none."""
        return self._run(lambda s: AISystem.model_validate(self._system_row(s, system_id).doc))

    def list_systems(self) -> list[AISystem]:
        """Every system, by id."""
        docs = self._run(lambda s: [r.doc for r in rows.systems(s)])
        return [AISystem.model_validate(doc) for doc in docs]

    def systems_page(self, *, after: str | None = None, limit: int = 100) -> Page[AISystem]:
        """Systems by id, from after the system ``after`` (the cursor a previous page ended with)."""
        return self._page(_parser(AISystem), GovSystem.id, after=after, limit=limit)

    def change_status(
        self, system_id: str, target: str | Lifecycle, *, actor: str | None = None
    ) -> GateDecision:
        """Run the release gate and move the system only if it allows; record the decision either way."""
        goal = parse_status(target)

        def work(session: Session) -> GateDecision:
            row = self._system_row(session, system_id, lock=True)
            system = AISystem.model_validate(row.doc)
            risks = self._risks(session, system_id)
            evidence = self._evidence(session, system_id)
            now = self._clock()
            decision = evaluate_gate(
                system,
                goal,
                risks=risks,
                evidence=evidence,
                now=now,
                guardrail_versions=rows.guardrail_versions(session),
            )
            change = StatusChange(
                system_id=system.id,
                system_version=system.version,
                from_status=system.status,
                to_status=goal,
                allowed=decision.allowed,
                decided_at=now,
                decided_by=actor,
                missing=decision.missing,
            )
            self._add_decision(session, change, decision.to_dict())
            if decision.allowed:
                self._save_system(session, system.model_copy(update={"status": goal}), now)
            return decision

        return self._run(work)

    def check_gate(self, system_id: str, target: str | Lifecycle = Lifecycle.DEPLOYMENT) -> GateDecision:
        """What the gate would decide now, without changing or recording anything."""
        goal = parse_status(target)

        def work(session: Session) -> GateDecision:
            system = AISystem.model_validate(self._system_row(session, system_id).doc)
            return evaluate_gate(
                system,
                goal,
                risks=self._risks(session, system_id),
                evidence=self._evidence(session, system_id),
                now=self._clock(),
                guardrail_versions=rows.guardrail_versions(session),
            )

        return self._run(work)

    @staticmethod
    def _add_decision(session: Session, change: StatusChange, detail: dict[str, Any] | None = None) -> None:
        doc = change.model_dump(mode="json", exclude_none=True)
        if detail is not None:
            doc["checks"] = detail["checks"]
        rows.add_decision(
            session,
            system_id=change.system_id,
            system_version=change.system_version,
            from_status=change.from_status.value,
            to_status=change.to_status.value,
            allowed=change.allowed,
            decided_at=change.decided_at,
            decided_by=change.decided_by,
            doc=doc,
        )

    def decisions(self, system_id: str | None = None) -> list[StatusChange]:
        """Recorded gate decisions, oldest first."""

        def work(session: Session) -> list[StatusChange]:
            if system_id is not None:
                self._system_row(session, system_id)
            return [_status_change(row) for row in rows.decisions(session, system_id)]

        return self._run(work)

    def decisions_page(
        self, system_id: str, *, after: str | None = None, limit: int = 100, newest_first: bool = False
    ) -> Page[StatusChange]:
        """A system's recorded gate decisions, oldest (or newest) first, from after the decision
        ``after`` (the cursor a previous page ended with)."""
        return self._page(
            _status_change,
            GovDecision.decided_at,
            after=after,
            limit=limit,
            system_id=system_id,
            descending=newest_first,
        )

    # -- risks -----------------------------------------------------------------------------

    @staticmethod
    def _risks(session: Session, system_id: str) -> list[Risk]:
        return [Risk.model_validate(r.doc) for r in rows.risks(session, system_id)]

    def put_risk(self, risk: Risk) -> Risk:
        """Add a risk to its system's register, or replace the one with the same id."""

        def work(session: Session) -> Risk:
            self._system_row(session, risk.system_id)
            doc = risk.model_dump(mode="json", exclude_none=True)
            rows.save_risk(session, risk.system_id, risk.id, doc=doc, now=self._clock())
            return risk

        return self._run(work)

    def list_risks(self, system_id: str) -> list[Risk]:
        """A system's risks, by id; :class:`NotFoundError` for an unknown system."""

        def work(session: Session) -> list[Risk]:
            self._system_row(session, system_id)
            return self._risks(session, system_id)

        return self._run(work)

    def risks_page(self, system_id: str, *, after: str | None = None, limit: int = 100) -> Page[Risk]:
        """A system's risks by id, from after the risk ``after``; :class:`NotFoundError` for an unknown system."""
        key = None if after is None else (system_id, after)  # a risk's id is unique within its system
        return self._page(_parser(Risk), GovRisk.id, after=after, limit=limit, system_id=system_id, key=key)

    def delete_risk(self, system_id: str, risk_id: str) -> None:
        """Remove one risk from a system's register."""

        def work(session: Session) -> None:
            if not rows.delete_risk(session, system_id, risk_id):
                raise NotFoundError("risk", f"{system_id}/{risk_id}")

        self._run(work)

    # -- evidence --------------------------------------------------------------------------

    @staticmethod
    def _evidence(session: Session, system_id: str) -> list[Evidence]:
        return [Evidence.model_validate(r.doc) for r in rows.evidence(session, system_id)]

    @staticmethod
    def _evidence_row(evidence: Evidence) -> dict[str, Any]:
        """The columns of an evidence's row (see :func:`steward.store.governance.add_evidence`)."""
        return {
            "evidence_id": evidence.id,
            "system_id": evidence.system_id,
            "system_version": evidence.system_version,
            "kind": evidence.kind.value,
            "recorded_at": evidence.recorded_at,
            "content_sha256": evidence.content_sha256,
            "doc": evidence.model_dump(mode="json", exclude_none=True),
        }

    def add_evidence(self, evidence: Evidence) -> Evidence:
        """Record evidence; the same inputs recorded twice for one version are refused."""

        def work(session: Session) -> Evidence:
            self._system_row(session, evidence.system_id)
            if not rows.add_evidence(session, **self._evidence_row(evidence)):
                raise ConflictError(f"this evidence is already recorded as {evidence.id}")
            return evidence

        return self._run(work)

    def list_evidence(self, system_id: str) -> list[Evidence]:
        """A system's evidence, oldest first."""

        def work(session: Session) -> list[Evidence]:
            self._system_row(session, system_id)
            return self._evidence(session, system_id)

        return self._run(work)

    def evidence_page(
        self, system_id: str, *, after: str | None = None, limit: int = 100, newest_first: bool = False
    ) -> Page[Evidence]:
        """A system's evidence, oldest (or newest) first, from after the evidence ``after``."""
        return self._page(
            _parser(Evidence),
            GovEvidence.recorded_at,
            after=after,
            limit=limit,
            system_id=system_id,
            descending=newest_first,
        )

    # -- data sets -------------------------------------------------------------------------

    def put_dataset(self, sheet: Datasheet, *, measured: bool = False) -> Datasheet:
        """Add or replace a datasheet written by people, keeping the stored measured profile.

        A profile is Steward's own measurement: it arrives only with ``measured=True`` (from
        :func:`steward.govern.profile.profile_dataset`), never typed into a datasheet.
        """
        if sheet.profile is not None and not measured:
            raise InputError(
                "is measured by `steward dataset profile`, not written by hand; remove it", field="profile"
            )

        def work(session: Session) -> Datasheet:
            row = rows.dataset(session, sheet.id)
            stored = sheet
            if not measured and row is not None:
                stored = sheet.model_copy(update={"profile": Datasheet.model_validate(row.doc).profile})
            doc = stored.model_dump(mode="json", exclude_none=True)
            rows.save_dataset(
                session, sheet.id, name=sheet.name, version=sheet.version, doc=doc, now=self._clock()
            )
            return stored

        return self._run(work)

    def get_dataset(self, dataset_id: str) -> Datasheet:
        """One datasheet; :class:`NotFoundError` if there is none."""

        def work(session: Session) -> Datasheet:
            row = rows.dataset(session, dataset_id)
            if row is None:
                raise NotFoundError("dataset", dataset_id)
            return Datasheet.model_validate(row.doc)

        return self._run(work)

    def list_datasets(self) -> list[Datasheet]:
        """Every datasheet, by id."""
        docs = self._run(lambda s: [r.doc for r in rows.datasets(s)])
        return [Datasheet.model_validate(doc) for doc in docs]

    def datasets_page(self, *, after: str | None = None, limit: int = 100) -> Page[Datasheet]:
        """Datasheets by id, from after the datasheet ``after``."""
        return self._page(_parser(Datasheet), GovDataset.id, after=after, limit=limit)

    def datasheets_for(self, system: AISystem) -> dict[str, Datasheet]:
        """The datasheets of the data sets a system uses (those that exist)."""
        wanted = {d.id for d in system.datasets} | {m.dataset for m in system.models if m.dataset}
        return {d.id: d for d in self.list_datasets() if d.id in wanted}

    # -- the whole register ----------------------------------------------------------------

    def export_register(self) -> Register:
        """Everything, in canonical order."""

        def work(session: Session) -> Register:
            return Register(
                systems=[AISystem.model_validate(r.doc) for r in rows.all_rows(session, GovSystem)],
                datasets=[Datasheet.model_validate(r.doc) for r in rows.all_rows(session, GovDataset)],
                risks=[Risk.model_validate(r.doc) for r in rows.all_rows(session, GovRisk)],
                evidence=[Evidence.model_validate(r.doc) for r in rows.all_rows(session, GovEvidence)],
                decisions=[_status_change(r) for r in rows.all_rows(session, GovDecision)],
            ).sorted()

        return self._run(work)

    def import_register(self, register: Register) -> dict[str, int]:
        """Load a register into the database in one transaction.

        Systems, datasheets and risks in the file replace stored ones with the same id;
        evidence and decisions are append-only, so records already stored are skipped.
        Any problem rolls the whole import back.
        """
        check_references(register)

        def work(session: Session) -> dict[str, int]:
            counts = {"systems": 0, "datasets": 0, "risks": 0, "evidence": 0, "decisions": 0}
            for system in register.systems:
                self._save_system(session, system, self._clock())
                counts["systems"] += 1
            rows.flush(session)
            for sheet in register.datasets:
                doc = sheet.model_dump(mode="json", exclude_none=True)
                rows.save_dataset(
                    session, sheet.id, name=sheet.name, version=sheet.version, doc=doc, now=self._clock()
                )
                counts["datasets"] += 1
            for risk in register.risks:
                doc = risk.model_dump(mode="json", exclude_none=True)
                rows.save_risk(session, risk.system_id, risk.id, doc=doc, now=self._clock())
                counts["risks"] += 1
            for evidence in register.evidence:
                if rows.add_evidence(session, **self._evidence_row(evidence)):
                    counts["evidence"] += 1
            known = rows.decision_keys(session)
            for change in register.decisions:
                key = (
                    change.system_id,
                    change.decided_at.astimezone(dt.UTC),
                    change.to_status.value,
                    change.allowed,
                )
                if key not in known:
                    self._add_decision(session, change)
                    counts["decisions"] += 1
            return counts

        return self._run(work)
