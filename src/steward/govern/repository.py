"""Storing the governance register in the same database as the guard.

:class:`GovernanceStore` opens one short transaction per call, so the CLI and the server
share it (the process's one instance is ``App.governance``, see :mod:`steward.app.context`). Evidence is append-only; a system's status changes only through
:meth:`GovernanceStore.change_status`, which runs the release gate and records every
decision, allowed or refused. Nothing already stored is lost on a bad input: every
check happens before the first write, and a failed write rolls back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import ConflictError, InputError, NotFoundError, StorageError
from steward.govern.datasheet import Datasheet
from steward.govern.evidence import Evidence
from steward.govern.gates import GateDecision, evaluate_gate
from steward.govern.inventory import GATED_STATUSES, AISystem, Lifecycle, parse_status
from steward.govern.register import Register, StatusChange, check_references
from steward.govern.risk import Risk
from steward.store.models.core import GuardrailVersion
from steward.store.models.govern import GovDataset, GovDecision, GovEvidence, GovRisk, GovSystem
from steward.store.paging import Page, keyset_page

__all__ = ["GovernanceStore", "Page"]


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _parser(model: type[BaseModel]) -> Callable[[Any], Any]:
    """Read a row's stored document as ``model``."""
    return lambda row: model.model_validate(row.doc)


def _status_change(row: GovDecision) -> StatusChange:
    """A recorded gate decision without its checks (the gate history shows the outcome and reasons)."""
    return StatusChange.model_validate({k: v for k, v in row.doc.items() if k != "checks"})


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; everything is stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


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
        query: Select[Any],
        parse: Callable[[Any], Any],
        column: Any,
        *,
        after: str | None,
        limit: int,
        system_id: str | None = None,
        key: Any = None,
        descending: bool = False,
    ) -> Page[Any]:
        """One page of ``query``'s rows by ``(column, id)``, each parsed from its document; with
        ``system_id``, an unknown system is a :class:`NotFoundError`. ``key`` finds the cursor's
        row when its id alone does not (see :func:`~steward.store.paging.keyset_page`)."""
        model = column.class_

        def work(session: Session) -> Page[Any]:
            if system_id is not None:
                self._system_row(session, system_id)
            found = keyset_page(
                session, query, model, column, after=after, limit=limit, key=key, descending=descending
            )
            return Page([parse(row) for row in found.items], found.next)

        result: Page[Any] = self._run(work)
        return result

    def _run(self, work: Callable[[Session], Any]) -> Any:
        try:
            with self._sessions.begin() as session:
                return work(session)
        except IntegrityError:
            raise ConflictError("the change clashes with a stored record (a duplicate id?)") from None
        except SQLAlchemyError as exc:
            raise StorageError(f"the database failed: {type(exc).__name__}") from None

    # -- systems ---------------------------------------------------------------------------

    @staticmethod
    def _system_row(session: Session, system_id: str, *, lock: bool = False) -> GovSystem:
        query = select(GovSystem).where(GovSystem.id == system_id)
        if lock:
            query = query.with_for_update()
        row = session.scalars(query).first()
        if row is None:
            raise NotFoundError("system", system_id)
        return row

    def add_system(self, system: AISystem, *, replace: bool = False) -> AISystem:
        """Register a system, or with ``replace`` update one; status changes go through the gate."""

        def work(session: Session) -> AISystem:
            row = session.get(GovSystem, system.id)
            now = self._clock()
            doc = system.model_dump(mode="json", exclude_none=True)
            if row is None:
                if system.status in GATED_STATUSES:
                    raise ConflictError(
                        f"a new system starts before deployment (not {system.status.value}); "
                        "move it there with `steward system status`, which runs the release gate"
                    )
                session.add(
                    GovSystem(
                        id=system.id,
                        name=system.name,
                        version=system.version,
                        status=system.status.value,
                        doc=doc,
                        created_at=now,
                        updated_at=now,
                    )
                )
                return system
            if not replace:
                raise ConflictError(f"system {system.id!r} already exists (use replace to update it)")
            if system.status.value != row.status:
                raise ConflictError(
                    f"system {system.id!r} is {row.status}; change its status with `steward system status`, "
                    "not by editing the record"
                )
            if row.status in {s.value for s in GATED_STATUSES} and system.version != row.version:
                raise ConflictError(
                    f"system {system.id!r} is {row.status} at version {row.version}; version {system.version} "
                    "has not passed the release gate (move it to development first)"
                )
            row.name, row.version, row.doc, row.updated_at = system.name, system.version, doc, now
            return system

        result: AISystem = self._run(work)
        return result

    def get_system(self, system_id: str) -> AISystem:
        """One system; :class:`NotFoundError` if there is none."""
        return self._run(lambda s: AISystem.model_validate(self._system_row(s, system_id).doc))  # type: ignore[no-any-return]

    def list_systems(self) -> list[AISystem]:
        """Every system, by id."""
        rows = self._run(lambda s: [r.doc for r in s.scalars(select(GovSystem).order_by(GovSystem.id))])
        return [AISystem.model_validate(doc) for doc in rows]

    def systems_page(self, *, after: str | None = None, limit: int = 100) -> Page[AISystem]:
        """Systems by id, from after the system ``after`` (the cursor a previous page ended with)."""
        parse = _parser(AISystem)
        return self._page(select(GovSystem), parse, GovSystem.id, after=after, limit=limit)

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
                guardrail_versions=self._guardrails(session),
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
            session.add(self._decision_row(change, decision.to_dict()))
            if decision.allowed:
                updated = system.model_copy(update={"status": goal})
                row.status = goal.value
                row.doc = updated.model_dump(mode="json", exclude_none=True)
                row.updated_at = now
            return decision

        result: GateDecision = self._run(work)
        return result

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
                guardrail_versions=self._guardrails(session),
            )

        result: GateDecision = self._run(work)
        return result

    @staticmethod
    def _guardrails(session: Session) -> set[tuple[str, str]]:
        """The frozen guardrail versions the guard's store holds, as (id, number) pairs."""
        rows = session.execute(select(GuardrailVersion.guardrail_id, GuardrailVersion.version))
        return {(gid, str(number)) for gid, number in rows}

    @staticmethod
    def _decision_row(change: StatusChange, detail: dict[str, Any] | None = None) -> GovDecision:
        doc = change.model_dump(mode="json", exclude_none=True)
        if detail is not None:
            doc["checks"] = detail["checks"]
        return GovDecision(
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
            query = select(GovDecision).order_by(GovDecision.decided_at, GovDecision.id)
            if system_id is not None:
                self._system_row(session, system_id)
                query = query.where(GovDecision.system_id == system_id)
            return [_status_change(row) for row in session.scalars(query)]

        result: list[StatusChange] = self._run(work)
        return result

    def decisions_page(
        self, system_id: str, *, after: str | None = None, limit: int = 100, newest_first: bool = False
    ) -> Page[StatusChange]:
        """A system's recorded gate decisions, oldest (or newest) first, from after the decision
        ``after`` (the cursor a previous page ended with)."""
        query = select(GovDecision).where(GovDecision.system_id == system_id)
        return self._page(
            query,
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
        rows = session.scalars(select(GovRisk).where(GovRisk.system_id == system_id).order_by(GovRisk.id))
        return [Risk.model_validate(r.doc) for r in rows]

    def put_risk(self, risk: Risk) -> Risk:
        """Add a risk to its system's register, or replace the one with the same id."""

        def work(session: Session) -> Risk:
            self._system_row(session, risk.system_id)
            doc = risk.model_dump(mode="json", exclude_none=True)
            row = session.get(GovRisk, (risk.system_id, risk.id))
            if row is None:
                session.add(GovRisk(system_id=risk.system_id, id=risk.id, doc=doc, updated_at=self._clock()))
            else:
                row.doc, row.updated_at = doc, self._clock()
            return risk

        result: Risk = self._run(work)
        return result

    def list_risks(self, system_id: str) -> list[Risk]:
        """A system's risks, by id; :class:`NotFoundError` for an unknown system."""

        def work(session: Session) -> list[Risk]:
            self._system_row(session, system_id)
            return self._risks(session, system_id)

        result: list[Risk] = self._run(work)
        return result

    def risks_page(self, system_id: str, *, after: str | None = None, limit: int = 100) -> Page[Risk]:
        """A system's risks by id, from after the risk ``after``; :class:`NotFoundError` for an unknown system."""
        query = select(GovRisk).where(GovRisk.system_id == system_id)
        key = None if after is None else (system_id, after)  # a risk's id is unique within its system
        return self._page(
            query, _parser(Risk), GovRisk.id, after=after, limit=limit, system_id=system_id, key=key
        )

    def delete_risk(self, system_id: str, risk_id: str) -> None:
        """Remove one risk from a system's register."""

        def work(session: Session) -> None:
            done = session.execute(
                delete(GovRisk).where(GovRisk.system_id == system_id, GovRisk.id == risk_id)
            )
            if not getattr(done, "rowcount", 0):
                raise NotFoundError("risk", f"{system_id}/{risk_id}")

        self._run(work)

    # -- evidence --------------------------------------------------------------------------

    @staticmethod
    def _evidence(session: Session, system_id: str) -> list[Evidence]:
        query = (
            select(GovEvidence)
            .where(GovEvidence.system_id == system_id)
            .order_by(GovEvidence.recorded_at, GovEvidence.id)
        )
        return [Evidence.model_validate(r.doc) for r in session.scalars(query)]

    @staticmethod
    def _evidence_row(evidence: Evidence) -> GovEvidence:
        return GovEvidence(
            id=evidence.id,
            system_id=evidence.system_id,
            system_version=evidence.system_version,
            kind=evidence.kind.value,
            recorded_at=evidence.recorded_at,
            content_sha256=evidence.content_sha256,
            doc=evidence.model_dump(mode="json", exclude_none=True),
        )

    def add_evidence(self, evidence: Evidence) -> Evidence:
        """Record evidence; the same inputs recorded twice for one version are refused."""

        def work(session: Session) -> Evidence:
            self._system_row(session, evidence.system_id)
            if session.get(GovEvidence, evidence.id) is not None:
                raise ConflictError(f"this evidence is already recorded as {evidence.id}")
            session.add(self._evidence_row(evidence))
            return evidence

        result: Evidence = self._run(work)
        return result

    def list_evidence(self, system_id: str) -> list[Evidence]:
        """A system's evidence, oldest first."""

        def work(session: Session) -> list[Evidence]:
            self._system_row(session, system_id)
            return self._evidence(session, system_id)

        result: list[Evidence] = self._run(work)
        return result

    def evidence_page(
        self, system_id: str, *, after: str | None = None, limit: int = 100, newest_first: bool = False
    ) -> Page[Evidence]:
        """A system's evidence, oldest (or newest) first, from after the evidence ``after``."""
        query = select(GovEvidence).where(GovEvidence.system_id == system_id)
        return self._page(
            query,
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
            row = session.get(GovDataset, sheet.id)
            stored = sheet
            if not measured and row is not None:
                stored = sheet.model_copy(update={"profile": Datasheet.model_validate(row.doc).profile})
            doc = stored.model_dump(mode="json", exclude_none=True)
            if row is None:
                session.add(
                    GovDataset(
                        id=sheet.id, name=sheet.name, version=sheet.version, doc=doc, updated_at=self._clock()
                    )
                )
            else:
                row.name, row.version, row.doc, row.updated_at = sheet.name, sheet.version, doc, self._clock()
            return stored

        result: Datasheet = self._run(work)
        return result

    def get_dataset(self, dataset_id: str) -> Datasheet:
        """One datasheet; :class:`NotFoundError` if there is none."""

        def work(session: Session) -> Datasheet:
            row = session.get(GovDataset, dataset_id)
            if row is None:
                raise NotFoundError("dataset", dataset_id)
            return Datasheet.model_validate(row.doc)

        result: Datasheet = self._run(work)
        return result

    def list_datasets(self) -> list[Datasheet]:
        """Every datasheet, by id."""
        rows = self._run(lambda s: [r.doc for r in s.scalars(select(GovDataset).order_by(GovDataset.id))])
        return [Datasheet.model_validate(doc) for doc in rows]

    def datasets_page(self, *, after: str | None = None, limit: int = 100) -> Page[Datasheet]:
        """Datasheets by id, from after the datasheet ``after``."""
        return self._page(select(GovDataset), _parser(Datasheet), GovDataset.id, after=after, limit=limit)

    def datasheets_for(self, system: AISystem) -> dict[str, Datasheet]:
        """The datasheets of the data sets a system uses (those that exist)."""
        wanted = {d.id for d in system.datasets} | {m.dataset for m in system.models if m.dataset}
        return {d.id: d for d in self.list_datasets() if d.id in wanted}

    # -- the whole register ----------------------------------------------------------------

    def export_register(self) -> Register:
        """Everything, in canonical order."""

        def work(session: Session) -> Register:
            systems = [AISystem.model_validate(r.doc) for r in session.scalars(select(GovSystem))]
            return Register(
                systems=systems,
                datasets=[Datasheet.model_validate(r.doc) for r in session.scalars(select(GovDataset))],
                risks=[Risk.model_validate(r.doc) for r in session.scalars(select(GovRisk))],
                evidence=[Evidence.model_validate(r.doc) for r in session.scalars(select(GovEvidence))],
                decisions=[_status_change(r) for r in session.scalars(select(GovDecision))],
            ).sorted()

        result: Register = self._run(work)
        return result

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
                doc = system.model_dump(mode="json", exclude_none=True)
                row = session.get(GovSystem, system.id)
                now = self._clock()
                if row is None:
                    session.add(
                        GovSystem(
                            id=system.id,
                            name=system.name,
                            version=system.version,
                            status=system.status.value,
                            doc=doc,
                            created_at=now,
                            updated_at=now,
                        )
                    )
                else:
                    row.name, row.version, row.status, row.doc, row.updated_at = (
                        system.name,
                        system.version,
                        system.status.value,
                        doc,
                        now,
                    )
                counts["systems"] += 1
            session.flush()
            for sheet in register.datasets:
                doc = sheet.model_dump(mode="json", exclude_none=True)
                existing = session.get(GovDataset, sheet.id)
                if existing is None:
                    session.add(
                        GovDataset(
                            id=sheet.id,
                            name=sheet.name,
                            version=sheet.version,
                            doc=doc,
                            updated_at=self._clock(),
                        )
                    )
                else:
                    existing.name, existing.version, existing.doc = sheet.name, sheet.version, doc
                counts["datasets"] += 1
            for risk in register.risks:
                doc = risk.model_dump(mode="json", exclude_none=True)
                stored = session.get(GovRisk, (risk.system_id, risk.id))
                if stored is None:
                    session.add(
                        GovRisk(system_id=risk.system_id, id=risk.id, doc=doc, updated_at=self._clock())
                    )
                else:
                    stored.doc = doc
                counts["risks"] += 1
            for evidence in register.evidence:
                if session.get(GovEvidence, evidence.id) is None:
                    session.add(self._evidence_row(evidence))
                    counts["evidence"] += 1
            known = {
                (r.system_id, _aware(r.decided_at), r.to_status, r.allowed)
                for r in session.scalars(select(GovDecision))
            }
            for change in register.decisions:
                key = (
                    change.system_id,
                    change.decided_at.astimezone(dt.UTC),
                    change.to_status.value,
                    change.allowed,
                )
                if key not in known:
                    session.add(self._decision_row(change))
                    counts["decisions"] += 1
            return counts

        result: dict[str, int] = self._run(work)
        return result
