"""boto3's own bedrock-runtime client, unchanged, against a real Steward server (SigV4 and all)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from live_server import serve_in_thread
from server_helpers import SMALL_POLICY

from steward.server.app import create_app
from steward.server.state import ServerState
from steward.settings import Settings
from steward.store.keys import NewKey, Role


@pytest.fixture
def live(server_settings: Settings) -> Iterator[tuple[str, ServerState]]:
    app = create_app(server_settings)
    with serve_in_thread(app) as url:
        yield url, app.state.steward


def _client(url: str, key_id: str, secret: str) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def guardrail(live: tuple[str, ServerState]) -> Callable[[], str]:
    import uuid

    from steward.policy import parse_policy

    def make() -> str:
        gid = "b" + uuid.uuid4().hex[:12]
        live[1].guardrails.create(gid, parse_policy(SMALL_POLICY))
        live[1].guardrails.create_version(gid)
        return gid

    return make


def test_apply_guardrail_with_boto3(live: tuple[str, ServerState], guardrail: Callable[[], str]) -> None:
    url, state = live
    key: NewKey = state.keys.create(Role.APP)
    gid = guardrail()
    client = _client(url, key.id, key.secret)
    resp = client.apply_guardrail(
        guardrailIdentifier=gid,
        guardrailVersion="1",
        source="INPUT",
        content=[{"text": {"text": "mail ann@example.org"}}],
    )
    assert resp["action"] == "GUARDRAIL_INTERVENED"
    assert resp["outputs"] == [{"text": "mail {EMAIL}"}]
    entity = resp["assessments"][0]["sensitiveInformationPolicy"]["piiEntities"][0]
    assert entity == {"match": "ann@example.org", "type": "EMAIL", "action": "ANONYMIZED", "detected": True}
    assert resp["usage"]["sensitiveInformationPolicyUnits"] == 1
    request_id = resp["ResponseMetadata"]["HTTPHeaders"]["x-steward-request-id"]
    assert resp["ResponseMetadata"]["RequestId"] == request_id
    state.audit.flush()
    from steward.audit.search import AuditQuery, search

    records = search(state.sessions, AuditQuery(guardrail_id=gid))["records"]
    assert [r["requestId"] for r in records] == [request_id]
    assert records[0]["callerKeyId"] == key.id


def test_boto3_qualifiers_output_scope_and_arn(
    live: tuple[str, ServerState], guardrail: Callable[[], str]
) -> None:
    url, state = live
    key = state.keys.create(Role.APP)
    gid = guardrail()
    client = _client(url, key.id, key.secret)
    resp = client.apply_guardrail(
        guardrailIdentifier=f"arn:aws:bedrock:us-east-1:123456789012:guardrail/{gid}",
        guardrailVersion="DRAFT",
        source="OUTPUT",
        outputScope="FULL",
        content=[
            {"text": {"text": "zorblax lives here", "qualifiers": ["grounding_source"]}},
            {"text": {"text": "plain answer", "qualifiers": ["guard_content"]}},
        ],
    )
    assert resp["action"] == "NONE"
    assert resp["guardrailCoverage"]["textCharacters"] == {"guarded": 12, "total": 30}


def test_boto3_sees_bedrock_error_types(live: tuple[str, ServerState], guardrail: Callable[[], str]) -> None:
    url, state = live
    key = state.keys.create(Role.APP)
    client = _client(url, key.id, key.secret)
    with pytest.raises(client.exceptions.ResourceNotFoundException, match="not found"):
        client.apply_guardrail(
            guardrailIdentifier="nosuch",
            guardrailVersion="1",
            source="INPUT",
            content=[{"text": {"text": "x"}}],
        )
    with pytest.raises(ClientError) as bad_secret:
        _client(url, key.id, "wrong-secret").apply_guardrail(
            guardrailIdentifier=guardrail(),
            guardrailVersion="1",
            source="INPUT",
            content=[{"text": {"text": "x"}}],
        )
    assert bad_secret.value.response["Error"]["Code"] == "InvalidSignatureException"
    reviewer = state.keys.create(Role.REVIEWER)
    with pytest.raises(client.exceptions.AccessDeniedException):
        _client(url, reviewer.id, reviewer.secret).apply_guardrail(
            guardrailIdentifier=guardrail(),
            guardrailVersion="1",
            source="INPUT",
            content=[{"text": {"text": "x"}}],
        )
