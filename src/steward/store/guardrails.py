"""Guardrails, their immutable versions and their aliases, as one repository.

Every method opens its own short transaction, so the server and the CLI can share it
and several processes can share one database. Version numbers are assigned as the
highest existing number plus one; if two processes race, the primary key refuses the
loser, which is told to retry (:class:`ConflictError`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from steward.errors import ConflictError, InputError, NotFoundError
from steward.policy import Policy
from steward.store.idents import check_alias, check_guardrail_id
from steward.store.models.core import Guardrail, GuardrailAlias, GuardrailVersion, as_utc, utcnow
from steward.store.paging import Page, cursor_value, keyset_page
from steward.store.records import record_of

__all__ = [
    "DRAFT",
    "LATEST",
    "AliasInfo",
    "GuardrailInfo",
    "GuardrailStore",
    "ResolvedRef",
    "VersionInfo",
    "policy_diff",
]

DRAFT = "DRAFT"
#: A reference to the highest version number (a Steward extension, like aliases).
LATEST = "latest"
_MAX_VERSION = 99_999_999  # Bedrock's version pattern allows up to 8 digits


@dataclass(frozen=True, slots=True)
class GuardrailInfo:
    """A guardrail as the API shows it."""

    id: str
    name: str
    description: str
    draft_revision: int
    created_at: datetime
    updated_at: datetime
    policy: dict[str, Any]

    def to_dict(self, *, with_policy: bool = True) -> dict[str, Any]:
        """A JSON-ready form."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "draftRevision": self.draft_revision,
            "createdAt": as_utc(self.created_at).isoformat(),
            "updatedAt": as_utc(self.updated_at).isoformat(),
        }
        if with_policy:
            out["policy"] = self.policy
        return out


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """One frozen version."""

    guardrail_id: str
    version: int
    description: str
    created_at: datetime
    created_by: str | None
    policy: dict[str, Any]

    def to_dict(self, *, with_policy: bool = True) -> dict[str, Any]:
        """A JSON-ready form."""
        out: dict[str, Any] = {
            "guardrailId": self.guardrail_id,
            "version": str(self.version),
            "description": self.description,
            "createdAt": as_utc(self.created_at).isoformat(),
            "createdBy": self.created_by,
        }
        if with_policy:
            out["policy"] = self.policy
        return out


@dataclass(frozen=True, slots=True)
class AliasInfo:
    """An alias and the version it points to."""

    guardrail_id: str
    name: str
    version: int
    updated_at: datetime
    updated_by: str | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "guardrailId": self.guardrail_id,
            "name": self.name,
            "version": str(self.version),
            "updatedAt": as_utc(self.updated_at).isoformat(),
            "updatedBy": self.updated_by,
        }


@dataclass(frozen=True, slots=True)
class ResolvedRef:
    """What a version reference (a number, ``DRAFT`` or an alias) points to right now.

    ``version`` is ``"DRAFT"`` or the version number as text; ``revision`` is the DRAFT's
    edit counter (0 for numbered versions, which never change); ``created`` is when the
    guardrail (for DRAFT) or the version was created. Together they identify the exact
    policy, even across a guardrail deleted and re-created under the same id.
    """

    guardrail_id: str
    version: str
    revision: int
    created: datetime | None = None


def _info(row: Guardrail) -> GuardrailInfo:
    return record_of(GuardrailInfo, row, policy=row.draft_policy)


def _version_info(row: GuardrailVersion) -> VersionInfo:
    return record_of(VersionInfo, row)


def _alias_info(row: GuardrailAlias) -> AliasInfo:
    return record_of(AliasInfo, row)


def parse_version_number(ref: str, *, field: str = "guardrailVersion") -> int | None:
    """The number in ``ref`` if it is a version number (``"3"``), else None."""
    if not ref.isdigit() or not ref.isascii():
        return None
    number = int(ref)
    if number < 1 or number > _MAX_VERSION:
        raise InputError(f"version numbers run from 1 to {_MAX_VERSION}", field=field)
    return number


def _text_field(value: str, *, field: str, limit: int) -> str:
    if len(value) > limit:
        raise InputError(f"is {len(value)} characters, over the limit of {limit}", field=field)
    return value


class GuardrailStore:
    """Create, edit, version, alias and resolve guardrails."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    # -- guardrails ---------------------------------------------------------------------

    def create(
        self, guardrail_id: str, policy: Policy, *, name: str = "", description: str = ""
    ) -> GuardrailInfo:
        """Create a guardrail whose DRAFT holds ``policy``; :class:`ConflictError` if the id exists."""
        check_guardrail_id(guardrail_id, field="id")
        now = utcnow()
        row = Guardrail(
            id=guardrail_id,
            name=_text_field(name or guardrail_id, field="name", limit=100),
            description=_text_field(description, field="description", limit=200),
            draft_policy=policy.to_dict(),
            draft_revision=1,
            created_at=now,
            updated_at=now,
        )
        with self._sessions() as session:
            if session.get(Guardrail, guardrail_id) is not None:
                raise ConflictError(f"guardrail {guardrail_id!r} already exists")
            session.add(row)
            try:
                session.commit()
            except IntegrityError:
                raise ConflictError(f"guardrail {guardrail_id!r} already exists") from None
            return _info(row)

    def get(self, guardrail_id: str) -> GuardrailInfo:
        """The guardrail and its DRAFT policy; :class:`NotFoundError` if there is none."""
        with self._sessions() as session:
            row = session.get(Guardrail, guardrail_id)
            if row is None:
                raise NotFoundError("guardrail", guardrail_id)
            return _info(row)

    def list_all(self) -> list[GuardrailInfo]:
        """Every guardrail, by id."""
        with self._sessions() as session:
            return [_info(r) for r in session.scalars(select(Guardrail).order_by(Guardrail.id))]

    def page(self, *, after: str | None = None, limit: int = 100) -> Page[GuardrailInfo]:
        """Guardrails by id, from after the guardrail ``after`` (the cursor a previous page ended with)."""
        with self._sessions() as session:
            found = keyset_page(session, select(Guardrail), Guardrail, Guardrail.id, after=after, limit=limit)
            return Page([_info(r) for r in found.items], found.next)

    def update(
        self,
        guardrail_id: str,
        *,
        policy: Policy | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> GuardrailInfo:
        """Edit the DRAFT (and the name or description); bumps the DRAFT revision."""
        with self._sessions() as session:
            row = session.get(Guardrail, guardrail_id, with_for_update=True)
            if row is None:
                raise NotFoundError("guardrail", guardrail_id)
            if policy is not None:
                row.draft_policy = policy.to_dict()
            if name is not None:
                row.name = _text_field(name, field="name", limit=100)
            if description is not None:
                row.description = _text_field(description, field="description", limit=200)
            row.draft_revision = row.draft_revision + 1
            row.updated_at = utcnow()
            session.commit()
            return _info(row)

    def delete(self, guardrail_id: str) -> None:
        """Delete the guardrail with its versions and aliases (audit records stay)."""
        with self._sessions() as session:
            session.execute(delete(GuardrailAlias).where(GuardrailAlias.guardrail_id == guardrail_id))
            session.execute(delete(GuardrailVersion).where(GuardrailVersion.guardrail_id == guardrail_id))
            deleted = session.execute(delete(Guardrail).where(Guardrail.id == guardrail_id)).rowcount  # type: ignore[attr-defined]
            if not deleted:
                session.rollback()
                raise NotFoundError("guardrail", guardrail_id)
            session.commit()

    # -- versions -----------------------------------------------------------------------

    def create_version(
        self, guardrail_id: str, *, description: str = "", created_by: str | None = None
    ) -> VersionInfo:
        """Freeze the current DRAFT as the next version number."""
        _text_field(description, field="description", limit=200)
        with self._sessions() as session:
            row = session.get(Guardrail, guardrail_id, with_for_update=True)
            if row is None:
                raise NotFoundError("guardrail", guardrail_id)
            highest = session.scalar(
                select(func.max(GuardrailVersion.version)).where(
                    GuardrailVersion.guardrail_id == guardrail_id
                )
            )
            number = (highest or 0) + 1
            if number > _MAX_VERSION:
                raise ConflictError(f"guardrail {guardrail_id!r} has reached the last version number")
            version = GuardrailVersion(
                guardrail_id=guardrail_id,
                version=number,
                description=description,
                policy=row.draft_policy,
                created_at=utcnow(),
                created_by=created_by,
            )
            session.add(version)
            try:
                session.commit()
            except IntegrityError:
                raise ConflictError(
                    f"another process created a version of {guardrail_id!r} at the same time; retry"
                ) from None
            return _version_info(version)

    def list_versions(self, guardrail_id: str) -> list[VersionInfo]:
        """Every version of a guardrail, oldest first."""
        self.get(guardrail_id)
        with self._sessions() as session:
            rows = session.scalars(
                select(GuardrailVersion)
                .where(GuardrailVersion.guardrail_id == guardrail_id)
                .order_by(GuardrailVersion.version)
            )
            return [_version_info(r) for r in rows]

    def versions_page(
        self, guardrail_id: str, *, after: str | None = None, limit: int = 100, descending: bool = False
    ) -> Page[VersionInfo]:
        """A guardrail's versions, oldest first (newest first with ``descending``, as the console
        shows them), from after the version number ``after``."""
        self.get(guardrail_id)
        number = GuardrailVersion.version
        query = select(GuardrailVersion).where(GuardrailVersion.guardrail_id == guardrail_id)
        with self._sessions() as session:
            key = None if after is None else (guardrail_id, cursor_value(after, number))
            found = keyset_page(
                session,
                query,
                GuardrailVersion,
                number,
                after=after,
                limit=limit,
                key=key,
                unique=number,
                descending=descending,
            )
            return Page([_version_info(r) for r in found.items], found.next)

    def get_version(self, guardrail_id: str, version: int) -> VersionInfo:
        """One frozen version; :class:`NotFoundError` if it does not exist."""
        with self._sessions() as session:
            row = session.get(GuardrailVersion, (guardrail_id, version))
            if row is None:
                self.get(guardrail_id)
                raise NotFoundError("version", f"{guardrail_id}:{version}")
            return _version_info(row)

    def policy_at(self, guardrail_id: str, ref: str) -> tuple[ResolvedRef, dict[str, Any]]:
        """The policy document a version reference points to, with the resolved reference."""
        resolved = self.resolve(guardrail_id, ref)
        if resolved.version == DRAFT:
            info = self.get(guardrail_id)
            return ResolvedRef(guardrail_id, DRAFT, info.draft_revision, info.created_at), info.policy
        return resolved, self.get_version(guardrail_id, int(resolved.version)).policy

    # -- aliases ------------------------------------------------------------------------

    def set_alias(
        self, guardrail_id: str, name: str, version: int, *, updated_by: str | None = None
    ) -> AliasInfo:
        """Point alias ``name`` at ``version`` (creating the alias if needed)."""
        check_alias(name, field="name")
        self.get_version(guardrail_id, version)
        with self._sessions() as session:
            row = session.get(GuardrailAlias, (guardrail_id, name), with_for_update=True)
            if row is None:
                row = GuardrailAlias(guardrail_id=guardrail_id, name=name)
                session.add(row)
            row.version = version
            row.updated_at = utcnow()
            row.updated_by = updated_by
            try:
                session.commit()
            except IntegrityError:
                raise ConflictError(
                    f"alias {name!r} was changed by another process at the same time; retry"
                ) from None
            return _alias_info(row)

    def list_aliases(self, guardrail_id: str) -> list[AliasInfo]:
        """The guardrail's aliases, by name."""
        self.get(guardrail_id)
        with self._sessions() as session:
            rows = session.scalars(
                select(GuardrailAlias)
                .where(GuardrailAlias.guardrail_id == guardrail_id)
                .order_by(GuardrailAlias.name)
            )
            return [_alias_info(r) for r in rows]

    def delete_alias(self, guardrail_id: str, name: str) -> None:
        """Remove an alias; :class:`NotFoundError` if it does not exist."""
        with self._sessions() as session:
            gone = session.execute(
                delete(GuardrailAlias).where(
                    GuardrailAlias.guardrail_id == guardrail_id, GuardrailAlias.name == name
                )
            ).rowcount  # type: ignore[attr-defined]
            if not gone:
                session.rollback()
                raise NotFoundError("alias", f"{guardrail_id}:{name}")
            session.commit()

    # -- resolution ---------------------------------------------------------------------

    def resolve(self, guardrail_id: str, ref: str) -> ResolvedRef:
        """Resolve ``ref`` (a version number, ``DRAFT``, ``latest`` or an alias) for ``guardrail_id``.

        One indexed query per call; raises :class:`NotFoundError` naming what is missing.
        """
        with self._sessions() as session:
            if ref.upper() == DRAFT:
                draft = session.execute(
                    select(Guardrail.draft_revision, Guardrail.created_at).where(Guardrail.id == guardrail_id)
                ).first()
                if draft is None:
                    raise NotFoundError("guardrail", guardrail_id)
                return ResolvedRef(guardrail_id, DRAFT, draft[0], draft[1])
            number = parse_version_number(ref)
            versions = select(GuardrailVersion.version, GuardrailVersion.created_at).where(
                GuardrailVersion.guardrail_id == guardrail_id
            )
            if ref == LATEST:
                found = session.execute(versions.order_by(GuardrailVersion.version.desc()).limit(1)).first()
            elif number is not None:
                found = session.execute(versions.where(GuardrailVersion.version == number)).first()
            else:
                check_alias(ref, field="guardrailVersion")
                found = session.execute(
                    versions.join(
                        GuardrailAlias,
                        (GuardrailAlias.guardrail_id == GuardrailVersion.guardrail_id)
                        & (GuardrailAlias.version == GuardrailVersion.version),
                    ).where(GuardrailAlias.name == ref)
                ).first()
            if found is None:
                if session.get(Guardrail, guardrail_id) is None:
                    raise NotFoundError("guardrail", guardrail_id)
                kind = "version" if number is not None or ref == LATEST else "alias"
                raise NotFoundError(kind, f"{guardrail_id}:{ref}")
            return ResolvedRef(guardrail_id, str(found[0]), 0, found[1])


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaf values by field path (``content_filters[HATE].input_strength``)."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, sub in value.items():
            out.update(_flatten(sub, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, sub in enumerate(value):
            label = next((str(sub[k]) for k in ("category", "type", "name") if k in sub), str(i))
            out.update(_flatten(sub, f"{prefix}[{label}]"))
    else:
        out[prefix] = value
    return out


def policy_diff(
    old: dict[str, Any], new: dict[str, Any], *, old_label: str, new_label: str
) -> dict[str, Any]:
    """A readable comparison of two policy documents.

    ``changes`` lists each changed field (``added``/``removed``/``changed`` with old and new
    values); ``unified`` is a unified diff of the two policies as YAML.
    """
    a, b = _flatten(old), _flatten(new)
    changes: list[dict[str, Any]] = []
    for path in sorted(a.keys() | b.keys()):
        if path not in b:
            changes.append({"field": path, "change": "removed", "old": a[path]})
        elif path not in a:
            changes.append({"field": path, "change": "added", "new": b[path]})
        elif a[path] != b[path]:
            changes.append({"field": path, "change": "changed", "old": a[path], "new": b[path]})
    unified = "".join(
        difflib.unified_diff(
            yaml.safe_dump(old, sort_keys=False, allow_unicode=True).splitlines(keepends=True),
            yaml.safe_dump(new, sort_keys=False, allow_unicode=True).splitlines(keepends=True),
            fromfile=old_label,
            tofile=new_label,
        )
    )
    return {"from": old_label, "to": new_label, "changes": changes, "unified": unified}
