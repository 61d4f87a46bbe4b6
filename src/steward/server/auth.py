"""Who is calling: API keys presented as a bearer token or an AWS SigV4 signature, and roles.

* ``Authorization: Bearer <id>.<secret>`` — checked against a slow scrypt hash once per
  process, then remembered (by a SHA-256 of the token) so later requests cost microseconds.
  The memory is an LRU (:class:`steward.cache.LruCache`): a flood of new tokens evicts the
  least recently used ones, never every verified token at once.
* ``Authorization: AWS4-HMAC-SHA256 Credential=<id>/...`` — what boto3 sends when the key
  id and secret are used as AWS credentials; verified with the key's secret (see
  :mod:`steward.store.sealing` for why the secret is kept encrypted).

Key records are cached per process for ``key_cache_ttl_s`` seconds: a key revoked through
another process stops working within that time (at once in the process that revoked it).
Routes declare what they need with ``Depends(require_role(Role.APP))``; ``admin`` may do
everything.

A request whose answer is in memory (token verified, key record cached, secret unsealed) is
authenticated on the event loop: a thread hop would cost more than the check. Anything else —
the scrypt check (tens of milliseconds, seconds on a loaded machine), the key record's
database read, unsealing the secret — runs in a worker thread
(:class:`steward.server.offload.Coalescer`): on the event loop it stalled every other request
of the process meanwhile. Concurrent first requests with one token share one check (and its
refusal, if the secret is wrong), so a burst of them costs one scrypt run, not one each.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial

from fastapi import Request

from steward.cache import LruCache
from steward.errors import AuthError, PermissionDeniedError
from steward.server import sigv4
from steward.server.offload import Coalescer
from steward.server.sigv4 import SigV4Credential
from steward.store.keys import ApiKeyStore, Role, StoredKey, verify_secret

__all__ = ["Authenticator", "Caller", "Role", "require_role"]

_MAX_REMEMBERED = 10_000


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller: the API key id and its role."""

    key_id: str
    role: Role


@dataclass(slots=True)
class _Entry:
    key: StoredKey | None
    secret: str | None = None


class Authenticator:
    """Turns an Authorization header into a :class:`Caller`, or raises :class:`AuthError`."""

    def __init__(
        self, keys: ApiKeyStore, *, ttl_s: float = 5.0, max_remembered: int = _MAX_REMEMBERED
    ) -> None:
        self._keys = keys
        #: Key records by id, fetched again after ``ttl_s`` (a revocation elsewhere is seen then).
        self._entries: LruCache[str, _Entry] = LruCache(max_remembered, ttl_s=ttl_s)
        #: SHA-256 of a bearer token whose scrypt check passed -> its key id.
        self._verified: LruCache[bytes, str] = LruCache(max_remembered)
        #: The slow checks running now, by what they check: concurrent requests share one.
        self._cold = Coalescer()

    def forget(self, key_id: str) -> None:
        """Drop what this process remembers about a key (after revoking it)."""
        self._entries.pop(key_id)

    def _entry(self, key_id: str) -> _Entry:
        entry = self._entries.get(key_id)
        if entry is None:
            if len(key_id) > 64:
                raise AuthError("the API key id is not recognised")
            entry = _Entry(self._keys.lookup(key_id))
            self._entries.put(key_id, entry)
        return entry

    @staticmethod
    def _usable(key_id: str, entry: _Entry) -> StoredKey:
        if entry.key is None:
            raise AuthError("the API key id is not recognised")
        if entry.key.revoked:
            raise AuthError(f"the API key {key_id} has been revoked")
        return entry.key

    def bearer(self, token: str) -> Caller:
        """Check ``<id>.<secret>`` (may read the database and run scrypt: blocking)."""
        key_id, secret = _token_parts(token)
        key = self._usable(key_id, self._entry(key_id))
        digest = _digest(token)
        if self._verified.get(digest) != key_id:
            if not verify_secret(secret, key.secret_hash):
                raise AuthError("the API key secret is wrong")
            self._verified.put(digest, key_id)
        return Caller(key.id, key.role)

    def _remembered_bearer(self, token: str, digest: bytes) -> Caller | None:
        """The caller of a token this process verified (``digest``: its SHA-256), from memory
        alone (no scrypt, no database); None when :meth:`bearer` must run. A key known to be
        unknown or revoked is refused here."""
        key_id, _ = _token_parts(token)
        entry = self._entries.get(key_id)
        if entry is None:
            return None
        key = self._usable(key_id, entry)
        if self._verified.get(digest) != key_id:
            return None
        return Caller(key.id, key.role)

    def _unsealed(self, key_id: str) -> _Entry:
        """The key's entry with its secret unsealed (may read the database: blocking)."""
        entry = self._entry(key_id)
        key = self._usable(key_id, entry)
        if entry.secret is None:
            entry.secret = self._keys.sealer.unseal(key.secret_sealed)
        return entry

    def _remembered_secret(self, key_id: str) -> _Entry | None:
        """The key's entry if its secret is unsealed already (no I/O); None otherwise."""
        entry = self._entries.get(key_id)
        if entry is None or entry.secret is None:
            return None
        self._usable(key_id, entry)
        return entry

    def sigv4(self, header: str, request: Request, body: bytes) -> Caller:
        """Check an AWS SigV4 signed request (may read the database: blocking)."""
        credential = sigv4.parse_authorization(header)
        return self._signed(credential, self._unsealed(credential.access_key_id), request, body)

    @staticmethod
    def _signed(credential: SigV4Credential, entry: _Entry, request: Request, body: bytes) -> Caller:
        key = entry.key
        assert key is not None and entry.secret is not None
        headers: dict[str, list[str]] = {}
        for name, value in request.headers.raw:
            headers.setdefault(name.decode("latin-1").lower(), []).append(value.decode("latin-1"))
        raw_path = request.scope.get("raw_path") or request.url.path.encode()
        sigv4.verify(
            credential,
            secret=entry.secret,
            method=request.method,
            raw_path=raw_path.decode("latin-1"),
            raw_query=request.scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
        )
        return Caller(key.id, key.role)

    async def authenticate(self, request: Request) -> Caller:
        """The caller of ``request``, from its Authorization header: from memory on the event
        loop, else in a worker thread shared by concurrent requests with the same credentials."""
        header = request.headers.get("authorization")
        if not header:
            raise AuthError(
                "missing credentials: send 'Authorization: Bearer <key id>.<secret>' or sign the request with AWS SigV4"
            )
        scheme, _, rest = header.partition(" ")
        if scheme.lower() == "bearer":
            token = rest.strip()
            digest = _digest(token)
            known = self._remembered_bearer(token, digest)
            if known is not None:
                return known
            return await self._cold.run(("bearer", digest), partial(self.bearer, token))
        if scheme == sigv4.ALGORITHM:
            body = await request.body()
            credential = sigv4.parse_authorization(header)
            key_id = credential.access_key_id
            entry = self._remembered_secret(key_id)
            if entry is None:
                entry = await self._cold.run(("sigv4", key_id), partial(self._unsealed, key_id))
            return self._signed(credential, entry, request, body)
        raise AuthError("unsupported Authorization scheme; use Bearer or AWS4-HMAC-SHA256")


def _token_parts(token: str) -> tuple[str, str]:
    key_id, dot, secret = token.partition(".")
    if not dot or not key_id or not secret:
        raise AuthError("a bearer token must be '<key id>.<secret>'")
    return key_id, secret


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("utf-8", "replace")).digest()


def require_role(*roles: Role) -> Callable[[Request], Awaitable[Caller]]:
    """A FastAPI dependency admitting keys of ``roles`` (and admin keys); returns the :class:`Caller`.

    It also applies the per-key rate limit (``STEWARD_RATE_LIMIT``), if one is set.
    """
    allowed = frozenset(roles) | {Role.ADMIN}

    async def dependency(request: Request) -> Caller:
        # The server's state, read without importing steward.server.state (which imports this module).
        state = request.app.state.steward
        caller: Caller = await state.auth.authenticate(request)
        state.limiter.check(caller.key_id)
        if caller.role not in allowed:
            raise PermissionDeniedError(
                f"the API key's role {caller.role.value!r} may not do this; "
                f"allowed: {', '.join(sorted(r.value for r in allowed))}"
            )
        request.state.caller = caller
        return caller

    return dependency
