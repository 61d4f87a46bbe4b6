"""Consistent, reversible pseudonyms: ``{NAME_1}`` stays Alice across a whole conversation.

The mapping lives in a :class:`PseudonymVault`. The server keeps nothing: it hands the
vault back to the caller sealed (encrypted and authenticated with a key only the caller
holds, Fernet: AES-128-CBC + HMAC-SHA256), and the caller sends it with the next turn.
Whoever holds the key can open the vault and :meth:`PseudonymVault.restore` the originals
in a model's answer; nobody else can read or forge it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re

from cryptography.fernet import Fernet, InvalidToken

from steward.anonymize.base import Operator
from steward.assessment import Finding
from steward.errors import InputError

__all__ = ["PseudonymOperator", "PseudonymVault"]

_TAG = re.compile(r"\{([A-Z][A-Z0-9_]*?)_(\d+)\}")
#: A vault with more entries than this is refused when opened (a sealed vault is user input).
VAULT_MAX_ENTRIES = 10_000


def _fernet(key: str | bytes) -> Fernet:
    raw = key.encode("utf-8") if isinstance(key, str) else key
    if not raw:
        raise InputError("the vault key is empty", field="vault_key")
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(raw).digest()))


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
        return _fernet(key).encrypt(payload.encode("utf-8")).decode("ascii")

    @classmethod
    def open(cls, token: str, key: str | bytes) -> PseudonymVault:
        """Decrypt a sealed vault; a wrong key or a tampered token is an :class:`InputError`."""
        try:
            payload = _fernet(key).decrypt(token.encode("ascii"))
            entries = json.loads(payload)
        except (InvalidToken, UnicodeEncodeError, ValueError):
            raise InputError("cannot be opened with this key, or was altered", field="vault") from None
        if not isinstance(entries, list) or len(entries) > VAULT_MAX_ENTRIES:
            raise InputError("is not a vault Steward sealed", field="vault")
        vault = cls()
        for entry in entries:
            tag, value = entry
            m = _TAG.fullmatch(tag)
            if m is None:
                raise InputError("is not a vault Steward sealed", field="vault")
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
