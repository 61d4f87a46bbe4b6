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

    report = client.get("/v1/audit/verify", headers=admin).json()
    assert report["intact"] is True and report["verified"] >= 3, report
