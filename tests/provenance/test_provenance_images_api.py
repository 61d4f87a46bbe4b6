"""Signing an image-generation answer's images (the proxy's building block) with a real test chain."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from provenance_helpers import png

from steward.errors import InputError
from steward.provenance.image import load_credentials, verify_image
from steward.provenance.images_api import CERT_ENV, CERT_KEY_ENV, credentials_from_env, sign_images_answer


def _answer(*images: bytes) -> dict[str, object]:
    return {"created": 1, "data": [{"b64_json": base64.b64encode(i).decode()} for i in images]}


def test_every_inline_image_is_signed_as_ai_generated(test_ca: Path) -> None:
    creds = load_credentials(test_ca / "chain.pem", test_ca / "signer.key")
    answer = _answer(png(seed=1), png(seed=2))
    assert sign_images_answer(answer, creds, generator="dall-e-3", guardrail="images:2") == 2
    for item in answer["data"]:  # type: ignore[attr-defined]
        report = verify_image(
            base64.b64decode(item["b64_json"]), trust_anchors=(test_ca / "ca.pem").read_bytes()
        )
        assert report.ok and report.ai_generated and report.generator == "dall-e-3"
        assert report.steward["guardrail_id"] == "images" and report.steward["guardrail_version"] == "2"


def test_urls_bad_base64_and_non_images_are_refused_by_position(test_ca: Path) -> None:
    creds = load_credentials(test_ca / "chain.pem", test_ca / "signer.key")
    with pytest.raises(InputError, match=r"data\[0\]: is an image URL.*b64_json"):
        sign_images_answer({"data": [{"url": "http://example.org/x.png"}]}, creds, generator="g")
    with pytest.raises(InputError, match=r"data\[1\]\.b64_json: is not base64"):
        sign_images_answer(
            {"data": [{"b64_json": base64.b64encode(png()).decode()}, {"b64_json": "@@"}]},
            creds,
            generator="g",
        )
    with pytest.raises(InputError, match=r"data\[0\]\.b64_json: is not a PNG"):
        sign_images_answer(_answer(b"plain text"), creds, generator="g")
    with pytest.raises(InputError, match="has no 'data' list"):
        sign_images_answer({"error": "x"}, creds, generator="g")
    with pytest.raises(InputError, match="over the limit of 16"):
        sign_images_answer({"data": [{}] * 17}, creds, generator="g")


def test_certificate_settings_go_together(test_ca: Path) -> None:
    assert credentials_from_env({}) is None
    with pytest.raises(InputError, match=f"{CERT_KEY_ENV}: must be set too"):
        credentials_from_env({CERT_ENV: str(test_ca / "chain.pem")})
    creds = credentials_from_env(
        {CERT_ENV: str(test_ca / "chain.pem"), CERT_KEY_ENV: str(test_ca / "signer.key")}
    )
    assert creds is not None and "Steward test signer" in creds.subject
