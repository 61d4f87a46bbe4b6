"""Envelope encryption of the raw text Steward keeps, and the master keys that protect it.

Why envelopes: encrypting each text directly with one long-lived key makes that key
impossible to rotate (every row would need re-encrypting) and impossible to expire in
parts. Here each text is encrypted with AES-256-GCM under a *data key* made per scope and
per UTC day (:class:`~steward.store.models.keys.DataKey`); the data key is stored only
wrapped (AES-GCM again) by a *master key* that never enters the database. So:

* rotating the master key re-wraps a few hundred small data keys, not every text;
* deleting a day's data key (crypto-shredding) makes every text of that day unreadable,
  in the live database and in every backup of it;
* a KMS can hold the master key: it only has to implement :class:`KeyProvider`.

A ciphertext is ``v2.<data key id>.<base64url(nonce || ciphertext+tag)>``; the data key id
is bound as associated data, so a ciphertext moved under another key fails to open.
Texts sealed before envelopes (bare Fernet tokens under the server key) stay readable
through :class:`~steward.store.sealing.Sealer`.

Master keys come from ``STEWARD_MASTER_KEY`` (comma-separated, base64 of 32 bytes each,
the first wraps new data keys, the others are only read), else the file
``<data dir>/master.key`` (one key a line, the first current, mode 0600), else a key
derived from the server key (so a fresh install needs no second secret, and every process
that shares the server key, as it must, shares the master key too). ``steward keys
rotate-master --new`` writes the file, keeping the previous key readable. A data key wrapped by a master key this process lacks makes it re-read the
file once, so a rotation started by ``steward keys rotate-master`` on another process is
picked up without a restart.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import secrets
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from steward.cache import LruCache
from steward.errors import ShreddedError, StorageError
from steward.settings import Settings
from steward.store.files import private_dir
from steward.store.models.core import utcnow
from steward.store.models.keys import SCOPE_MAX, DataKey

__all__ = [
    "ENV_MASTER_KEY",
    "KINDS",
    "PREFIX",
    "Envelope",
    "KeyProvider",
    "LocalKeyProvider",
    "RewrapReport",
    "derive_master_key",
    "generate_master_key",
    "master_key_id",
    "masters_in_use",
    "rewrap",
    "rotate_master",
    "scope_of",
    "scopes",
    "shred",
]

#: The kinds of kept text, each with its own data keys and retention.
KINDS = ("audit", "review", "feedback")

ENV_MASTER_KEY = "STEWARD_MASTER_KEY"
MASTER_FILE = "master.key"
#: The version tag of envelope ciphertexts.
PREFIX = "v2"
_NONCE = 12
_WRAP_LABEL = b"steward data key v1|"
#: How long an unwrapped data key stays in memory (so a shred elsewhere takes effect soon).
_CACHE_S = 300.0
#: Unwrapped data keys (and (scope, day) -> key id entries) kept per process, least recently used
#: dropped: a process that reads years of audit text back does not hold every day's key.
_CACHE_KEYS = 4096
#: Longest ciphertext :meth:`Envelope.decrypt` accepts (a sealed text is stored input).
_TOKEN_MAX = 8 * 1024 * 1024
#: Data keys re-wrapped per transaction during a rotation.
_CHUNK = 200


@runtime_checkable
class KeyProvider(Protocol):
    """Wraps and unwraps data keys with a master key that Steward never stores.

    A KMS implements the same three members: ``key_id`` names the key that :meth:`wrap`
    uses now; :meth:`unwrap` takes the id recorded beside each wrapped key.
    """

    @property
    def key_id(self) -> str:
        """The id of the master key new data keys are wrapped with."""
        ...

    def wrap(self, data_key: bytes) -> bytes:
        """``data_key`` encrypted under the current master key (:attr:`key_id`)."""
        ...

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        """The data key back; :class:`StorageError` naming the key if it cannot be opened."""
        ...


def generate_master_key() -> str:
    """A new master key as text (base64 of 32 random bytes)."""
    return base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def derive_master_key(server_key: bytes) -> bytes:
    """The default master key: derived one-way from the server key (until a rotation writes a file)."""
    return hmac.new(server_key, b"steward master key v1", hashlib.sha256).digest()


def master_key_id(key: bytes) -> str:
    """A one-way id of a master key (16 hex characters): safe to store and to print."""
    return hmac.new(key, b"steward master key id v1", hashlib.sha256).hexdigest()[:16]


def _parse_keys(text: str, origin: str) -> list[bytes]:
    keys: list[bytes] = []
    for number, part in enumerate(text.replace(",", "\n").splitlines(), start=1):
        part = part.strip()
        if not part or part.startswith("#"):
            continue
        try:
            raw = base64.b64decode(part, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) != 32:
            raise StorageError(
                f"master key {number} in {origin} is not base64 of 32 bytes "
                "(make one with `steward keys rotate-master --new` or `openssl rand -base64 32`)"
            )
        keys.append(raw)
    if not keys:
        raise StorageError(f"{origin} holds no master key")
    return keys


def _configured_keys() -> str | None:
    """``STEWARD_MASTER_KEY`` (None when unset), read at each load of the keys."""
    return Settings.from_env().secret("master_key")


class LocalKeyProvider:
    """Master keys from ``STEWARD_MASTER_KEY`` or ``<data dir>/master.key``; the first is current."""

    def __init__(
        self,
        data_dir: Path | None = None,
        *,
        keys: Sequence[bytes] | None = None,
        server_key: bytes | None = None,
    ) -> None:
        self._data_dir = data_dir
        self._fallback = derive_master_key(server_key) if server_key is not None else None
        self._lock = threading.Lock()
        self._stamp: int | None = None  # the key file's mtime when read
        self.origin = "the given keys"
        if keys is not None:
            if not keys or any(len(k) != 32 for k in keys):
                raise StorageError("master keys must be 32 bytes each")
            self._keys = list(keys)
        else:
            self._keys = self._load()

    # -- where the keys come from ------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        """The key file, or None when the keys come from the environment or were given."""
        if self._data_dir is None or _configured_keys():
            return None
        return private_dir(self._data_dir) / MASTER_FILE

    def _load(self) -> list[bytes]:
        explicit = _configured_keys()
        if explicit:
            self.origin = ENV_MASTER_KEY
            return _parse_keys(explicit, ENV_MASTER_KEY)
        path = self.path
        if (path is None or not path.exists()) and self._fallback is not None:
            self.origin = "the key derived from the server key"
            self._stamp = None
            return [self._fallback]
        if path is None:
            raise StorageError(f"no master key: set {ENV_MASTER_KEY} or give a data directory")
        self.origin = str(path)
        if not path.exists():
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it first; read theirs
            except OSError as exc:
                raise StorageError(f"the master key file {path} cannot be created: {exc.strerror}") from None
            else:
                with os.fdopen(fd, "w", encoding="ascii") as handle:
                    handle.write(generate_master_key() + "\n")
        try:
            self._stamp = path.stat().st_mtime_ns
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise StorageError(f"the master key file {path} cannot be read: {exc}") from None
        return _parse_keys(text, str(path))

    def reload(self) -> None:
        """Read the keys again (a rotation on another process may have added one)."""
        if self.origin == "the given keys":
            return
        keys = self._load()
        with self._lock:
            self._keys = keys

    @property
    def key_ids(self) -> list[str]:
        """Ids of every master key held, the current one first."""
        return [master_key_id(k) for k in self._keys]

    def add_new(self) -> str:
        """Make a fresh master key current in the key file (older ones stay readable); its id."""
        path = self.path
        if path is None:
            raise StorageError(
                f"the master keys come from {self.origin}: put the new key first there "
                f"(e.g. {ENV_MASTER_KEY}=NEW,OLD) and run rotate-master without --new"
            )
        new = generate_master_key()
        lines = [base64.b64encode(k).decode("ascii") for k in self._keys]
        _write_private(path, "\n".join([new, *lines]) + "\n")
        self.reload()
        return self.key_id

    def retire(self, keep: set[str]) -> list[str]:
        """Drop from the key file every old master key whose id is not in ``keep``; their ids."""
        path = self.path
        if path is None:
            raise StorageError(f"the master keys come from {self.origin}: remove old keys there yourself")
        current, *older = self._keys
        kept = [k for k in older if master_key_id(k) in keep]
        dropped = [master_key_id(k) for k in older if master_key_id(k) not in keep]
        if dropped:
            _write_private(
                path, "\n".join(base64.b64encode(k).decode("ascii") for k in [current, *kept]) + "\n"
            )
            self.reload()
        return dropped

    # -- KeyProvider -------------------------------------------------------------------------

    @property
    def key_id(self) -> str:
        """The id of the current master key."""
        return master_key_id(self._keys[0])

    def _refresh(self) -> None:
        """Re-read the key file if it changed, so new data keys use a master key rotated elsewhere."""
        path = self.path
        if path is None or self.origin == "the given keys":
            return
        try:
            changed = path.stat().st_mtime_ns != self._stamp
        except FileNotFoundError:
            changed = self._stamp is not None
        except OSError:
            return
        if changed:
            self.reload()

    def wrap(self, data_key: bytes) -> bytes:
        """``data_key`` sealed with AES-GCM under the current master key."""
        self._refresh()  # a new data key is made once per scope and day: a stat is cheap enough
        master = self._keys[0]
        nonce = secrets.token_bytes(_NONCE)
        return nonce + AESGCM(master).encrypt(nonce, data_key, _WRAP_LABEL + master_key_id(master).encode())

    def _find(self, key_id: str) -> bytes | None:
        with self._lock:
            return next((k for k in self._keys if master_key_id(k) == key_id), None)

    def unwrap(self, key_id: str, wrapped: bytes) -> bytes:
        """The data key wrapped under master key ``key_id``; a clear error if that key is not here."""
        master = self._find(key_id)
        if master is None:
            self.reload()
            master = self._find(key_id)
        if master is None:
            raise StorageError(
                f"kept text was encrypted under master key {key_id}, which {self.origin} does not hold "
                f"(it holds {', '.join(self.key_ids)}): this is the wrong master key, or an old one was "
                "retired before every data key was re-wrapped"
            )
        try:
            return AESGCM(master).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], _WRAP_LABEL + key_id.encode())
        except (InvalidTag, ValueError):
            raise StorageError(f"a data key wrapped under master key {key_id} fails authentication") from None


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with ``text``, mode 0600 from the start."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def scope_of(kind: str, guardrail_id: str | None = None) -> str:
    """The data-key scope of a ``kind`` of text (of one guardrail, when it has one)."""
    scope = f"{kind}:{guardrail_id}" if guardrail_id else kind
    return scope[:SCOPE_MAX]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _today() -> str:
    return datetime.now(UTC).date().isoformat()


class Envelope:
    """Encrypts texts under per-scope, per-day data keys stored wrapped in ``data_keys``."""

    def __init__(self, sessions: sessionmaker[Session], provider: KeyProvider) -> None:
        self._sessions = sessions
        self.provider = provider
        #: data key id -> the unwrapped key, for ``_CACHE_S`` seconds.
        self._keys: LruCache[str, bytes] = LruCache(_CACHE_KEYS, ttl_s=_CACHE_S)
        #: (scope, day) -> the id of that day's data key.
        self._current: LruCache[tuple[str, str], str] = LruCache(_CACHE_KEYS)

    # -- data keys ---------------------------------------------------------------------------

    def _cached(self, key_id: str) -> bytes | None:
        return self._keys.get(key_id)

    def _remember(self, key_id: str, key: bytes) -> None:
        self._keys.put(key_id, key)

    def forget(self) -> None:
        """Drop every unwrapped data key from memory (after a shred in this process)."""
        self._keys.clear()
        self._current.clear()

    def _key_for(self, scope: str, day: str) -> tuple[str, bytes]:
        """The data key of ``(scope, day)``, made and stored if there is none yet."""
        known = self._current.get((scope, day))
        if known is not None:
            key = self._cached(known)
            if key is not None:
                return known, key
        with self._sessions() as session:
            row = session.scalar(select(DataKey).where(DataKey.scope == scope, DataKey.day == day))
            if row is None:
                raw = AESGCM.generate_key(bit_length=256)
                row = DataKey(
                    id=uuid.uuid4().hex,
                    scope=scope,
                    day=day,
                    master_id=self.provider.key_id,
                    wrapped=_b64(self.provider.wrap(raw)),
                )
                session.add(row)
                try:
                    session.commit()
                except IntegrityError:  # another process made this day's key first
                    session.rollback()
                    row = session.scalar(select(DataKey).where(DataKey.scope == scope, DataKey.day == day))
                    if row is None:
                        raise StorageError(f"the data key of {scope} {day} cannot be stored") from None
                    raw = self._open_row(row)
            else:
                raw = self._open_row(row)
            key_id = row.id
        self._current.put((scope, day), key_id)
        self._remember(key_id, raw)
        return key_id, raw

    def _open_row(self, row: DataKey) -> bytes:
        if row.wrapped is None:
            raise ShreddedError(f"the data key of {row.scope} {row.day} was deleted (crypto-shredded)")
        return self.provider.unwrap(row.master_id, _unb64(row.wrapped))

    def _key_by_id(self, key_id: str) -> bytes:
        key = self._cached(key_id)
        if key is not None:
            return key
        with self._sessions() as session:
            row = session.get(DataKey, key_id)
            if row is None:
                raise ShreddedError("this text's data key no longer exists (crypto-shredded)")
            key = self._open_row(row)
        self._remember(key_id, key)
        return key

    # -- texts -------------------------------------------------------------------------------

    def encrypt(self, text: str, *, scope: str, day: date | None = None) -> str:
        """``text`` encrypted under the data key of ``scope`` and ``day`` (today, UTC)."""
        if not scope or len(scope) > SCOPE_MAX:
            raise StorageError(f"a data key scope must be 1 to {SCOPE_MAX} characters")
        key_id, key = self._key_for(scope, day.isoformat() if day else _today())
        nonce = secrets.token_bytes(_NONCE)
        sealed = AESGCM(key).encrypt(nonce, text.encode("utf-8"), key_id.encode())
        return f"{PREFIX}.{key_id}.{_b64(nonce + sealed)}"

    def decrypt(self, token: str) -> str:
        """The text back; :class:`ShreddedError` if its key was shredded, StorageError if damaged."""
        if len(token) > _TOKEN_MAX:
            raise StorageError(f"a sealed text is over {_TOKEN_MAX} characters")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != PREFIX or len(parts[1]) != 32:
            raise StorageError("a sealed text is not in Steward's envelope format")
        key = self._key_by_id(parts[1])
        try:
            blob = _unb64(parts[2])
            return AESGCM(key).decrypt(blob[:_NONCE], blob[_NONCE:], parts[1].encode()).decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error):
            raise StorageError("a sealed text fails authentication (it was changed after sealing)") from None


@dataclass
class RewrapReport:
    """What :func:`rewrap` did."""

    master_id: str
    rewrapped: int = 0
    already: int = 0
    shredded: int = 0
    remaining_by_master: dict[str, int] | None = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary."""
        return {
            "masterKeyId": self.master_id,
            "rewrapped": self.rewrapped,
            "alreadyCurrent": self.already,
            "shredded": self.shredded,
        }


def rewrap(sessions: sessionmaker[Session], provider: KeyProvider) -> RewrapReport:
    """Re-wrap every data key not under the current master key; safe to stop and run again.

    Each chunk is its own short transaction and each row is updated only if its
    ``master_id`` is still the one read (a conditional UPDATE), so servers keep encrypting
    and reading throughout: a key they wrap under the old master meanwhile is simply
    picked up by the next run.
    """
    current = provider.key_id
    report = RewrapReport(master_id=current)
    after = ""
    while True:
        with sessions() as session:
            rows = list(
                session.execute(
                    select(DataKey.id, DataKey.master_id, DataKey.wrapped)
                    .where(DataKey.id > after)
                    .order_by(DataKey.id)
                    .limit(_CHUNK)
                )
            )
            for key_id, master_id, wrapped in rows:
                if wrapped is None:
                    report.shredded += 1
                elif master_id == current:
                    report.already += 1
                else:
                    raw = provider.unwrap(master_id, _unb64(wrapped))
                    done = session.execute(
                        update(DataKey)
                        .where(DataKey.id == key_id, DataKey.master_id == master_id)
                        .values(master_id=current, wrapped=_b64(provider.wrap(raw)))
                    )
                    report.rewrapped += int(getattr(done, "rowcount", 0) or 0)
            session.commit()
        if len(rows) < _CHUNK:
            return report
        after = rows[-1][0]


def masters_in_use(sessions: sessionmaker[Session]) -> set[str]:
    """Ids of the master keys that still wrap at least one (unshredded) data key."""
    with sessions() as session:
        return set(session.scalars(select(DataKey.master_id).where(DataKey.wrapped.is_not(None)).distinct()))


def shred(sessions: sessionmaker[Session], *, scope: str, before: date) -> int:
    """Delete the wrapped data keys of ``scope`` for UTC days before ``before``; how many.

    Every text encrypted under them becomes unreadable for good (crypto-shredding), in the
    live database and in backups; the row stays, emptied, so a later read says "shredded"
    rather than "damaged".
    """
    with sessions() as session:
        done = session.execute(
            update(DataKey)
            .where(DataKey.scope == scope, DataKey.day < before.isoformat(), DataKey.wrapped.is_not(None))
            .values(wrapped=None, shredded_at=utcnow())
        )
        session.commit()
        return int(getattr(done, "rowcount", 0) or 0)


def scopes(sessions: sessionmaker[Session]) -> list[str]:
    """Every scope that has data keys (for retention to walk)."""
    with sessions() as session:
        return sorted(session.scalars(select(DataKey.scope).distinct()))


def rotate_master(
    sessions: sessionmaker[Session], provider: KeyProvider, *, new: bool = False, retire: bool = False
) -> tuple[RewrapReport, list[str]]:
    """``steward keys rotate-master``: optionally make a new master key current, re-wrap, retire.

    Without downtime: the old master key stays in the key file (readable) until ``retire``,
    servers re-read the file when they meet a key id they lack or make a new data key, and
    a run stopped half-way is finished by running it again. ``retire`` drops only master
    keys that no data key is wrapped under any more. Returns the report and retired ids.
    """
    if (new or retire) and not isinstance(provider, LocalKeyProvider):
        raise StorageError("--new and --retire manage the local key file; a KMS rotates its own keys")
    if new and isinstance(provider, LocalKeyProvider):
        provider.add_new()
    report = rewrap(sessions, provider)
    retired: list[str] = []
    if retire and isinstance(provider, LocalKeyProvider):
        retired = provider.retire(masters_in_use(sessions))
    return report, retired
