"""Helpers shared by the server tests (imported as a plain module; tests are not a package)."""

from __future__ import annotations

from typing import Any

from steward.store.keys import NewKey

#: A small deterministic policy: mask e-mail addresses, block a custom word.
SMALL_POLICY: dict[str, Any] = {
    "name": "small",
    "description": "test policy",
    "word_filters": {"words": ["zorblax"]},
    "sensitive_information": {"pii_entities": [{"type": "EMAIL"}]},
}


def bearer(key: NewKey) -> dict[str, str]:
    """The Authorization header for ``key``."""
    return {"Authorization": f"Bearer {key.bearer}"}


def apply_body(*texts: str, source: str = "INPUT", **extra: Any) -> dict[str, Any]:
    """An ApplyGuardrail request body with one text block per text."""
    return {"source": source, "content": [{"text": {"text": t}} for t in texts], **extra}
