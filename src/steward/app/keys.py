"""API-key use cases shared by ``steward keys``, ``/v1/keys`` and the console.

A key's secret is returned once, at creation, and never stored in the clear. Revoking
takes effect at once in the process that revoked it; the server also forgets its cached
verification (an HTTP-only concern, see :class:`steward.server.auth.Authenticator`).
"""

from __future__ import annotations

from steward.app.context import App
from steward.errors import StorageError
from steward.store.envelope import RewrapReport, rotate_master
from steward.store.keys import KeyInfo, NewKey, Role

__all__ = ["Role", "create", "revoke", "rotate"]


def create(app: App, role: Role, *, name: str = "", same_key: bool = False) -> NewKey:
    """A new key of ``role``; with ``same_key``, refused unless this process has the database's server key.

    The CLI asks for ``same_key``: a secret sealed under another key would be useless to the server.
    """
    if same_key:
        app.require_same_key()
    return app.keys.create(role, name=name)


def revoke(app: App, key_id: str) -> KeyInfo:
    """Revoke a key (other processes notice within ``STEWARD_KEY_CACHE_TTL_S``)."""
    return app.keys.revoke(key_id)


def rotate(app: App, *, new: bool = False, retire: bool = False) -> tuple[RewrapReport, list[str]]:
    """Re-wrap every data key under the current master key; see :func:`steward.store.envelope.rotate_master`."""
    envelope = app.keys.sealer.envelope
    if envelope is None:
        raise StorageError("this database's stores were opened without envelope encryption")
    return rotate_master(app.sessions, envelope.provider, new=new, retire=retire)
