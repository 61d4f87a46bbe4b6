"""Consistent, reversible pseudonyms: ``{NAME_1}`` stays Alice across a whole conversation.

The mapping lives in a :class:`PseudonymVault`. The server keeps nothing: it hands the
vault back to the caller sealed (encrypted and authenticated with a key only the caller
holds, Fernet: AES-128-CBC + HMAC-SHA256), and the caller sends it with the next turn.
Whoever holds the key can open the vault and :meth:`PseudonymVault.restore` the originals
in a model's answer; nobody else can read or forge it.

The caller's key is usually a passphrase, so the encryption key is derived from it with
scrypt (memory-hard: each guess costs about 32 MiB and tens of milliseconds) and a random
salt of its own per sealed vault. The token records what opening it needs::

    sv2.<log2 n>.<r>.<p>.<salt>.<key check>.<Fernet token>

The key check (an HMAC under the derived key) tells a wrong key apart from an altered
vault. Parameters are bounded when a token is opened (a token is user input: a huge ``n``
would be a memory bomb). Tokens sealed by earlier Steward versions (a bare Fernet token
keyed by ``sha256(key)``, no salt) are still opened, and sealed again in the new format.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import re

from cryptography.exceptions import InvalidKey
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from steward.anonymize.base import Operator
from steward.assessment import Finding
from steward.errors import InputError

__all__ = ["PseudonymOperator", "PseudonymVault"]

_TAG = re.compile(r"\{([A-Z][A-Z0-9_]*?)_(\d+)\}")
#: A vault with more entries than this is refused when opened (a sealed vault is user input).
VAULT_MAX_ENTRIES = 10_000
#: The sealed format written now (see the module docstring).
_FORMAT = "sv2"
#: scrypt cost when sealing: n = 2**15, r = 8, p = 1 (32 MiB, as OWASP's password guidance).
_LOG2_N, _R, _P = 15, 8, 1
#: What an opened token may ask for: twice the cost of today's, not a memory bomb (at most 64 MiB).
_LOG2_N_RANGE, _R_RANGE, _P_RANGE = range(14, 17), range(1, 9), range(1, 5)
_SALT_BYTES = 16
_CHECK_LABEL = b"steward vault key check"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _secret(key: str | bytes) -> bytes:
    raw = key.encode("utf-8") if isinstance(key, str) else key
    if not raw:
        raise InputError("the vault key is empty", field="vault_key")
    return raw


def _derive(key: str | bytes, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    """The 32-byte encryption key for ``key`` (a passphrase or a generated key) and ``salt``."""
    return Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p).derive(_secret(key))


def _key_check(derived: bytes) -> str:
    return _b64(hmac.new(derived, _CHECK_LABEL, hashlib.sha256).digest()[:12])


def _legacy_fernet(key: str | bytes) -> Fernet:
    """The unsalted ``sha256(key)`` of tokens sealed before scrypt (read only, never written)."""
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(_secret(key)).digest()))


def _not_a_vault() -> InputError:
    return InputError("is not a vault Steward sealed", field="vault")


def _decrypt(token: str, key: str | bytes) -> bytes:
    """The payload of a sealed vault; :class:`InputError` saying whether the key or the vault is wrong."""
    if not token.startswith(_FORMAT + "."):
        try:  # a token from before scrypt
            return _legacy_fernet(key).decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError, ValueError):
            raise InputError("cannot be opened with this key, or was altered", field="vault") from None
    parts = token.split(".")
    if len(parts) != 7:
        raise _not_a_vault()
    try:
        log2_n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = _unb64(parts[4])
    except (ValueError, binascii.Error):
        raise _not_a_vault() from None
    if len(salt) != _SALT_BYTES:
        raise _not_a_vault()
    if log2_n not in _LOG2_N_RANGE or r not in _R_RANGE or p not in _P_RANGE:
        raise InputError("asks for key-derivation parameters out of range", field="vault")
    try:
        derived = _derive(key, salt, log2_n, r, p)
    except (InvalidKey, ValueError, MemoryError):
        raise InputError(
            "asks for key-derivation parameters this machine cannot use", field="vault"
        ) from None
    if not hmac.compare_digest(_key_check(derived), parts[5]):
        raise InputError("the vault key is wrong (this vault was sealed with another key)", field="vault_key")
    try:
        return Fernet(base64.urlsafe_b64encode(derived)).decrypt(parts[6].encode("ascii"))
    except (InvalidToken, UnicodeEncodeError, ValueError):
        raise InputError(
            "was altered after it was sealed (its contents fail authentication)", field="vault"
        ) from None


class PseudonymVault:
    """The mapping between original values and their pseudonyms, per entity type."""

    def __init__(self) -> None:
        self._by_value: dict[tuple[str, str], str] = {}
        self._by_tag: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._by_tag)

    def pseudonym(self, entity_type: str, value: str) -> str:
        """The pseudonym for ``value``; the same value of the same type always gets the same one."""
        key = (entity_type, " ".join(value.split()).casefold())
        tag = self._by_value.get(key)
        if tag is None:
            n = self._counts.get(entity_type, 0) + 1
            self._counts[entity_type] = n
            tag = "{" + f"{entity_type}_{n}" + "}"
            self._by_value[key] = tag
            self._by_tag[tag] = value
        return tag

    def restore(self, text: str) -> str:
        """Put the original values back in place of every pseudonym this vault issued."""
        return _TAG.sub(lambda m: self._by_tag.get(m.group(0), m.group(0)), text)

    def seal(self, key: str | bytes) -> str:
        """Encrypt the vault with ``key`` into a token the caller keeps for the next turn."""
        payload = json.dumps([[tag, value] for tag, value in self._by_tag.items()], ensure_ascii=False)
        salt = os.urandom(_SALT_BYTES)
        derived = _derive(key, salt, _LOG2_N, _R, _P)
        sealed = Fernet(base64.urlsafe_b64encode(derived)).encrypt(payload.encode("utf-8")).decode("ascii")
        return ".".join((_FORMAT, str(_LOG2_N), str(_R), str(_P), _b64(salt), _key_check(derived), sealed))

    @classmethod
    def open(cls, token: str, key: str | bytes, *, max_entries: int = VAULT_MAX_ENTRIES) -> PseudonymVault:
        """Decrypt a sealed vault; a wrong key or a tampered token is an :class:`InputError` saying which.

        ``max_entries`` is raised for a data set's vault (``steward scrub``); a conversation's
        vault, sent with every request, keeps the default.
        """
        if not isinstance(token, str):
            raise _not_a_vault()
        payload = _decrypt(token, key)
        try:
            entries = json.loads(payload)
        except ValueError:
            raise _not_a_vault() from None
        if not isinstance(entries, list) or len(entries) > max_entries:
            raise _not_a_vault()
        vault = cls()
        for entry in entries:
            if not (isinstance(entry, list) and len(entry) == 2 and all(isinstance(x, str) for x in entry)):
                raise _not_a_vault()
            tag, value = entry
            m = _TAG.fullmatch(tag)
            if m is None:
                raise _not_a_vault()
            entity_type, n = m.group(1), int(m.group(2))
            vault._by_tag[tag] = value
            vault._by_value[(entity_type, " ".join(value.split()).casefold())] = tag
            vault._counts[entity_type] = max(vault._counts.get(entity_type, 0), n)
        return vault


class PseudonymOperator(Operator):
    """``{TYPE_n}``, numbered per type and consistent through one vault."""

    def __init__(self, vault: PseudonymVault) -> None:
        self.vault = vault

    def replacement(self, finding: Finding) -> str:
        return self.vault.pseudonym(finding.type, finding.match)
