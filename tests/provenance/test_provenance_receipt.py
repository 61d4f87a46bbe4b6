"""Signed text receipts: the JWS shape, normalisation, and three distinct failures."""

from __future__ import annotations

import base64
import json
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from steward.errors import InputError, InputTooLargeError
from steward.provenance.keys import KEY_ENV, key_id, load_public_key, load_signing_key, public_jwk
from steward.provenance.receipt import (
    Decision,
    Problem,
    decode_receipt,
    issue_receipt,
    normalize_text,
    text_sha256,
    verify_receipt,
)

TEXT = "Caf\u00e9 opens at 9.\r\nBring a coat."


def _b64(obj: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, object]:
    part = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))))


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def _issue(key: Ed25519PrivateKey, text: str = TEXT) -> str:
    return issue_receipt(
        text,
        key=key,
        decision=Decision.PASSED,
        request_id="req-1",
        guardrail_id="support-bot",
        guardrail_version="3",
        model="llama-3-8b",
        issued_at=datetime(2026, 12, 6, 3, 0, tzinfo=UTC),
    )


def test_receipt_is_a_compact_eddsa_jws_with_the_stated_claims(key: Ed25519PrivateKey) -> None:
    token = _issue(key)
    header_b64, payload_b64, sig_b64 = token.split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=" * (-len(header_b64) % 4)))
    assert header == {"alg": "EdDSA", "kid": key_id(key.public_key()), "typ": "steward-receipt+jws"}
    # The signature is a plain Ed25519 signature over "header.payload", checkable without Steward.
    sig = base64.urlsafe_b64decode(sig_b64 + "==")
    key.public_key().verify(sig, f"{header_b64}.{payload_b64}".encode())
    claims = _claims(token)
    assert claims["norm"] == "NFC+LF" and claims["decision"] == "PASSED"
    assert claims["model"] == "llama-3-8b" and claims["guardrail_id"] == "support-bot"
    assert claims["guardrail_version"] == "3" and claims["request_id"] == "req-1"
    assert claims["iat"] == int(datetime(2026, 12, 6, 3, 0, tzinfo=UTC).timestamp())
    assert claims["sha256"] == text_sha256(TEXT)
    assert "Caf" not in json.dumps(claims)  # the text itself is never in the receipt


def test_normalisation_is_nfc_and_line_endings_only() -> None:
    decomposed = "Cafe\u0301 opens at 9.\rBring a coat."
    assert normalize_text(decomposed) == "Caf\u00e9 opens at 9.\nBring a coat."
    assert text_sha256(decomposed) == text_sha256(TEXT) == text_sha256("Caf\u00e9 opens at 9.\nBring a coat.")
    # Case, whitespace and a final newline all still count.
    assert text_sha256(TEXT + "\n") != text_sha256(TEXT)
    assert text_sha256(TEXT.upper()) != text_sha256(TEXT)


def test_valid_receipt_verifies_after_line_ending_changes(key: Ed25519PrivateKey) -> None:
    check = verify_receipt(TEXT.replace("\r\n", "\n"), _issue(key), key.public_key())
    assert check.ok and check.problem is None and check.receipt.model == "llama-3-8b"


def test_tampered_text_is_reported_as_changed(key: Ed25519PrivateKey) -> None:
    check = verify_receipt(TEXT.replace("9", "10"), _issue(key), key.public_key())
    assert check.problem is Problem.TEXT_CHANGED and "the text was changed" in check.message


def test_tampered_receipt_is_reported_as_altered(key: Ed25519PrivateKey) -> None:
    token = _issue(key)
    header, _, sig = token.split(".")
    claims = _claims(token)
    claims["decision"] = "BLOCKED"
    forged = f"{header}.{_b64(claims)}.{sig}"
    check = verify_receipt(TEXT, forged, key.public_key())
    assert check.problem is Problem.RECEIPT_ALTERED and "altered after signing" in check.message
    # Even a forged digest matching new text does not pass: the signature covers it.
    claims["sha256"] = text_sha256("other text")
    check = verify_receipt("other text", f"{header}.{_b64(claims)}.{sig}", key.public_key())
    assert check.problem is Problem.RECEIPT_ALTERED


def test_wrong_key_is_reported_as_another_key(key: Ed25519PrivateKey) -> None:
    other = Ed25519PrivateKey.generate().public_key()
    check = verify_receipt(TEXT, _issue(key), other)
    assert check.problem is Problem.WRONG_KEY and "signed by another key" in check.message
    assert len({Problem.WRONG_KEY.value, Problem.RECEIPT_ALTERED.value, Problem.TEXT_CHANGED.value}) == 3


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("", "it has 1 part"),
        ("a.b", "it has 2 part"),
        ("!!!.e30.AA", "not base64url"),
        (_b64({"alg": "none", "typ": "steward-receipt+jws"}) + ".e30.AA", "alg must be 'EdDSA'"),
        (_b64({"alg": "HS256", "typ": "steward-receipt+jws"}) + ".e30.AA", "alg must be 'EdDSA'"),
        (_b64({"alg": "EdDSA", "typ": "JWT"}) + ".e30.AA", "typ must be"),
        (_b64({"alg": "EdDSA", "typ": "steward-receipt+jws"}) + ".e30.AA", "norm must be"),
        (
            _b64({"alg": "EdDSA", "typ": "steward-receipt+jws"}) + "." + _b64({"norm": "NFC+LF"}) + ".AA",
            "sha256",
        ),
        ("x" * 9000, "over the limit of 8192"),
    ],
)
def test_malformed_receipts_get_clear_errors(key: Ed25519PrivateKey, token: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        verify_receipt(TEXT, token, key.public_key())


def test_decode_reads_claims_without_verifying(key: Ed25519PrivateKey) -> None:
    assert decode_receipt(_issue(key)).request_id == "req-1"


def test_issue_refuses_bad_arguments(key: Ed25519PrivateKey) -> None:
    with pytest.raises(InputError, match="decision: must be one of PASSED, MASKED, BLOCKED"):
        issue_receipt("t", key=key, decision="OK", request_id="r")
    with pytest.raises(InputTooLargeError, match="model"):
        issue_receipt("t", key=key, decision="PASSED", request_id="r", model="m" * 300)
    with pytest.raises(InputError, match="lone surrogate"):
        issue_receipt("a\ud800b", key=key, decision="PASSED", request_id="r")


def test_signing_key_is_made_once_with_mode_0600(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    first = load_signing_key(tmp_path)
    path = tmp_path / "provenance.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    second = load_signing_key(tmp_path)
    assert key_id(first.public_key()) == key_id(second.public_key())


def test_verifying_never_creates_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(InputError, match="no receipt signing key"):
        load_signing_key(tmp_path, create=False)
    assert not (tmp_path / "provenance.key").exists()


def test_configured_key_file_is_used_and_never_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    configured = tmp_path / "mine.pem"
    monkeypatch.setenv(KEY_ENV, str(configured))
    with pytest.raises(InputError, match=f"{KEY_ENV}: names .* which does not exist"):
        load_signing_key(tmp_path)
    key = Ed25519PrivateKey.generate()
    configured.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    assert key_id(load_signing_key(tmp_path).public_key()) == key_id(key.public_key())
    assert not (tmp_path / "provenance.key").exists()
    configured.write_text("garbage")
    with pytest.raises(InputError, match=f"{KEY_ENV}: is not an unencrypted PEM private key"):
        load_signing_key(tmp_path)


def test_public_key_loads_from_jwk_jwks_and_pem(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    public = key.public_key()
    jwk = public_jwk(public)
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["alg"] == "EdDSA"
    files = {
        "k.jwk": json.dumps(jwk),
        "k.jwks": json.dumps({"keys": [jwk]}),
        "k.pem": public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode(),
    }
    for name, body in files.items():
        (tmp_path / name).write_text(body)
        loaded = load_public_key(tmp_path / name)
        assert isinstance(loaded, Ed25519PublicKey) and key_id(loaded) == jwk["kid"]
    (tmp_path / "bad.json").write_text('{"kty": "RSA"}')
    with pytest.raises(InputError, match="is not an Ed25519 JWK"):
        load_public_key(tmp_path / "bad.json")
    (tmp_path / "short.json").write_text('{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}')
    with pytest.raises(InputError, match="an Ed25519 public key is 32"):
        load_public_key(tmp_path / "short.json")


def test_key_id_is_the_rfc7638_thumbprint() -> None:
    # RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key.
    x = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
    public = Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "="))
    assert key_id(public) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_processes_starting_together_agree_on_one_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    monkeypatch.delenv(KEY_ENV, raising=False)
    with ThreadPoolExecutor(8) as pool:
        kids = set(pool.map(lambda _: key_id(load_signing_key(tmp_path).public_key()), range(16)))
    assert len(kids) == 1
    assert [p.name for p in tmp_path.iterdir()] == ["provenance.key"]  # no temporary file left
