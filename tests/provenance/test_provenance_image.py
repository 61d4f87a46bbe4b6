"""C2PA signing and verification of images, with a real test CA chain and the real SDK."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from provenance_helpers import flip_pixel_byte, png

from steward.errors import InputError, InputTooLargeError
from steward.provenance import image as image_mod
from steward.provenance.image import (
    ASSERTION_LABEL,
    DIGITAL_SOURCE_TYPE,
    check_credentials,
    image_format,
    load_credentials,
    sign_image,
    verify_image,
)


def _signed(test_ca: Path, **kwargs: object) -> bytes:
    creds = load_credentials(test_ca / "chain.pem", test_ca / "signer.key")
    return sign_image(png(), creds, generator="diffusion-x", guardrail="img-bot:4", **kwargs)  # type: ignore[arg-type]


def test_signed_image_states_ai_generation_generator_guardrail_and_time(test_ca: Path) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    report = verify_image(_signed(test_ca, when=when))
    assert report.ok and report.has_manifest and not report.changed
    assert report.state == "Valid" and report.trusted is None
    assert report.ai_generated is True and report.generator == "diffusion-x"
    assert report.steward == {
        "generator": "diffusion-x",
        "approved_at": "2026-01-02T03:04:05Z",
        "guardrail_id": "img-bot",
        "guardrail_version": "4",
    }
    actions = [
        a
        for x in report.manifest["assertions"]
        if x["label"].startswith("c2pa.actions")
        for a in x["data"]["actions"]
    ]
    assert actions[0]["action"] == "c2pa.created"
    assert actions[0]["digitalSourceType"] == DIGITAL_SOURCE_TYPE
    assert actions[0]["when"] == "2026-01-02T03:04:05Z"
    assert any(x["label"] == ASSERTION_LABEL for x in report.manifest["assertions"])
    assert report.signer["common_name"] == "Steward test signer"
    assert report.failures == ()  # "untrusted" is not reported when trust was not asked about


def test_changed_pixels_are_reported_as_changed(test_ca: Path) -> None:
    report = verify_image(flip_pixel_byte(_signed(test_ca)))
    assert report.has_manifest and report.changed and not report.ok
    assert report.state == "Invalid"
    assert "assertion.dataHash.mismatch" in [f["code"] for f in report.failures]
    assert report.summary.startswith("CHANGED")


def test_trust_anchors_decide_trusted_or_not(test_ca: Path, other_ca: Path) -> None:
    signed = _signed(test_ca)
    own = verify_image(signed, trust_anchors=(test_ca / "ca.pem").read_bytes())
    assert own.state == "Trusted" and own.trusted is True and own.ok
    foreign = verify_image(signed, trust_anchors=(other_ca / "ca.pem").read_bytes())
    assert foreign.trusted is False and not foreign.ok and not foreign.changed
    assert foreign.summary.startswith("UNTRUSTED")


def test_unsigned_image_has_no_manifest(test_ca: Path) -> None:
    report = verify_image(png())
    assert not report.has_manifest and not report.ok and "no Content Credentials" in report.summary


def test_wrong_key_is_refused_with_the_files_named(test_ca: Path, other_ca: Path) -> None:
    with pytest.raises(InputError, match=r"signer\.key: does not belong to the certificate in .*chain\.pem"):
        load_credentials(test_ca / "chain.pem", other_ca / "signer.key")


def test_ca_or_self_signed_certificate_is_refused(test_ca: Path) -> None:
    with pytest.raises(InputError, match="starts with a CA certificate"):
        load_credentials(test_ca / "ca.pem", test_ca / "ca.key")
    # A self-signed end-entity certificate (not a CA), made here with cryptography.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "self")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2025, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2035, 1, 1, tzinfo=UTC))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(InputError, match="self-signed certificate, which C2PA refuses"):
        check_credentials(cert.public_bytes(serialization.Encoding.PEM), key_pem)


def test_bad_credential_files_get_clear_errors(tmp_path: Path, test_ca: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    with pytest.raises(InputError, match="junk.pem: is not a PEM certificate chain"):
        load_credentials(junk, test_ca / "signer.key")
    with pytest.raises(InputError, match="junk.pem: is not an unencrypted PEM private key"):
        load_credentials(test_ca / "chain.pem", junk)
    with pytest.raises(InputError, match="missing.pem: cannot be read"):
        load_credentials(tmp_path / "missing.pem", test_ca / "signer.key")


def test_non_images_and_broken_images_are_refused(test_ca: Path) -> None:
    creds = load_credentials(test_ca / "chain.pem", test_ca / "signer.key")
    with pytest.raises(InputError, match="notes.txt: is not a PNG, JPEG, GIF, WebP or TIFF image"):
        sign_image(b"hello, world", creds, generator="g", name="notes.txt")
    with pytest.raises(InputError, match="is not a PNG"):
        verify_image(b"")
    truncated = png()[:30]
    with pytest.raises(InputError, match="cannot be read as image/png"):
        sign_image(truncated, creds, generator="g")


def test_format_is_sniffed_from_bytes() -> None:
    assert image_format(png()) == "image/png"
    assert image_format(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert image_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    with pytest.raises(InputError):
        image_format(b"RIFF\x00\x00\x00\x00WAVEfmt ")


def test_size_and_argument_limits(test_ca: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    creds = load_credentials(test_ca / "chain.pem", test_ca / "signer.key")
    monkeypatch.setattr(image_mod, "IMAGE_MAX_BYTES", 100)
    with pytest.raises(InputTooLargeError, match="over the limit of 100 bytes"):
        verify_image(png(32, 32))
    monkeypatch.undo()
    with pytest.raises(InputError, match="guardrail: must be ID:VERSION"):
        sign_image(png(), creds, generator="g", guardrail="no-version")
    with pytest.raises(InputError, match="generator: must be 1 to 256 characters"):
        sign_image(png(), creds, generator="x" * 300)


def test_signing_and_verifying_need_no_network(test_ca: Path, no_sockets: None) -> None:
    # Python opens no socket; the native SDK is kept offline by the settings image.py passes it.
    creds = load_credentials(test_ca / "chain.pem", test_ca / "signer.key")
    signed = sign_image(png(seed=3), creds, generator="offline")
    assert verify_image(signed, trust_anchors=(test_ca / "ca.pem").read_bytes()).state == "Trusted"


def test_changed_manifest_statements_are_reported_as_changed(test_ca: Path) -> None:
    signed = _signed(test_ca)
    assert signed.count(b"img-bot") == 1
    report = verify_image(signed.replace(b"img-bot", b"img-bad"))
    assert report.changed and not report.ok
    assert [f["code"] for f in report.problems] == ["assertion.hashedURI.mismatch"]


def test_other_validation_failures_are_invalid_not_changed() -> None:
    # The SDK's verdict for a manifest whose certificate had expired when it signed.
    store = {
        "active_manifest": "m",
        "manifests": {"m": {"assertions": [], "signature_info": {"common_name": "x"}}},
        "validation_state": "Invalid",
        "validation_results": {
            "activeManifest": {"failure": [{"code": "signingCredential.expired", "explanation": "expired"}]}
        },
    }
    report = image_mod._report("image/png", store, trust_checked=False)
    assert not report.changed and not report.ok
    assert report.summary == "INVALID: the manifest does not validate (signingCredential.expired)"


def test_unreachable_timestamp_authority_is_named(test_ca: Path) -> None:
    # A closed loopback port: the only network use is the one the caller configured.
    creds = load_credentials(test_ca / "chain.pem", test_ca / "signer.key")
    with pytest.raises(InputError, match=r"tsa_url: signing failed: .*127\.0\.0\.1:9"):
        sign_image(png(), creds, generator="g", tsa_url="http://127.0.0.1:9/")
