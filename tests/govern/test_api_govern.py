"""The governance API on a real app, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from govern_builders import risk_doc, system_doc

from steward.server.app import create_app
from steward.settings import Settings
from steward.store.keys import Role

EVAL = {
    "recall": 0.95,
    "fpr": 0.01,
    "n": 500,
    "by_group": {"sex": {"F": {"recall": 0.94}, "M": {"recall": 0.96}}},
}


@pytest.fixture
def api(
    db_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[Role, dict[str, str]]]]:
    settings = Settings(
        database_url=db_url, data_dir=tmp_path_factory.mktemp("gov-api"), max_body_bytes=256 * 1024
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        keys = client.app.state.steward.keys  # type: ignore[attr-defined]
        headers = {role: {"Authorization": f"Bearer {keys.create(role).bearer}"} for role in Role}
        yield client, headers


def _sid() -> str:
    return f"api-{uuid.uuid4().hex[:8]}"


def test_full_flow_refusal_then_deployment(api: tuple[TestClient, dict[Role, dict[str, str]]]) -> None:
    client, keys = api
    admin, auditor = keys[Role.ADMIN], keys[Role.AUDITOR]
    sid = _sid()
    base = f"/v1/governance/systems/{sid}"
    created = client.post(
        "/v1/governance/systems", json=system_doc(id=sid, human_oversight="none"), headers=admin
    )
    assert created.status_code == 201, created.text
    refused = client.post(f"{base}/status", json={"status": "deployment"}, headers=admin)
    assert refused.status_code == 409 and refused.headers["x-amzn-ErrorType"] == "ConflictException"
    body = refused.json()
    assert "human oversight is 'none'" in body["message"] and body["decision"]["allowed"] is False
    assert client.get(base, headers=auditor).json()["status"] == "development"

    fixed = system_doc(id=sid)
    assert client.put(base, json=fixed, headers=admin).status_code == 200
    risk = client.post(
        f"{base}/risks", json={k: v for k, v in risk_doc().items() if k != "system_id"}, headers=admin
    )
    assert risk.status_code == 201 and risk.json()["inherent_rating"] == "critical"
    ev = client.post(
        f"{base}/evidence",
        json={
            "name": "holdout",
            "subject": "model:credit-lr",
            "subject_version": "1.0",
            "metrics": EVAL,
            "controls": ["nist-ai-rmf:MEASURE-2.1"],
        },
        headers=admin,
    )
    assert ev.status_code == 201, ev.text
    assert ev.json()["slices"]["sex=F"]["recall"] == 0.94 and ev.json()["recorded_by"].startswith("key:")
    again = client.post(
        f"{base}/evidence",
        json={"name": "holdout", "subject": "model:credit-lr", "subject_version": "1.0", "metrics": EVAL},
        headers=admin,
    )
    assert again.status_code == 409
    assert client.get(f"{base}/gate", headers=auditor).json()["allowed"] is True
    allowed = client.post(f"{base}/status", json={"status": "deployment"}, headers=admin)
    assert allowed.status_code == 200 and allowed.json()["allowed"] is True
    history = client.get(f"{base}/decisions", headers=keys[Role.REVIEWER]).json()["decisions"]
    assert [d["allowed"] for d in history] == [False, True]

    controls = client.get(f"{base}/controls", headers=auditor).json()["controls"]
    assert any(c["control"] == "nist-ai-rmf:MEASURE-2.1" and c["state"] == "met" for c in controls)
    cards = client.get(f"{base}/cards", params={"strict": True}, headers=auditor).json()
    assert f"{sid}-system-card" in cards["cards"] and cards["problems"] == []
    md = client.get(f"{base}/cards/{sid}-system-card", params={"format": "md"}, headers=auditor)
    assert md.headers["content-type"].startswith("text/markdown") and "0.95" in md.text
    html = client.get(f"{base}/risk-report", params={"format": "html"}, headers=auditor)
    assert html.status_code == 200 and "<table>" in html.text
    heat = client.get(f"{base}/heatmap", headers=auditor).json()
    assert heat["cells"] == [{"severity": 5, "likelihood": 4, "risks": ["r1"]}]
    exported = client.get("/v1/governance/register", headers=auditor)
    assert exported.headers["content-type"].startswith("application/yaml")
    assert any(s["id"] == sid for s in yaml.safe_load(exported.text)["systems"])


def test_roles_bad_input_and_unknown_ids(
    api: tuple[TestClient, dict[Role, dict[str, str]]], tmp_path: Path
) -> None:
    client, keys = api
    sid = _sid()
    doc = system_doc(id=sid)
    assert client.post("/v1/governance/systems", json=doc, headers=keys[Role.AUDITOR]).status_code == 403
    assert client.post("/v1/governance/systems", json=doc, headers=keys[Role.APP]).status_code == 403
    assert client.get("/v1/governance/systems", headers=keys[Role.APP]).status_code == 403
    assert client.get("/v1/governance/systems").status_code == 401
    missing = client.get("/v1/governance/systems/no-such-system", headers=keys[Role.AUDITOR])
    assert missing.status_code == 404 and missing.json()["message"] == "system 'no-such-system' not found"
    bad: dict[str, Any] = {**doc, "human_oversight": "sometimes"}
    rejected = client.post("/v1/governance/systems", json=bad, headers=keys[Role.ADMIN])
    assert rejected.status_code == 400 and "system: is invalid: human_oversight" in rejected.json()["message"]
    assert client.post("/v1/governance/systems", json=doc, headers=keys[Role.ADMIN]).status_code == 201
    severity = client.post(
        f"/v1/governance/systems/{sid}/risks",
        json={**risk_doc(), "system_id": sid, "severity": 7},
        headers=keys[Role.ADMIN],
    )
    assert (
        severity.status_code == 400
        and "severity: Input should be less than or equal to 5" in severity.json()["message"]
    )
    status = client.post(
        f"/v1/governance/systems/{sid}/status", json={"status": "live"}, headers=keys[Role.ADMIN]
    )
    assert status.status_code in (400, 422)
    broken = client.post("/v1/governance/register", content=b"systems: [unclosed\n", headers=keys[Role.ADMIN])
    assert broken.status_code == 400 and "register: is not valid YAML or JSON" in broken.json()["message"]
    control = client.post(
        f"/v1/governance/systems/{sid}/attestations",
        json={"name": "x", "statement": "y", "controls": ["made-up"]},
        headers=keys[Role.ADMIN],
    )
    assert control.status_code == 400 and "not a control reference" in control.json()["message"]


def _walk(client: TestClient, path: str, name: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    """Every row of a paged list, two at a time by following ``next``."""
    rows: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 2}
    while True:
        r = client.get(path, params=params, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page[name]) <= 2 and set(page) == {name, "next"}
        rows += page[name]
        if page["next"] is None:
            return rows
        params["after"] = page["next"]


def test_lists_come_a_page_at_a_time(api: tuple[TestClient, dict[Role, dict[str, str]]]) -> None:
    client, keys = api
    admin, auditor = keys[Role.ADMIN], keys[Role.AUDITOR]
    sid = _sid()
    base = f"/v1/governance/systems/{sid}"
    assert client.post("/v1/governance/systems", json=system_doc(id=sid), headers=admin).status_code == 201
    for n in (3, 1, 5, 2, 4):
        doc = {k: v for k, v in risk_doc(id=f"r{n}").items() if k != "system_id"}
        assert client.post(f"{base}/risks", json=doc, headers=admin).status_code == 201
    for n in range(3):
        body = {"name": f"check {n}", "statement": f"checked {n}"}
        assert client.post(f"{base}/attestations", json=body, headers=admin).status_code == 201
    text = dict.fromkeys(
        ("motivation", "composition", "collection", "preprocessing", "uses", "distribution", "maintenance"),
        "as described",
    )
    for n in range(3):
        sheet = {"id": f"{sid}-data-{n}", "name": f"data {n}", "version": "1", **text}
        assert client.post("/v1/governance/datasets", json=sheet, headers=admin).status_code == 201
    for _ in range(3):  # refused (the risks are untreated): each refusal is a recorded decision
        assert client.post(f"{base}/status", json={"status": "deployment"}, headers=admin).status_code == 409
    for path, name in (
        ("/v1/governance/systems", "systems"),
        (f"{base}/risks", "risks"),
        (f"{base}/evidence", "evidence"),
        (f"{base}/decisions", "decisions"),
        ("/v1/governance/datasets", "datasets"),
    ):
        whole = client.get(path, params={"limit": 1000}, headers=auditor).json()
        assert whole["next"] is None
        assert _walk(client, path, name, auditor) == whole[name], path  # the same rows, once each, in order
    assert [r["id"] for r in _walk(client, f"{base}/risks", "risks", auditor)] == [
        "r1",
        "r2",
        "r3",
        "r4",
        "r5",
    ]
    assert [e["name"] for e in _walk(client, f"{base}/evidence", "evidence", auditor)] == [
        "check 0",
        "check 1",
        "check 2",
    ]
    assert len(_walk(client, f"{base}/decisions", "decisions", auditor)) == 3
    assert sid in [s["id"] for s in _walk(client, "/v1/governance/systems", "systems", auditor)]
    sheets = [d["id"] for d in _walk(client, "/v1/governance/datasets", "datasets", auditor)]
    assert [d for d in sheets if d.startswith(sid)] == [f"{sid}-data-{n}" for n in range(3)]


@pytest.mark.parametrize(
    ("path", "after", "words"),
    [
        ("/v1/governance/systems", "no-such-system", "after: is not the cursor of a previous page"),
        ("/v1/governance/datasets", "no-such-sheet", "after: is not the cursor of a previous page"),
        ("/v1/governance/systems/{sid}/risks", "r9", "after: is not the cursor of a previous page"),
        ("/v1/governance/systems/{sid}/evidence", "0123456789abcdef", "after: is not the cursor"),
        (
            "/v1/governance/systems/{sid}/decisions",
            "abc",
            "after: is not the cursor of a previous page (a row number)",
        ),
        (
            "/v1/governance/systems/{sid}/decisions",
            "999999999",
            "after: is not the cursor of a previous page",
        ),
        ("/v1/governance/systems", "a b", "after: String should match pattern"),
        ("/v1/governance/systems", "x" * 65, "after:"),
    ],
)
def test_a_bad_cursor_is_a_400_naming_it(
    api: tuple[TestClient, dict[Role, dict[str, str]]], path: str, after: str, words: str
) -> None:
    client, keys = api
    sid = _sid()
    assert (
        client.post("/v1/governance/systems", json=system_doc(id=sid), headers=keys[Role.ADMIN]).status_code
        == 201
    )
    r = client.get(path.format(sid=sid), params={"after": after}, headers=keys[Role.AUDITOR])
    assert r.status_code == 400 and words in r.json()["message"], r.text
    limit = client.get(path.format(sid=sid), params={"limit": 1001}, headers=keys[Role.AUDITOR])
    assert limit.status_code == 400 and "limit" in limit.json()["message"]
