"""Receipts on the proxy's answers: one signed receipt per answer text, when turned on.

``STEWARD_PROVENANCE_RECEIPTS=true`` makes the proxy sign the exact text each choice of an
answer carries to the client, after masking and the disclosure notice, and return the
receipts in the ``x-steward-provenance`` header (comma-separated, in choice order; a compact
JWS holds no comma) and in the answer's ``steward.provenance`` field with their choice index.
A streamed answer's receipts travel in the ``steward`` field of the chunk that ends each
choice (its headers left before the text was known). Each receipt's request id is the audit record's (``<request id>-out-<index>``),
so a receipt leads to the decision recorded for it.

The signing key is loaded once, when the server starts (see :mod:`steward.provenance.keys`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from steward.errors import InputError
from steward.provenance.receipt import Decision, issue_receipt
from steward.settings import Settings

__all__ = ["RECEIPTS_ENV", "RECEIPT_HEADER", "ReceiptIssuer"]

RECEIPTS_ENV = "STEWARD_PROVENANCE_RECEIPTS"
RECEIPT_HEADER = "x-steward-provenance"


@dataclass(frozen=True, slots=True)
class ReceiptIssuer:
    """Signs receipts for answers with one key."""

    key: Ed25519PrivateKey

    @classmethod
    def from_env(
        cls, data_dir: Path | None = None, environ: Mapping[str, str] | None = None
    ) -> ReceiptIssuer | None:
        """An issuer when ``STEWARD_PROVENANCE_RECEIPTS`` is on, else None (the default: off).

        The variables are read from ``environ`` when given, else from the environment.
        """
        settings = Settings.from_env(environ=environ)
        if not settings.provenance_receipts:
            return None
        from steward.provenance.keys import load_signing_key

        return cls(load_signing_key(data_dir or settings.data_dir, settings=settings))

    def attach(
        self,
        answer: dict[str, Any],
        headers: dict[str, str],
        *,
        request_id: str,
        guardrail_id: str,
        version: str,
        choices: list[tuple[dict[str, Any], Decision | str]],
        record: Callable[[str, str], None] | None = None,
    ) -> None:
        """Sign each choice's message text; add the receipts to ``headers`` and ``answer["steward"]``.

        ``record(audit request id, receipt)`` keeps each receipt with the audit record of the
        decision it covers (``<request id>-out-<index>``).

        A choice without text (tool calls only) gets no receipt: there is no text to vouch for;
        nor does text no receipt can cover (a lone surrogate), rather than failing the answer.
        """
        model = answer.get("model") if isinstance(answer.get("model"), str) else None
        issued: list[dict[str, Any]] = []
        for choice, decision in choices:
            message = choice.get("message")
            content = message.get("content") if isinstance(message, dict) else None
            if not isinstance(content, str):
                continue
            index = choice.get("index", 0)
            try:
                receipt = issue_receipt(
                    content,
                    key=self.key,
                    decision=decision,
                    request_id=f"{request_id}-out-{index}"[:256],
                    guardrail_id=guardrail_id[:256],
                    guardrail_version=version[:256],
                    model=model[:256] if model else None,
                )
            except InputError:
                continue  # text no receipt can cover (a lone surrogate): the answer still goes out
            issued.append({"index": index, "receipt": receipt})
            if record is not None:
                record(f"{request_id}-out-{index}"[:256], receipt)
        if not issued:
            return
        headers[RECEIPT_HEADER] = ", ".join(item["receipt"] for item in issued)
        steward = answer.setdefault("steward", {})
        if isinstance(steward, dict):
            steward["provenance"] = issued
