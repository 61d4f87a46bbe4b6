"""The SQL of human review, appeals and feedback (the rules of the queue live in :mod:`steward.review`).

Every text a person wrote or a reviewer reads is sealed (envelope encryption, see
:mod:`steward.store.envelope`; reviewed text under its guardrail's data key) before it is
stored and unsealed only when an item is shown or exported. Changes to an item are
conditional UPDATEs (``WHERE state = ...``) whose row count says whether this caller won,
each written in the same transaction as its history row, so two reviewers or two server
processes never both claim or resolve one item.

New items, appeals and feedback are written by :meth:`ReviewStore.write`, many in one
transaction: the server's :class:`~steward.review.writer.ReviewWriter` hands it whole batches
from its queue, and the single-row calls (``add_item``, ``add_appeal``, ``add_feedback``) are
batches of one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import ConflictError, NotFoundError, PermissionDeniedError, ShreddedError
from steward.store.envelope import scope_of
from steward.store.models.core import AuditRow, as_utc, utcnow
from steward.store.models.review import Appeal, Feedback, ReviewAction, ReviewItem
from steward.store.paging import Page, after_row, keyset_page
from steward.store.records import record_of
from steward.store.sealing import Sealer

__all__ = [
    "AppealEntry",
    "AppealRecord",
    "DecisionRecord",
    "FeedbackRecord",
    "HistoryEntry",
    "ItemRecord",
    "NewAppeal",
    "NewItem",
    "NewRow",
    "ReviewStore",
    "new_id",
]


def new_id() -> str:
    """A fresh item, appeal or feedback id: 32 hex characters."""
    return uuid.uuid4().hex


#: Columns of a new item that a bulk insert must name (the ORM's defaults do not apply to it).
_ITEM_DEFAULTS: dict[str, Any] = {
    column: None
    for column in (
        "caller_key_id",
        "guardrail_id",
        "version",
        "assignee",
        "first_reviewer",
        "first_outcome",
        "first_label",
        "first_category",
        "outcome",
        "label",
        "category",
        "explanation_sealed",
        "resolved_by",
        "resolved_at",
    )
} | {"policy_name": "", "blocked": False, "four_eyes": False}


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One action on an item: who, what, when, and its details (a comment unsealed)."""

    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        note = {} if self.note is None else {"note": self.note}
        return {
            "at": as_utc(self.at).isoformat(),
            "actor": self.actor,
            "action": self.action,
            **self.detail,
            **note,
        }


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """A review item as stored; ``text`` and ``explanation`` are unsealed only when asked for."""

    id: str
    request_id: str
    guardrail_id: str | None
    version: str | None
    source: str
    policy_name: str
    action: str
    blocked: bool
    reason: str
    state: str
    findings: list[dict[str, Any]]
    assignee: str | None
    four_eyes: bool
    escalated: bool
    first_reviewer: str | None
    first_outcome: str | None
    first_label: int | None
    first_category: str | None
    outcome: str | None
    label: int | None
    category: str | None
    resolved_by: str | None
    created_at: datetime
    updated_at: datetime
    due_at: datetime
    expires_at: datetime
    resolved_at: datetime | None
    has_text: bool
    text: str | None = None
    explanation: str | None = None
    history: tuple[HistoryEntry, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """What the audit trail holds about one request (never its text)."""

    request_id: str
    guardrail_id: str | None
    version: str | None
    source: str
    action: str
    policy_name: str
    findings: list[dict[str, Any]]
    caller_key_id: str | None


@dataclass(frozen=True, slots=True)
class AppealRecord:
    """An appeal and the item it opened."""

    id: str
    request_id: str
    item_id: str
    user_hash: str | None
    caller_key_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AppealEntry:
    """An appeal as a list shows it: the appeal and the review item it opened (without its text)."""

    appeal: AppealRecord
    item: ItemRecord


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    """One end user's feedback, ``text`` in the clear: as read back (unsealed), or to be written."""

    id: str
    request_id: str
    rating: int
    category: str | None
    text: str | None
    user_hash: str | None
    caller_key_id: str
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (the user appears only as a keyed hash)."""
        return {
            "id": self.id,
            "requestId": self.request_id,
            "rating": self.rating,
            "category": self.category,
            "text": self.text,
            "userHash": self.user_hash,
            "callerKeyId": self.caller_key_id,
            "createdAt": as_utc(self.created_at).isoformat(),
        }


@dataclass(frozen=True, slots=True)
class NewItem:
    """A review item to store: its column values (``id`` and ``created_at`` among them), its
    text in the clear (sealed when written, under its guardrail's data key) and who opened it."""

    values: dict[str, Any]
    text: str | None
    actor: str

    @property
    def id(self) -> str:
        """The item's id, chosen before it is written (so the caller can name it at once)."""
        return str(self.values["id"])


@dataclass(frozen=True, slots=True)
class NewAppeal:
    """An appeal to store (``reason`` in the clear, sealed when written); its item comes first."""

    id: str
    request_id: str
    item_id: str
    user_hash: str | None
    reason: str
    caller: str
    created_at: datetime


#: What :meth:`ReviewStore.write` takes.
NewRow = NewItem | NewAppeal | FeedbackRecord


class ReviewStore:
    """Review items, their history, appeals and feedback over one database."""

    def __init__(self, sessions: sessionmaker[Session], sealer: Sealer) -> None:
        self._sessions = sessions
        self._sealer = sealer

    # -- sealing -----------------------------------------------------------------------------

    def _seal(self, text: str | None, scope: str = "review") -> str | None:
        # ``scope`` picks the data key, so each kind (and guardrail) can be shredded on its own.
        return None if text is None else self._sealer.seal(text, scope=scope)

    def _unseal(self, sealed: str | None) -> str | None:
        if sealed is None:
            return None
        try:
            return self._sealer.unseal(sealed)
        except ShreddedError:  # past retention or forgotten on request: gone, shown as no text
            return None

    # -- the two writes every change is made of ------------------------------------------------

    @staticmethod
    def _update_items(session: Session, *conditions: ColumnElement[bool], **values: Any) -> int:
        """Run one conditional UPDATE of review items; the rows it changed say whether this caller won."""
        result = session.execute(
            update(ReviewItem)
            .where(*conditions)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

    def _add_history(
        self,
        session: Session,
        item_id: str,
        *,
        at: datetime,
        actor: str,
        action: str,
        detail: dict[str, Any],
        note_sealed: str | None = None,
    ) -> None:
        """Add an item's history row to the transaction that made the change.

        The comment comes sealed: callers seal it before they open the transaction, because
        sealing may create the day's data key on a connection of its own, which on SQLite
        would wait for this transaction's write lock (30 s, then a 503)."""
        session.add(
            ReviewAction(
                item_id=item_id,
                at=at,
                actor=actor,
                action=action,
                detail=detail,
                note_sealed=note_sealed,
            )
        )

    # -- items -------------------------------------------------------------------------------

    def add_item(self, values: dict[str, Any], *, text: str | None, actor: str) -> str:
        """Store a new open item (``values``: column values but the text) and its first history row.

        ``values`` may carry ``id`` and ``created_at`` (the time its due time was computed from).
        """
        entry = NewItem({"id": new_id(), "created_at": utcnow(), **values}, text, actor)
        self.write([entry])
        return entry.id

    def write(self, rows: Sequence[NewRow]) -> None:
        """Store new items (each with its ``create`` history row), appeals and feedback in one
        transaction, items first (an appeal names its item).

        Every text is sealed before the transaction opens: sealing may create the day's data key
        on a connection of its own, which on SQLite would wait for this transaction's write lock.
        Nothing is written if any row is refused (the caller may then write them one by one).
        """
        items: list[dict[str, Any]] = []
        history: list[dict[str, Any]] = []
        appeals: list[dict[str, Any]] = []
        feedback: list[dict[str, Any]] = []
        for row in rows:
            if isinstance(row, NewItem):
                values = row.values
                items.append(
                    {
                        "state": "open",
                        "escalated": False,
                        "updated_at": values["created_at"],
                        **_ITEM_DEFAULTS,
                        **values,
                        "text_sealed": self._seal(row.text, scope_of("review", values.get("guardrail_id"))),
                    }
                )
                history.append(
                    {
                        "item_id": row.id,
                        "at": values["created_at"],
                        "actor": row.actor,
                        "action": "create",
                        "detail": {"reason": values["reason"]},
                        "note_sealed": None,
                    }
                )
            elif isinstance(row, NewAppeal):
                appeals.append(
                    {
                        "id": row.id,
                        "request_id": row.request_id,
                        "item_id": row.item_id,
                        "user_hash": row.user_hash,
                        "reason_sealed": self._seal(row.reason, "feedback"),
                        "caller_key_id": row.caller,
                        "created_at": row.created_at,
                    }
                )
            else:
                feedback.append(
                    {
                        "id": row.id,
                        "request_id": row.request_id,
                        "rating": row.rating,
                        "category": row.category,
                        "text_sealed": self._seal(row.text, "feedback"),
                        "user_hash": row.user_hash,
                        "caller_key_id": row.caller_key_id,
                        "created_at": row.created_at,
                    }
                )
        with self._sessions() as session:
            # Core inserts on the session's connection: the ORM's bulk path would cost about twice
            # as much per row, and nothing here needs the ORM (no objects, no identity map).
            connection = session.connection()
            for model, values_list in (
                (ReviewItem, items),
                (ReviewAction, history),
                (Appeal, appeals),
                (Feedback, feedback),
            ):
                if values_list:
                    connection.execute(insert(model), values_list)
            session.commit()

    def _record(self, row: ReviewItem, *, full: bool, session: Session) -> ItemRecord:
        history: tuple[HistoryEntry, ...] = ()
        if full:
            actions = session.scalars(
                select(ReviewAction).where(ReviewAction.item_id == row.id).order_by(ReviewAction.id)
            )
            history = tuple(
                HistoryEntry(a.at, a.actor, a.action, dict(a.detail), self._unseal(a.note_sealed))
                for a in actions
            )
        return record_of(
            ItemRecord,
            row,
            findings=list(row.findings),
            has_text=row.text_sealed is not None,
            text=self._unseal(row.text_sealed) if full else None,
            explanation=self._unseal(row.explanation_sealed) if full else None,
            history=history,
        )

    def get_item(self, item_id: str, *, full: bool = True) -> ItemRecord:
        """The item with its text, explanation and history; :class:`NotFoundError` if none."""
        with self._sessions() as session:
            row = session.get(ReviewItem, item_id[:64])
            if row is None:
                raise NotFoundError("review item", item_id)
            return self._record(row, full=full, session=session)

    def list_items(
        self,
        *,
        states: Sequence[str] = (),
        reasons: Sequence[str] = (),
        assignee: str | None = None,
        limit: int = 100,
        after: str | None = None,
    ) -> list[ItemRecord]:
        """Items oldest due first (no text), filtered by state, reason and assignee; with ``after``
        (an item id: the cursor a previous page ended with) only the items that come after it."""
        query = select(ReviewItem).order_by(ReviewItem.due_at, ReviewItem.id).limit(limit)
        if states:
            query = query.where(ReviewItem.state.in_(list(states)))
        if reasons:
            query = query.where(ReviewItem.reason.in_(list(reasons)))
        if assignee is not None:
            query = query.where(ReviewItem.assignee == assignee)
        with self._sessions() as session:
            if after is not None:
                query = query.where(after_row(session, ReviewItem, after, ReviewItem.due_at))
            return [self._record(r, full=False, session=session) for r in session.scalars(query)]

    def queue_counts(
        self, now: datetime | None = None, *, guardrail_id: str | None = None
    ) -> list[tuple[str, str, int, int]]:
        """``(reason, state, items, overdue)`` for every unresolved reason and state (of one
        guardrail's items, if named): one grouped query over the (state, due) index, for the
        queue-depth and SLA-breach gauges and the console's overview."""
        now = now or utcnow()
        late = func.sum(case((ReviewItem.due_at < now, 1), else_=0))
        query = (
            select(ReviewItem.reason, ReviewItem.state, func.count(), late)
            .where(ReviewItem.state.in_(("open", "claimed", "escalated")))
            .group_by(ReviewItem.reason, ReviewItem.state)
        )
        if guardrail_id is not None:
            query = query.where(ReviewItem.guardrail_id == guardrail_id)
        with self._sessions() as session:
            return [(r, s, int(n), int(o or 0)) for r, s, n, o in session.execute(query)]

    def kept_text(self, request_id: str) -> str | None:
        """The text an earlier item about this request kept (the oldest still readable), or None."""
        query = (
            select(ReviewItem.text_sealed)
            .where(ReviewItem.request_id == request_id[:64], ReviewItem.text_sealed.is_not(None))
            .order_by(ReviewItem.created_at)
        )
        with self._sessions() as session:
            for sealed in session.scalars(query):
                text = self._unseal(sealed)
                if text is not None:
                    return text
        return None

    def resolved_items(self, *, since: datetime | None = None) -> Iterator[ItemRecord]:
        """Resolved items with their text, oldest resolution first (for evaluation exports)."""
        query = select(ReviewItem).where(ReviewItem.state == "resolved").order_by(ReviewItem.resolved_at)
        if since is not None:
            query = query.where(ReviewItem.resolved_at >= since)
        with self._sessions() as session:
            for row in session.scalars(query):
                yield self._record(row, full=True, session=session)

    def _explain_refusal(self, session: Session, item_id: str, want: str, actor: str) -> Exception:
        """Why a conditional update changed nothing: no such item, the wrong state, or not the assignee."""
        row = session.get(ReviewItem, item_id[:64])
        if row is None:
            return NotFoundError("review item", item_id)
        if row.state != want:
            return ConflictError(f"review item {item_id!r} is {row.state}, not {want}")
        if want == "claimed" and row.assignee != actor:
            return PermissionDeniedError(f"review item {item_id!r} is claimed by another key")
        return ConflictError(f"review item {item_id!r} changed meanwhile; read it again")

    def claim(self, item_id: str, actor: str, *, may_take_escalated: bool) -> None:
        """Claim an open item (an escalated one too, for admins) atomically.

        One UPDATE with the state in its WHERE clause: of two concurrent claimers exactly one
        changes the row. A four-eyes item's first reviewer cannot claim it for the second verdict.
        """
        states = ["open", "escalated"] if may_take_escalated else ["open"]
        now = utcnow()
        with self._sessions() as session:
            changed = self._update_items(
                session,
                ReviewItem.id == item_id[:64],
                ReviewItem.state.in_(states),
                or_(ReviewItem.first_reviewer.is_(None), ReviewItem.first_reviewer != actor),
                state="claimed",
                assignee=actor,
                updated_at=now,
            )
            if changed != 1:
                session.rollback()
                row = session.get(ReviewItem, item_id[:64])
                if row is not None and row.state in states and row.first_reviewer == actor:
                    raise PermissionDeniedError(
                        f"review item {item_id!r} needs a second reviewer: this key gave the first verdict"
                    )
                if row is not None and row.state == "escalated":
                    raise PermissionDeniedError(
                        f"review item {item_id!r} is escalated: only an admin key may take it"
                    )
                raise self._explain_refusal(session, item_id, "open", actor)
            self._add_history(session, item_id, at=now, actor=actor, action="claim", detail={})
            session.commit()

    def change_claimed(
        self,
        item_id: str,
        actor: str,
        *,
        action: str,
        values: dict[str, Any],
        detail: dict[str, Any],
        explanation: str | None = None,
        note: str | None = None,
        any_assignee: bool = False,
    ) -> None:
        """Change an item ``actor`` holds (any holder's, with ``any_assignee``), atomically, with history."""
        now = utcnow()
        conditions: list[ColumnElement[bool]] = [ReviewItem.id == item_id[:64], ReviewItem.state == "claimed"]
        if not any_assignee:
            conditions.append(ReviewItem.assignee == actor)
        values = {**values, "updated_at": now}
        if explanation is not None:
            values["explanation_sealed"] = self._seal(explanation)
        note_sealed = self._seal(note)
        with self._sessions() as session:
            if self._update_items(session, *conditions, **values) != 1:
                session.rollback()
                raise self._explain_refusal(session, item_id, "claimed", actor)
            self._add_history(
                session, item_id, at=now, actor=actor, action=action, detail=detail, note_sealed=note_sealed
            )
            session.commit()

    def comment(self, item_id: str, actor: str, note: str) -> None:
        """Add a comment (sealed) to an item's history, whatever its state."""
        note_sealed = self._seal(note)
        with self._sessions() as session:
            if session.get(ReviewItem, item_id[:64]) is None:
                raise NotFoundError("review item", item_id)
            self._add_history(
                session,
                item_id,
                at=utcnow(),
                actor=actor,
                action="comment",
                detail={},
                note_sealed=note_sealed,
            )
            session.commit()

    def purge_expired(self, now: datetime | None = None) -> int:
        """Drop the sealed text of items past their retention time; returns how many lost it."""
        with self._sessions() as session:
            purged = self._update_items(
                session,
                ReviewItem.expires_at < (now or utcnow()),
                ReviewItem.text_sealed.is_not(None),
                text_sealed=None,
            )
            session.commit()
            return purged

    # -- the audit trail, read -------------------------------------------------------------

    def decision(self, request_id: str) -> DecisionRecord | None:
        """The audited decision with this request id, or None."""
        with self._sessions() as session:
            row = session.scalars(select(AuditRow).where(AuditRow.request_id == request_id[:64])).first()
            return None if row is None else record_of(DecisionRecord, row, findings=list(row.findings))

    def decision_caller(self, request_id: str) -> tuple[bool, str | None]:
        """Whether the audit trail holds a decision with this request id, and the API key it was
        made for (one indexed read of one column: what a piece of feedback is checked against)."""
        with self._sessions() as session:
            found = session.execute(
                select(AuditRow.caller_key_id).where(AuditRow.request_id == request_id[:64])
            ).first()
        return (False, None) if found is None else (True, found[0])

    # -- appeals -----------------------------------------------------------------------------

    def add_appeal(
        self, *, request_id: str, item_id: str, user_hash: str | None, reason: str, caller: str
    ) -> str:
        """Store an appeal for the item it opened; returns its id."""
        entry = NewAppeal(new_id(), request_id, item_id, user_hash, reason, caller, utcnow())
        self.write([entry])
        return entry.id

    def get_appeal(self, appeal_id: str) -> AppealRecord:
        """The appeal with this id; :class:`NotFoundError` if none."""
        with self._sessions() as session:
            row = session.get(Appeal, appeal_id[:64])
            if row is None:
                raise NotFoundError("appeal", appeal_id)
            return record_of(AppealRecord, row)

    def appeals_page(
        self, *, states: Sequence[str] = (), after: str | None = None, limit: int = 100
    ) -> Page[AppealEntry]:
        """Appeals newest first, each with the review item it opened (no text), optionally only
        those whose item is in one of ``states``; ``after`` is the cursor a previous page ended with."""
        query = select(Appeal, ReviewItem).join(ReviewItem, ReviewItem.id == Appeal.item_id)
        if states:
            query = query.where(ReviewItem.state.in_(list(states)))
        with self._sessions() as session:
            found = keyset_page(
                session, query, Appeal, Appeal.created_at, after=after, limit=limit, descending=True
            )
            entries = [
                AppealEntry(record_of(AppealRecord, appeal), self._record(item, full=False, session=session))
                for appeal, item in found.items
            ]
        return Page(entries, found.next)

    # -- feedback ----------------------------------------------------------------------------

    def add_feedback(
        self,
        *,
        request_id: str,
        rating: int,
        category: str | None,
        text: str | None,
        user_hash: str | None,
        caller: str,
    ) -> str:
        """Store one piece of feedback (its text sealed); returns its id."""
        entry = FeedbackRecord(new_id(), request_id, rating, category, text, user_hash, caller, utcnow())
        self.write([entry])
        return entry.id

    def list_feedback(
        self, *, request_id: str | None = None, since: datetime | None = None, limit: int = 100
    ) -> list[FeedbackRecord]:
        """Feedback, newest first (the first page of :meth:`feedback_page`)."""
        return self.feedback_page(request_id=request_id, since=since, limit=limit).items

    def feedback_page(
        self,
        *,
        request_id: str | None = None,
        since: datetime | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> Page[FeedbackRecord]:
        """Feedback newest first, optionally about one request or since a time; ``after`` is the
        cursor a previous page ended with."""
        query = select(Feedback)
        if request_id is not None:
            query = query.where(Feedback.request_id == request_id)
        if since is not None:
            query = query.where(Feedback.created_at >= since)
        with self._sessions() as session:
            found = keyset_page(
                session, query, Feedback, Feedback.created_at, after=after, limit=limit, descending=True
            )
            records = [record_of(FeedbackRecord, r, text=self._unseal(r.text_sealed)) for r in found.items]
        return Page(records, found.next)
