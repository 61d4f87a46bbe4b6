"""Content Credentials (C2PA) for images: sign that an image was AI-generated, and verify it.

The manifest Steward writes says, in C2PA's own vocabulary, that the image was *created*
(``c2pa.created``) as *trained algorithmic media* (the IPTC digital source type for content
a generative model made), names the generator as the action's software agent, and adds a
Steward assertion (``org.steward.provenance``) with the guardrail id and version that
approved it and the time. The work is done by c2pa-python (the C2PA reference SDK), an
optional extra: ``pip install 'steward[provenance]'``.

C2PA refuses a purely self-signed certificate; the signer must be an end-entity certificate
issued by a CA. Steward checks the certificate chain and the key before calling the SDK, so a
wrong key or a CA certificate gets a message naming the file rather than a COSE error.
Nothing reaches the network: no timestamp authority unless the caller names one, no OCSP,
no remote manifests.

What a valid manifest proves: the holder of the signing key stated these facts about these
exact pixels, and the bytes the manifest covers have not changed since. It does not prove the
statements are true, and an image stripped of its manifest carries no trace of it.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from steward.errors import InputError, InputTooLargeError, StewardError

__all__ = [
    "ASSERTION_LABEL",
    "DIGITAL_SOURCE_TYPE",
    "IMAGE_MAX_BYTES",
    "ImageVerification",
    "SigningCredentials",
    "check_credentials",
    "image_format",
    "load_credentials",
    "parse_guardrail",
    "read_file",
    "sign_image",
    "verify_image",
]

#: IPTC's term for media a trained model generated (https://cv.iptc.org/newscodes/digitalsourcetype/).
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
ASSERTION_LABEL = "org.steward.provenance"
#: Largest image signed or verified (the SDK holds it in memory).
IMAGE_MAX_BYTES = 64 << 20
#: Certificate chains and keys are a few KiB.
CREDENTIAL_MAX_BYTES = 256 * 1024
#: Longest generator name or guardrail reference put into a manifest.
NAME_MAX_CHARS = 256

_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"II*\x00", 0, "image/tiff"),
    (b"MM\x00*", 0, "image/tiff"),
)
#: Failure codes about whether the signer is trusted, not about the manifest's integrity.
_TRUST_CODES = ("signingCredential.untrusted", "signingCredential.ocsp")
#: A failure code ending so means bytes differ from what was signed: the asset's hash
#: (``assertion.dataHash.mismatch``), an assertion's (``assertion.hashedURI.mismatch``) or the
#: claim's signature (``claimSignature.mismatch``).
_CHANGED_SUFFIX = ".mismatch"


def image_format(data: bytes, *, field: str = "image") -> str:
    """The MIME type of an image, from its first bytes (the file name is not trusted)."""
    for magic, offset, mime in _MAGIC:
        if data[offset : offset + len(magic)] == magic and (mime != "image/webp" or data[:4] == b"RIFF"):
            return mime
    raise InputError("is not a PNG, JPEG, GIF, WebP or TIFF image", field=field)


def read_file(path: Path, *, limit: int) -> bytes:
    """A file's bytes, refused with an :class:`InputError` naming it if unreadable or over ``limit``."""
    name = str(path)[:200]
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise InputError("is not a file", field=name)
        if size > limit:
            raise InputTooLargeError(field=name, size=size, limit=limit, unit="bytes")
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot be read ({exc.strerror})", field=name) from None


@dataclass(frozen=True, slots=True)
class SigningCredentials:
    """A checked certificate chain (leaf first, PEM) and its private key (PEM), with the algorithm."""

    chain_pem: bytes = field(repr=False)
    key_pem: bytes = field(repr=False)
    alg: str
    subject: str


def load_credentials(cert_path: Path, key_path: Path) -> SigningCredentials:
    """Read and check a signing chain and key; an :class:`InputError` names the file at fault."""
    chain_pem = read_file(cert_path, limit=CREDENTIAL_MAX_BYTES)
    key_pem = read_file(key_path, limit=CREDENTIAL_MAX_BYTES)
    return check_credentials(chain_pem, key_pem, cert_field=str(cert_path), key_field=str(key_path))


def check_credentials(
    chain_pem: bytes, key_pem: bytes, *, cert_field: str = "cert", key_field: str = "key"
) -> SigningCredentials:
    """Check what C2PA will insist on, so the user hears it in plain words.

    The chain must start with an end-entity certificate (not a CA) that a CA issued (not
    self-signed), and the key must be that certificate's private key.
    """
    try:
        certs = x509.load_pem_x509_certificates(chain_pem)
    except ValueError:
        raise InputError("is not a PEM certificate chain", field=cert_field) from None
    leaf = certs[0]
    try:
        is_ca = leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        is_ca = False
    if is_ca:
        raise InputError(
            "starts with a CA certificate; put the signer's end-entity certificate first, then its CA",
            field=cert_field,
        )
    if leaf.issuer == leaf.subject:
        raise InputError(
            "is a self-signed certificate, which C2PA refuses: the signer's certificate must be issued "
            "by a CA (examples/provenance/make_test_ca.sh makes a local test chain)",
            field=cert_field,
        )
    try:
        ekus = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        ekus = None
    if ekus is not None and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in ekus:
        raise InputError("allows any extended key usage, which C2PA refuses", field=cert_field)
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError):
        raise InputError("is not an unencrypted PEM private key", field=key_field) from None
    if _public_der(key.public_key()) != _public_der(leaf.public_key()):
        raise InputError(
            f"does not belong to the certificate in {cert_field} (their public keys differ): a wrong key",
            field=key_field,
        )
    return SigningCredentials(
        chain_pem=chain_pem,
        key_pem=key_pem,
        alg=_algorithm(key, key_field),
        subject=leaf.subject.rfc4514_string(),
    )


def _public_der(key: Any) -> bytes:
    der: bytes = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return der


def _algorithm(key: Any, key_field: str) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        by_curve = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}
        if key.curve.name in by_curve:
            return by_curve[key.curve.name]
        raise InputError(
            f"uses the curve {key.curve.name}; C2PA signs with P-256, P-384 or P-521", field=key_field
        )
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey):
        return "ps256"
    raise InputError(f"is a {type(key).__name__}, which C2PA cannot sign with", field=key_field)


def _c2pa() -> Any:
    try:
        import c2pa  # type: ignore[import-untyped]
    except ImportError:
        raise StewardError(
            "signing and verifying images needs the optional package c2pa-python: "
            "pip install 'steward[provenance]'"
        ) from None
    return c2pa


def _context(c2pa: Any, trust_anchors: bytes | None = None) -> Any:
    verify: dict[str, Any] = {"remote_manifest_fetch": False, "ocsp_fetch": False}
    settings: dict[str, Any] = {"verify": verify, "builder": {"thumbnail": {"enabled": False}}}
    if trust_anchors is not None:
        verify["verify_trust"] = True
        settings["trust"] = {"user_anchors": trust_anchors.decode("ascii", "replace")}
    return c2pa.Context(c2pa.Settings.from_dict(settings))


def parse_guardrail(ref: str) -> tuple[str, str]:
    """``ID:VERSION`` split in two; an :class:`InputError` if either part is missing."""
    gid, sep, version = ref.rpartition(":")
    if not sep or not gid or not version or len(ref) > NAME_MAX_CHARS:
        raise InputError(f"must be ID:VERSION such as support-bot:3, not {ref[:80]!r}", field="guardrail")
    return gid, version


def sign_image(
    data: bytes,
    credentials: SigningCredentials,
    *,
    generator: str,
    guardrail: str | None = None,
    when: datetime | None = None,
    title: str | None = None,
    tsa_url: str | None = None,
    steward_version: str = "",
    name: str = "image",
) -> bytes:
    """The image with a signed C2PA manifest embedded, stating it was AI-generated.

    ``guardrail`` is ``ID:VERSION`` of the Steward guardrail that approved the image.
    ``tsa_url`` (an RFC 3161 timestamp authority) is the only way this reaches the network.
    ``name`` is what errors call the image (its file name).
    """
    if len(data) > IMAGE_MAX_BYTES:
        raise InputTooLargeError(field=name, size=len(data), limit=IMAGE_MAX_BYTES, unit="bytes")
    mime = image_format(data, field=name)
    if not generator or len(generator) > NAME_MAX_CHARS:
        raise InputError(f"must be 1 to {NAME_MAX_CHARS} characters", field="generator")
    stamp = (
        (when or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    )
    approval: dict[str, Any] = {"generator": generator, "approved_at": stamp}
    if guardrail is not None:
        approval["guardrail_id"], approval["guardrail_version"] = parse_guardrail(guardrail)
    manifest: dict[str, Any] = {
        "claim_generator_info": [{"name": "Steward", "version": steward_version or "unknown"}],
        "format": mime,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": DIGITAL_SOURCE_TYPE,
                            "softwareAgent": {"name": generator},
                            "when": stamp,
                        }
                    ]
                },
            },
            {"label": ASSERTION_LABEL, "data": approval},
        ],
    }
    if title:
        manifest["title"] = title[:NAME_MAX_CHARS]
    c2pa = _c2pa()
    try:
        info = c2pa.C2paSignerInfo(
            credentials.alg.encode(), credentials.chain_pem, credentials.key_pem, tsa_url
        )
        signer = c2pa.Signer.from_info(info)
        with c2pa.Builder(manifest, _context(c2pa)) as builder:
            out = io.BytesIO()
            builder.sign(signer, mime, io.BytesIO(data), out)
    except c2pa.C2paError as exc:
        message = _sdk_message(exc)
        if "parse" in message or "header" in message or "Io" in type(exc).__name__:
            raise InputError(f"cannot be read as {mime} ({message})", field=name) from None
        if tsa_url:
            raise InputError(
                f"signing failed: the certificate, the key or the timestamp authority refused ({message})",
                field="tsa_url",
            ) from None
        raise InputError(
            f"C2PA refused to sign with this certificate and key ({message})", field="cert"
        ) from None
    return out.getvalue()


def _sdk_message(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:300]


@dataclass(frozen=True, slots=True)
class ImageVerification:
    """What :func:`verify_image` found; ``ok`` is the verdict a script should act on."""

    format: str
    has_manifest: bool
    #: C2PA's validation state: ``Invalid``, ``Valid`` (signature and hashes good) or ``Trusted``
    #: (and the signer chains to a given trust anchor); None without a manifest.
    state: str | None = None
    #: The image or its manifest changed after signing (a hash or signature mismatch).
    changed: bool = False
    #: True/False when trust anchors were given; None when trust was not checked.
    trusted: bool | None = None
    signer: dict[str, Any] = field(default_factory=dict)
    ai_generated: bool = False
    generator: str | None = None
    steward: dict[str, Any] = field(default_factory=dict)
    failures: tuple[dict[str, str], ...] = ()
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def problems(self) -> tuple[dict[str, str], ...]:
        """The validation failures other than trust (a change, an expired or invalid certificate)."""
        return tuple(f for f in self.failures if not f["code"].startswith(_TRUST_CODES))

    @property
    def ok(self) -> bool:
        """A manifest is present and validates, and (when checked) the signer is trusted."""
        valid = not self.problems and not self.changed and self.state != "Invalid"
        return self.has_manifest and valid and self.trusted is not False

    @property
    def summary(self) -> str:
        """One line a person reads first."""
        if not self.has_manifest:
            return "no Content Credentials: the image carries no C2PA manifest"
        codes = ", ".join(f["code"] for f in self.problems)
        if self.changed:
            return f"CHANGED: the image or its manifest was altered after signing ({codes})"
        if self.problems or self.state == "Invalid":
            return f"INVALID: the manifest does not validate ({codes or 'state Invalid'})"
        if self.trusted is False:
            return (
                "UNTRUSTED: the manifest is intact but its signer does not chain to the given trust anchors"
            )
        if self.trusted:
            return "valid and trusted: unchanged since signing, by a signer chaining to the given anchors"
        return "valid: unchanged since signing (signer not checked against trust anchors; pass --trust)"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready report."""
        return {
            "ok": self.ok,
            "summary": self.summary,
            "format": self.format,
            "has_manifest": self.has_manifest,
            "state": self.state,
            "changed": self.changed,
            "problems": list(self.problems),
            "trusted": self.trusted,
            "signer": self.signer,
            "ai_generated": self.ai_generated,
            "generator": self.generator,
            "steward": self.steward,
            "failures": list(self.failures),
            "manifest": self.manifest,
        }


def verify_image(
    data: bytes, *, trust_anchors: bytes | None = None, name: str = "image"
) -> ImageVerification:
    """Read and validate the image's C2PA manifest, offline.

    ``trust_anchors`` (PEM CA certificates) makes trust part of the verdict; without them the
    signature and hashes are checked but the signer's identity is only reported.
    """
    if len(data) > IMAGE_MAX_BYTES:
        raise InputTooLargeError(field=name, size=len(data), limit=IMAGE_MAX_BYTES, unit="bytes")
    mime = image_format(data, field=name)
    if trust_anchors is not None:
        try:
            x509.load_pem_x509_certificates(trust_anchors)
        except ValueError:
            raise InputError("is not a PEM file of CA certificates", field="trust") from None
    c2pa = _c2pa()
    try:
        reader = c2pa.Reader.try_create(mime, io.BytesIO(data), None, _context(c2pa, trust_anchors))
        if reader is None:
            return ImageVerification(format=mime, has_manifest=False)
        with reader:
            store = json.loads(reader.json())
    except c2pa.C2paError as exc:
        raise InputError(f"cannot be read as {mime} ({_sdk_message(exc)})", field=name) from None
    return _report(mime, store, trust_checked=trust_anchors is not None)


def _report(mime: str, store: dict[str, Any], *, trust_checked: bool) -> ImageVerification:
    active = store.get("manifests", {}).get(store.get("active_manifest"), {})
    results = store.get("validation_results", {}).get("activeManifest", {})
    failures = tuple(
        {"code": str(f.get("code", "")), "explanation": str(f.get("explanation", ""))}
        for f in results.get("failure", [])
    )
    integrity = tuple(f for f in failures if not f["code"].startswith(_TRUST_CODES))
    untrusted = any(f["code"] == "signingCredential.untrusted" for f in failures)
    # Without anchors the SDK still calls the signer "untrusted"; that is not a finding here.
    failures = failures if trust_checked else integrity
    created = [
        a
        for assertion in active.get("assertions", [])
        if str(assertion.get("label", "")).startswith("c2pa.actions")
        for a in assertion.get("data", {}).get("actions", [])
        if a.get("action") == "c2pa.created"
    ]
    steward: Any = next(
        (a.get("data", {}) for a in active.get("assertions", []) if a.get("label") == ASSERTION_LABEL), {}
    )
    agent = created[0].get("softwareAgent") if created else None
    generator = agent.get("name") if isinstance(agent, dict) else agent
    return ImageVerification(
        format=mime,
        has_manifest=True,
        state=store.get("validation_state"),
        changed=any(f["code"].endswith(_CHANGED_SUFFIX) for f in integrity),
        trusted=(not untrusted) if trust_checked else None,
        signer=dict(active.get("signature_info", {})),
        ai_generated=any(a.get("digitalSourceType") == DIGITAL_SOURCE_TYPE for a in created),
        generator=generator if isinstance(generator, str) else None,
        steward=dict(steward) if isinstance(steward, dict) else {},
        failures=failures,
        manifest=active,
    )
