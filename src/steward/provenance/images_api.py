"""Signing the images of an OpenAI-style image-generation answer, for the proxy to call.

``POST /v1/images/generations`` answers ``{"created": …, "data": [{"b64_json": "…"}, …]}``.
:func:`sign_images_answer` replaces each image with the same image carrying a C2PA manifest
(see :mod:`steward.provenance.image`), so a proxy relaying such an endpoint labels every image
it passes. Only ``b64_json`` images can be signed: an image given as a URL would have to be
fetched from wherever the upstream put it, which is network use nobody configured, so it is
refused with a message saying to ask for ``response_format: b64_json``.

The signing certificate is configured with ``STEWARD_PROVENANCE_CERT`` (PEM chain, signer
first) and ``STEWARD_PROVENANCE_CERT_KEY`` (its PEM key); neither set means images pass
unsigned, one without the other is a configuration error.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from steward.errors import InputError
from steward.provenance.image import SigningCredentials, load_credentials, sign_image
from steward.settings import Settings

__all__ = ["CERT_ENV", "CERT_KEY_ENV", "IMAGES_MAX", "credentials_from_env", "sign_images_answer"]

CERT_ENV = "STEWARD_PROVENANCE_CERT"
CERT_KEY_ENV = "STEWARD_PROVENANCE_CERT_KEY"
#: Most images signed from one answer (OpenAI's API allows n up to 10).
IMAGES_MAX = 16


def credentials_from_env(environ: Mapping[str, str] | None = None) -> SigningCredentials | None:
    """The configured signing certificate and key, checked; None when neither is set.

    The variables are read from ``environ`` when given, else from the environment.
    """
    settings = Settings.from_env(environ=environ)
    cert, key = settings.provenance_cert, settings.provenance_cert_key
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        missing = CERT_ENV if cert is None else CERT_KEY_ENV
        raise InputError(f"must be set too: {CERT_ENV} and {CERT_KEY_ENV} go together", field=missing)
    return load_credentials(cert, key)


def sign_images_answer(
    answer: dict[str, Any],
    credentials: SigningCredentials,
    *,
    generator: str,
    guardrail: str | None = None,
    steward_version: str = "",
) -> int:
    """Sign every ``b64_json`` image of ``answer`` in place; the number signed.

    An :class:`InputError` names the image at fault (``data[1].b64_json``): not base64, not an
    image, or given as a URL.
    """
    data = answer.get("data")
    if not isinstance(data, list):
        raise InputError("has no 'data' list of images", field="answer")
    if len(data) > IMAGES_MAX:
        raise InputError(f"holds {len(data)} images, over the limit of {IMAGES_MAX}", field="answer.data")
    signed = 0
    for i, item in enumerate(data):
        where = f"data[{i}]"
        if not isinstance(item, dict):
            raise InputError("is not an object", field=where)
        encoded = item.get("b64_json")
        if not isinstance(encoded, str):
            if "url" in item:
                raise InputError(
                    "is an image URL; Steward signs only images sent inline "
                    "(ask the upstream for response_format b64_json)",
                    field=where,
                )
            raise InputError("has no b64_json image", field=where)
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise InputError("is not base64", field=f"{where}.b64_json") from None
        image = sign_image(
            raw,
            credentials,
            generator=generator,
            guardrail=guardrail,
            steward_version=steward_version,
            name=f"{where}.b64_json",
        )
        item["b64_json"] = base64.b64encode(image).decode("ascii")
        signed += 1
    return signed
