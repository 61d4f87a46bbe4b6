"""The governance register's rows: the reads and writes behind :mod:`steward.govern.repository`.

:class:`~steward.govern.repository.GovernanceStore` decides (the release gate, what may change
and what is refused); this module only moves rows. Every function but :func:`transaction` runs
inside the session its caller opened with :func:`transaction`, so a gate decision, the row
lock it was taken under and the writes it allows commit together or not at all. Each record is
stored as its JSON document beside the columns it is looked up by.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import ConflictError, StorageError
from steward.store.models.core import GuardrailVersion, as_utc
from steward.store.models.govern import GovDataset, GovDecision, GovEvidence, GovRisk, GovSystem
from steward.store.paging import Page, keyset_page

__all__ = [
    "add_decision",
    "add_evidence",
    "all_rows",
    "dataset",
    "datasets",
    "decision_keys",
    "decisions",
    "delete_risk",
    "evidence",
    "flush",
    "guardrail_versions",
    "page",
    "risks",
    "save_dataset",
    "save_risk",
    "save_system",
    "system",
    "systems",
    "transaction",
]

T = TypeVar("T")
Row = TypeVar("Row", GovSystem, GovDataset, GovRisk, GovEvidence, GovDecision)


def transaction(sessions: sessionmaker[Session], work: Callable[[Session], T]) -> T:
    """Run ``work`` in one transaction: committed if it returns, rolled back if it raises. A
    clash with a stored row is a :class:`ConflictError`, any other database failure a
    :class:`StorageError` (naming only the error's type)."""
    try:
        with sessions.begin() as session:
            return work(session)
    except IntegrityError:
        raise ConflictError("the change clashes with a stored record (a duplicate id?)") from None
    except SQLAlchemyError as exc:
        raise StorageError(f"the database failed: {type(exc).__name__}") from None


def page(
    session: Session,
    column: Any,
    *,
    after: str | None,
    limit: int,
    system_id: str | None = None,
    key: Any = None,
    descending: bool = False,
) -> Page[Any]:
    """One page of ``column``'s table by ``(column, id)``, of one system's rows with ``system_id``
    (see :func:`~steward.store.paging.keyset_page` for ``key``)."""
    model = column.class_
    query = select(model)
    if system_id is not None:
        query = query.where(model.system_id == system_id)
    return keyset_page(
        session, query, model, column, after=after, limit=limit, key=key, descending=descending
    )


def all_rows(session: Session, model: type[Row]) -> list[Row]:
    """Every row of a register table, in no particular order."""
    return list(session.scalars(select(model)))


# -- systems ---------------------------------------------------------------------------------


def system(session: Session, system_id: str, *, lock: bool = False) -> GovSystem | None:
    """A system's row (locked for the rest of the transaction with ``lock``), or None."""
    query = select(GovSystem).where(GovSystem.id == system_id)
    if lock:
        query = query.with_for_update()
    return session.scalars(query).first()


def systems(session: Session) -> list[GovSystem]:
    """Every system's row, by id."""
    return list(session.scalars(select(GovSystem).order_by(GovSystem.id)))


def save_system(
    session: Session,
    system_id: str,
    *,
    name: str,
    version: str,
    status: str,
    doc: dict[str, Any],
    now: dt.datetime,
) -> None:
    """Insert a system's row or replace the stored one's columns and document."""
    row = session.get(GovSystem, system_id)
    if row is None:
        session.add(
            GovSystem(
                id=system_id,
                name=name,
                version=version,
                status=status,
                doc=doc,
                created_at=now,
                updated_at=now,
            )
        )
    else:
        row.name, row.version, row.status, row.doc, row.updated_at = name, version, status, doc, now


def guardrail_versions(session: Session) -> set[tuple[str, str]]:
    """The frozen guardrail versions the guard's store holds, as (id, number) pairs."""
    rows = session.execute(select(GuardrailVersion.guardrail_id, GuardrailVersion.version))
    return {(gid, str(number)) for gid, number in rows}


# -- risks -----------------------------------------------------------------------------------


def risks(session: Session, system_id: str) -> list[GovRisk]:
    """A system's risk rows, by id."""
    return list(session.scalars(select(GovRisk).where(GovRisk.system_id == system_id).order_by(GovRisk.id)))


def save_risk(
    session: Session, system_id: str, risk_id: str, *, doc: dict[str, Any], now: dt.datetime
) -> None:
    """Insert a risk's row or replace the stored one's document."""
    row = session.get(GovRisk, (system_id, risk_id))
    if row is None:
        session.add(GovRisk(system_id=system_id, id=risk_id, doc=doc, updated_at=now))
    else:
        row.doc, row.updated_at = doc, now


def delete_risk(session: Session, system_id: str, risk_id: str) -> bool:
    """Delete one risk's row; whether there was one."""
    done = session.execute(delete(GovRisk).where(GovRisk.system_id == system_id, GovRisk.id == risk_id))
    return bool(getattr(done, "rowcount", 0))


# -- evidence --------------------------------------------------------------------------------


def evidence(session: Session, system_id: str) -> list[GovEvidence]:
    """A system's evidence rows, oldest first."""
    query = (
        select(GovEvidence)
        .where(GovEvidence.system_id == system_id)
        .order_by(GovEvidence.recorded_at, GovEvidence.id)
    )
    return list(session.scalars(query))


def add_evidence(
    session: Session,
    evidence_id: str,
    *,
    system_id: str,
    system_version: str,
    kind: str,
    recorded_at: dt.datetime,
    content_sha256: str,
    doc: dict[str, Any],
) -> bool:
    """Insert an evidence row unless one with its id is stored (evidence is append-only);
    whether it was inserted."""
    if session.get(GovEvidence, evidence_id) is not None:
        return False
    session.add(
        GovEvidence(
            id=evidence_id,
            system_id=system_id,
            system_version=system_version,
            kind=kind,
            recorded_at=recorded_at,
            content_sha256=content_sha256,
            doc=doc,
        )
    )
    return True


# -- data sets -------------------------------------------------------------------------------


def dataset(session: Session, dataset_id: str) -> GovDataset | None:
    """A datasheet's row, or None."""
    return session.get(GovDataset, dataset_id)


def datasets(session: Session) -> list[GovDataset]:
    """Every datasheet's row, by id."""
    return list(session.scalars(select(GovDataset).order_by(GovDataset.id)))


def save_dataset(
    session: Session, dataset_id: str, *, name: str, version: str, doc: dict[str, Any], now: dt.datetime
) -> None:
    """Insert a datasheet's row or replace the stored one's columns and document."""
    row = session.get(GovDataset, dataset_id)
    if row is None:
        session.add(GovDataset(id=dataset_id, name=name, version=version, doc=doc, updated_at=now))
    else:
        row.name, row.version, row.doc, row.updated_at = name, version, doc, now


# -- gate decisions --------------------------------------------------------------------------


def decisions(session: Session, system_id: str | None = None) -> list[GovDecision]:
    """Recorded gate decisions (one system's with ``system_id``), oldest first."""
    query = select(GovDecision).order_by(GovDecision.decided_at, GovDecision.id)
    if system_id is not None:
        query = query.where(GovDecision.system_id == system_id)
    return list(session.scalars(query))


def decision_keys(session: Session) -> set[tuple[str, dt.datetime, str, bool]]:
    """``(system id, decided at in UTC, to status, allowed)`` of every recorded decision: what
    tells an imported decision already stored from a new one."""
    return {
        (r.system_id, as_utc(r.decided_at), r.to_status, r.allowed)
        for r in session.scalars(select(GovDecision))
    }


def add_decision(
    session: Session,
    *,
    system_id: str,
    system_version: str,
    from_status: str,
    to_status: str,
    allowed: bool,
    decided_at: dt.datetime,
    decided_by: str | None,
    doc: dict[str, Any],
) -> None:
    """Insert a gate decision's row (decisions are append-only)."""
    session.add(
        GovDecision(
            system_id=system_id,
            system_version=system_version,
            from_status=from_status,
            to_status=to_status,
            allowed=allowed,
            decided_at=decided_at,
            decided_by=decided_by,
            doc=doc,
        )
    )


def flush(session: Session) -> None:
    """Write the rows added so far (an import's systems before the rows that refer to them)."""
    session.flush()
