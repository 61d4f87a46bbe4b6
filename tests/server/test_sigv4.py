"""Our SigV4 verifier against botocore's own signer (the reference implementation)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from server_helpers import sigv4_sign

from steward.errors import AuthError, InvalidSignatureError
from steward.server import sigv4


def _botocore_signed(path: str, body: bytes, query: str = "") -> AWSRequest:
    url = f"http://127.0.0.1:8080{path}" + (f"?{query}" if query else "")
    request = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("STWTESTKEY0000000000", "s3cr3t"), "bedrock", "us-east-1").add_auth(request)
    return request


def _verify(request: AWSRequest, path: str, body: bytes, *, secret: str = "s3cr3t", query: str = "") -> None:
    headers = {k.lower(): [v] for k, v in request.headers.items()}
    headers["host"] = ["127.0.0.1:8080"]
    credential = sigv4.parse_authorization(request.headers["Authorization"])
    sigv4.verify(
        credential, secret=secret, method="POST", raw_path=path, raw_query=query, headers=headers, body=body
    )


@pytest.mark.parametrize(
    "path",
    [
        "/guardrail/abc/version/1/apply",
        "/guardrail/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Aguardrail%2Fabc/version/DRAFT/apply",
    ],
)
def test_botocore_signatures_verify(path: str) -> None:
    body = b'{"source":"INPUT","content":[{"text":{"text":"h\\u00e9llo"}}]}'
    _verify(_botocore_signed(path, body), path, body)


def test_query_strings_are_canonicalised_like_botocore() -> None:
    body = b"{}"
    path, query = "/v1/audit", "b=2&a=1&c=x%20y"
    _verify(_botocore_signed(path, body, query), path, body, query=query)


def test_wrong_secret_or_changed_body_fails() -> None:
    path, body = "/guardrail/abc/version/1/apply", b'{"a":1}'
    request = _botocore_signed(path, body)
    with pytest.raises(InvalidSignatureError):
        _verify(request, path, body, secret="other")
    with pytest.raises(InvalidSignatureError):
        _verify(request, path, b'{"a":2}')
    with pytest.raises(InvalidSignatureError):
        _verify(request, path.replace("abc", "abd"), body)


def test_our_signer_matches_botocore() -> None:
    path, body = "/guardrail/abc/version/1/apply", b"{}"
    request = _botocore_signed(path, body)
    amz_date = request.headers["X-Amz-Date"]
    ours = sigv4_sign(
        access_key_id="STWTESTKEY0000000000",
        secret="s3cr3t",
        method="POST",
        raw_path=path,
        raw_query="",
        headers={"Content-Type": "application/json", "host": "127.0.0.1:8080", "X-Amz-Date": amz_date},
        body=body,
        region="us-east-1",
        service="bedrock",
        amz_date=amz_date,
    )
    assert ours.split("Signature=")[1] == request.headers["Authorization"].split("Signature=")[1]


def test_malformed_headers_are_auth_errors() -> None:
    for header in ("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA256 Credential=a/b/c, SignedHeaders=host, Signature=zz"):
        with pytest.raises(AuthError):
            sigv4.parse_authorization(header)
    cred = sigv4.parse_authorization(
        "AWS4-HMAC-SHA256 Credential=K/20240101/us-east-1/bedrock/aws4_request, SignedHeaders=x-amz-date, "
        "Signature=" + "0" * 64
    )
    with pytest.raises(InvalidSignatureError, match="Host"):
        sigv4.verify(
            cred,
            secret="s",
            method="POST",
            raw_path="/",
            raw_query="",
            headers={},
            body=b"",
            now=datetime.now(UTC),
        )
