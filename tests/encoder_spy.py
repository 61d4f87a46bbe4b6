"""Which texts the shared text classifier really encodes (a helper for tests that prove a text is
read once; a module of its own name beside the root conftest, so every test folder can import it)."""

from __future__ import annotations

import pytest

__all__ = ["record_encoded_texts"]


def record_encoded_texts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A list that grows by every text the shared :class:`TextClassifier` encodes (its encoder
    pass, after any cache) until the test ends."""
    from steward.models.classifier import TextClassifier

    model = TextClassifier.load()
    read: list[str] = []
    original = model._encode_uncached

    def counting(texts: list[str], untrusted: bool) -> list[object]:
        read.extend(texts)
        return original(texts, untrusted)  # type: ignore[return-value]

    monkeypatch.setattr(model, "_encode_uncached", counting)
    return read
