"""``GET /.well-known/steward-provenance-key``: the public key that verifies text receipts.

Anonymous on purpose: a public key is public, and whoever holds a receipt (an end user, an
auditor) must be able to check it without a Steward account. The answer is a JWK set
(RFC 7517) holding one Ed25519 key whose ``kid`` is the one every receipt's header names.
The key pair is made on first use in the data directory, or read from
``STEWARD_PROVENANCE_KEY``; a key file that cannot be read answers 503 naming the problem.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter, Request
from starlette.responses import Response

from steward.errors import InputError
from steward.server.errors import error_response
from steward.server.responses import json_response
from steward.server.state import get_state

__all__ = ["WELL_KNOWN_PATH", "router"]

WELL_KNOWN_PATH = "/.well-known/steward-provenance-key"

log = logging.getLogger(__name__)
router = APIRouter(tags=["provenance"])
_published: dict[str, dict[str, object]] = {}


@router.get(
    WELL_KNOWN_PATH,
    response_class=Response,
    summary="The public key (JWK set) that verifies text provenance receipts (no key needed)",
)
def provenance_key(request: Request) -> Response:
    """``{"keys": [<Ed25519 JWK>]}``; cacheable for an hour."""
    from steward.provenance.keys import load_signing_key, public_jwk, signing_key_path

    data_dir = get_state(request).settings.data_dir
    path = str(signing_key_path(data_dir))
    jwks = _published.get(path)
    if jwks is None:
        try:
            jwks = {"keys": [public_jwk(load_signing_key(data_dir).public_key())]}
        except InputError as exc:
            # An anonymous caller learns no file path; the operator finds it in the log.
            log.warning("the provenance key is unusable: %s", exc)
            return error_response(
                503, "ServiceUnavailableException", "the provenance key is unusable (see the server log)"
            )
        _published[path] = jwks
    return json_response(jwks, headers={"cache-control": "public, max-age=3600"})
