from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from server_helpers import apply_body

from steward.server.state import ServerState


def test_search_export_and_verify_over_http(
    client: TestClient,
    state: ServerState,
    admin: dict[str, str],
    app_key: dict[str, str],
    new_guardrail: Callable[..., str],
) -> None:
    gid = new_guardrail()
    url = f"/guardrail/{gid}/version/1/apply"
    ids = [
        client.post(url, json=apply_body(t), headers=app_key).headers["x-steward-request-id"]
        for t in ("a@b.co hi", "hi", "zorblax")
    ]
    state.audit.flush()

    page = client.get("/v1/audit", params={"guardrail": gid, "limit": 2}, headers=admin).json()
    assert [r["requestId"] for r in page["records"]] == ids[:0:-1]
    rest = client.get("/v1/audit", params={"guardrail": gid, "before": page["next"]}, headers=admin).json()
    assert [r["requestId"] for r in rest["records"]] == ids[:1]
    typed = client.get("/v1/audit", params={"guardrail": gid, "type": "EMAIL"}, headers=admin).json()
    assert [r["requestId"] for r in typed["records"]] == ids[:1]
    clean = client.get("/v1/audit", params={"guardrail": gid, "action": "NONE"}, headers=admin).json()
    assert [r["requestId"] for r in clean["records"]] == [ids[1]]

    jsonl = client.get("/v1/audit/export", params={"guardrail": gid}, headers=admin)
    assert jsonl.headers["content-type"].startswith("application/x-ndjson")
    assert [json.loads(line)["requestId"] for line in jsonl.text.splitlines()] == ids
    as_csv = client.get("/v1/audit/export", params={"guardrail": gid, "format": "csv"}, headers=admin)
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["requestId"] for r in rows] == ids and rows[0]["findingTypes"] == "EMAIL"

    by_policy = {
        policy: [
            r["requestId"]
            for r in client.get(
                "/v1/audit", params={"guardrail": gid, "policy": policy}, headers=admin
            ).json()["records"]
        ]
        for policy in ("pii", "sensitiveInformationPolicy", "word", "topic")
    }
    assert by_policy == {"pii": ids[:1], "sensitiveInformationPolicy": ids[:1], "word": ids[2:], "topic": []}
    words = client.get("/v1/audit/export", params={"guardrail": gid, "policy": "word"}, headers=admin)
    assert [json.loads(line)["requestId"] for line in words.text.splitlines()] == ids[2:]
    bad = client.get("/v1/audit", params={"policy": "personal"}, headers=admin)
    assert bad.status_code == 400 and bad.json()["message"].startswith("policy:")

    report = client.get("/v1/audit/verify", headers=admin).json()
    assert report["intact"] is True and report["verified"] >= 3, report


def test_the_policy_filter_takes_the_names_the_search_knows() -> None:
    from typing import get_args

    from steward.assessment import PolicyKind
    from steward.audit.search import POLICIES
    from steward.console.audit_pages import POLICY_LABELS
    from steward.server.routers.audit import PolicyName

    assert set(get_args(PolicyName)) == set(POLICIES) | {kind.value for kind in PolicyKind}
    assert list(POLICY_LABELS) == list(POLICIES)  # the console offers every short name
