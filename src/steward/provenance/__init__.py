"""Content provenance: C2PA manifests for images, signed receipts for text.

* :mod:`~steward.provenance.image` — sign an image as AI-generated (C2PA, via the optional
  c2pa-python) and verify a signed image: the manifest, the signer, whether it changed;
* :mod:`~steward.provenance.receipt` — a compact JWS (Ed25519) over the SHA-256 of a
  normalised text, its model, guardrail version, request id, time and decision;
* :mod:`~steward.provenance.keys` — the receipt signing key and its public JWK;
* :mod:`~steward.provenance.issuer` — receipts on the proxy's answers (``STEWARD_PROVENANCE_RECEIPTS``);
* :mod:`~steward.provenance.images_api` — signing the images of an image-generation answer.

``docs/provenance.md`` says what each proves and what it does not.
"""

from __future__ import annotations

from steward.provenance.image import ImageVerification, SigningCredentials, sign_image, verify_image
from steward.provenance.keys import load_public_key, load_signing_key, public_jwk
from steward.provenance.receipt import (
    Decision,
    Problem,
    Receipt,
    ReceiptCheck,
    decode_receipt,
    issue_receipt,
    normalize_text,
    verify_receipt,
)

__all__ = [
    "Decision",
    "ImageVerification",
    "Problem",
    "Receipt",
    "ReceiptCheck",
    "SigningCredentials",
    "decode_receipt",
    "issue_receipt",
    "load_public_key",
    "load_signing_key",
    "normalize_text",
    "public_jwk",
    "sign_image",
    "verify_image",
    "verify_receipt",
]
