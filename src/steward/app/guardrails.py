"""Guardrail use cases shared by ``steward guardrail``, ``/v1/guardrails`` and the console.

Each change here drops this process's cached guards of the guardrail at once (other
processes see DRAFT edits at once and alias moves within ``STEWARD_RESOLVE_TTL_S``), so no
surface can forget to. Plain reads (list, versions, aliases) are the store's own methods,
reached as ``app.guardrails``.
"""

from __future__ import annotations

from typing import Any

from steward.app.context import App
from steward.errors import InputError
from steward.policy import Policy, load_pack, parse_policy
from steward.store.guardrails import (
    DRAFT,
    AliasInfo,
    GuardrailInfo,
    VersionInfo,
    parse_version_number,
    policy_diff,
)
from steward.store.idents import GUARDRAIL_ID_RE, check_guardrail_id, guardrail_id_from_identifier

__all__ = [
    "DRAFT",
    "GUARDRAIL_ID_RE",
    "check_guardrail_id",
    "create",
    "delete",
    "delete_alias",
    "diff",
    "freeze",
    "guardrail_id_from_identifier",
    "policy_from",
    "set_alias",
    "show",
    "update",
    "version_number",
]


def policy_from(document: dict[str, Any] | None, pack: str | None) -> Policy:
    """The policy of an HTTP body: a document or a pack *name* (a caller never names a file)."""
    if document is not None and pack is not None:
        raise InputError("give either 'policy' or 'pack', not both", field="policy")
    if document is not None:
        return parse_policy(document, origin="policy")
    if pack is not None:
        return load_pack(pack)
    raise InputError("is required (or give 'pack', the name of a ready-made policy pack)", field="policy")


def version_number(value: int | str, *, field: str = "version") -> int:
    """A version number given as a number or as text (``"3"``), or an :class:`InputError` naming ``field``."""
    number = value if isinstance(value, int) else parse_version_number(value, field=field)
    if number is None or isinstance(number, bool) or number < 1:
        raise InputError("must be a version number (1, 2, ...)", field=field)
    return number


def create(
    app: App, guardrail_id: str, policy: Policy, *, name: str = "", description: str = ""
) -> GuardrailInfo:
    """A new guardrail whose DRAFT holds ``policy`` (the id is checked by the store)."""
    return app.guardrails.create(guardrail_id, policy, name=name, description=description)


def show(app: App, guardrail_id: str) -> dict[str, Any]:
    """The guardrail with its DRAFT policy, its versions (without policies) and its aliases."""
    out = app.guardrails.get(guardrail_id).to_dict()
    out["versions"] = [v.to_dict(with_policy=False) for v in app.guardrails.list_versions(guardrail_id)]
    out["aliases"] = [a.to_dict() for a in app.guardrails.list_aliases(guardrail_id)]
    return out


def update(
    app: App,
    guardrail_id: str,
    *,
    policy: Policy | None = None,
    name: str | None = None,
    description: str | None = None,
) -> GuardrailInfo:
    """Change the DRAFT's policy, name or description; numbered versions never change."""
    info = app.guardrails.update(guardrail_id, policy=policy, name=name, description=description)
    app.forget_guards(guardrail_id)
    return info


def delete(app: App, guardrail_id: str) -> None:
    """Delete the guardrail, its versions and aliases (its audit records stay)."""
    app.guardrails.delete(guardrail_id)
    app.forget_guards(guardrail_id)


def freeze(
    app: App, guardrail_id: str, *, description: str = "", created_by: str | None = None
) -> VersionInfo:
    """Freeze the DRAFT as the next immutable version number."""
    version = app.guardrails.create_version(guardrail_id, description=description, created_by=created_by)
    app.forget_guards(guardrail_id)
    return version


def set_alias(
    app: App,
    guardrail_id: str,
    name: str,
    version: int | str,
    *,
    updated_by: str | None = None,
    field: str = "version",
) -> AliasInfo:
    """Create or move an alias; pointing it back at an earlier version is the rollback."""
    alias = app.guardrails.set_alias(
        guardrail_id, name, version_number(version, field=field), updated_by=updated_by
    )
    app.forget_guards(guardrail_id)
    return alias


def delete_alias(app: App, guardrail_id: str, name: str) -> None:
    """Remove an alias (the version it pointed to stays)."""
    app.guardrails.delete_alias(guardrail_id, name)
    app.forget_guards(guardrail_id)


def diff(app: App, guardrail_id: str, from_ref: str, to_ref: str = DRAFT) -> dict[str, Any]:
    """Field-level changes and a unified YAML diff between two versions (numbers, DRAFT, latest, aliases)."""
    a_ref, a = app.guardrails.policy_at(guardrail_id, from_ref)
    b_ref, b = app.guardrails.policy_at(guardrail_id, to_ref)
    return policy_diff(
        a, b, old_label=f"{guardrail_id}:{a_ref.version}", new_label=f"{guardrail_id}:{b_ref.version}"
    )
