from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from server_helpers import SMALL_POLICY, apply_body


def _gid() -> str:
    return "g" + uuid.uuid4().hex[:12]


def _walk(
    client: TestClient, path: str, name: str, headers: dict[str, str], *, limit: int = 2
) -> list[dict[str, Any]]:
    """Every row of a paged list, following ``next`` (each page at most ``limit`` rows)."""
    rows: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": limit}
    while True:
        r = client.get(path, params=params, headers=headers)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page[name]) <= limit
        rows += page[name]
        if page["next"] is None:
            return rows
        params["after"] = page["next"]


def test_create_get_list_update_delete(client: TestClient, admin: dict[str, str]) -> None:
    gid = _gid()
    r = client.post("/v1/guardrails", json={"id": gid, "name": "Bot", "policy": SMALL_POLICY}, headers=admin)
    assert r.status_code == 201
    assert r.json()["draftRevision"] == 1
    got = client.get(f"/v1/guardrails/{gid}", headers=admin).json()
    assert got["policy"]["name"] == "small" and got["versions"] == [] and got["aliases"] == []
    assert gid in [g["id"] for g in _walk(client, "/v1/guardrails", "guardrails", admin, limit=1000)]
    r = client.put(f"/v1/guardrails/{gid}", json={"description": "edited"}, headers=admin)
    assert r.json()["description"] == "edited" and r.json()["draftRevision"] == 2
    assert client.delete(f"/v1/guardrails/{gid}", headers=admin).status_code == 204
    assert client.get(f"/v1/guardrails/{gid}", headers=admin).status_code == 404
    assert client.delete(f"/v1/guardrails/{gid}", headers=admin).status_code == 404


def test_create_from_a_pack_and_refuse_duplicates(client: TestClient, admin: dict[str, str]) -> None:
    gid = _gid()
    assert (
        client.post("/v1/guardrails", json={"id": gid, "pack": "pii-mask"}, headers=admin).status_code == 201
    )
    again = client.post("/v1/guardrails", json={"id": gid, "pack": "pii-mask"}, headers=admin)
    assert again.status_code == 409 and "already exists" in again.json()["message"]
    nopack = client.post("/v1/guardrails", json={"id": _gid(), "pack": "nonexistent"}, headers=admin)
    assert nopack.status_code == 400 and "nonexistent" in nopack.json()["message"]


def test_invalid_policy_and_id_name_the_field(client: TestClient, admin: dict[str, str]) -> None:
    bad = {
        **SMALL_POLICY,
        "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "EXPLODE"}]},
    }
    r = client.post("/v1/guardrails", json={"id": _gid(), "policy": bad}, headers=admin)
    assert r.status_code == 400
    assert "sensitive_information.pii_entities[0]" in r.json()["message"]
    r = client.post("/v1/guardrails", json={"id": "Bad Id!", "policy": SMALL_POLICY}, headers=admin)
    assert r.status_code == 400 and r.json()["message"].startswith("id:")
    r = client.post(
        "/v1/guardrails", json={"id": _gid(), "policy": {**SMALL_POLICY, "typo_field": 1}}, headers=admin
    )
    assert r.status_code == 400 and "typo_field" in r.json()["message"]


def test_versions_are_numbered_and_immutable(client: TestClient, admin: dict[str, str]) -> None:
    gid = _gid()
    client.post("/v1/guardrails", json={"id": gid, "policy": SMALL_POLICY}, headers=admin)
    v1 = client.post(f"/v1/guardrails/{gid}/versions", json={"description": "first"}, headers=admin).json()
    changed = {**SMALL_POLICY, "description": "second"}
    client.put(f"/v1/guardrails/{gid}", json={"policy": changed}, headers=admin)
    v2 = client.post(f"/v1/guardrails/{gid}/versions", json={"description": "second"}, headers=admin).json()
    assert (v1["version"], v2["version"]) == ("1", "2")
    listed = client.get(f"/v1/guardrails/{gid}/versions", headers=admin).json()["versions"]
    assert [v["description"] for v in listed] == ["first", "second"]
    assert (
        client.get(f"/v1/guardrails/{gid}/versions/1", headers=admin).json()["policy"]["description"]
        == "test policy"
    )
    assert (
        client.get(f"/v1/guardrails/{gid}/versions/2", headers=admin).json()["policy"]["description"]
        == "second"
    )
    assert client.get(f"/v1/guardrails/{gid}/versions/9", headers=admin).status_code == 404


def test_diff_lists_changed_fields_and_a_unified_diff(client: TestClient, admin: dict[str, str]) -> None:
    gid = _gid()
    client.post("/v1/guardrails", json={"id": gid, "policy": SMALL_POLICY}, headers=admin)
    client.post(f"/v1/guardrails/{gid}/versions", json={}, headers=admin)
    changed = {**SMALL_POLICY, "word_filters": {"words": ["zorblax", "quuxle"]}, "description": "v2"}
    client.put(f"/v1/guardrails/{gid}", json={"policy": changed}, headers=admin)
    diff = client.get(f"/v1/guardrails/{gid}/diff", params={"from": "1", "to": "DRAFT"}, headers=admin).json()
    fields = {c["field"]: c for c in diff["changes"]}
    assert fields["description"] == {
        "field": "description",
        "change": "changed",
        "old": "test policy",
        "new": "v2",
    }
    assert fields["word_filters.words"]["new"] == ["zorblax", "quuxle"]
    assert "+- quuxle" in diff["unified"] or "+  - quuxle" in diff["unified"]
    assert diff["from"] == f"{gid}:1" and diff["to"] == f"{gid}:DRAFT"


def test_alias_rollback(
    client: TestClient, admin: dict[str, str], app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail()
    strict = {**SMALL_POLICY, "word_filters": {"words": ["zorblax", "quuxle"]}}
    client.put(f"/v1/guardrails/{gid}", json={"policy": strict}, headers=admin)
    client.post(f"/v1/guardrails/{gid}/versions", json={"description": "stricter"}, headers=admin)
    url = f"/guardrail/{gid}/version/production/apply"
    text = apply_body("say quuxle")

    r = client.put(f"/v1/guardrails/{gid}/aliases/production", json={"version": 2}, headers=admin)
    assert r.status_code == 200 and r.json()["version"] == "2"
    assert client.post(url, json=text, headers=app_key).json()["action"] == "GUARDRAIL_INTERVENED"
    # Roll back: point the alias at version 1 again.
    client.put(f"/v1/guardrails/{gid}/aliases/production", json={"version": "1"}, headers=admin)
    assert client.post(url, json=text, headers=app_key).json()["action"] == "NONE"
    aliases = client.get(f"/v1/guardrails/{gid}/aliases", headers=admin).json()["aliases"]
    assert [(a["name"], a["version"]) for a in aliases] == [("production", "1")]
    assert client.delete(f"/v1/guardrails/{gid}/aliases/production", headers=admin).status_code == 204
    assert client.post(url, json=text, headers=app_key).status_code == 404


def test_alias_rules(client: TestClient, admin: dict[str, str], new_guardrail: Callable[..., str]) -> None:
    gid = new_guardrail()
    missing = client.put(f"/v1/guardrails/{gid}/aliases/prod", json={"version": 5}, headers=admin)
    assert missing.status_code == 404
    for name in ("draft", "latest", "9lives", "UPPER"):
        r = client.put(f"/v1/guardrails/{gid}/aliases/{name}", json={"version": 1}, headers=admin)
        assert r.status_code == 400, name
    r = client.put(f"/v1/guardrails/{gid}/aliases/prod", json={"version": "one"}, headers=admin)
    assert r.status_code == 400 and "version" in r.json()["message"]


def test_first_start_seeds_the_default_guardrail(fresh_db_url: str, server_data_dir: object) -> None:
    from pathlib import Path

    from steward.server.app import create_app
    from steward.settings import Settings
    from steward.store.keys import Role

    app = create_app(Settings(database_url=fresh_db_url, data_dir=Path(str(server_data_dir))))
    with TestClient(app) as c:
        key = app.state.steward.keys.create(Role.APP)
        r = c.post(
            "/guardrail/default/version/1/apply",
            json=apply_body("mail ann@example.org"),
            headers={"Authorization": f"Bearer {key.bearer}"},
        )
        assert r.status_code == 200
        assert r.json()["steward"]["policy"] == "default"
        assert r.json()["outputs"] == [{"text": "mail {EMAIL}"}]


def test_guardrails_and_versions_come_a_page_at_a_time(client: TestClient, admin: dict[str, str]) -> None:
    prefix = _gid()
    for n in (2, 0, 1):
        r = client.post("/v1/guardrails", json={"id": f"{prefix}-{n}", "policy": SMALL_POLICY}, headers=admin)
        assert r.status_code == 201, r.text
    walked = [g["id"] for g in _walk(client, "/v1/guardrails", "guardrails", admin, limit=7)]
    assert len(set(walked)) == len(walked)  # each once
    assert [g for g in walked if g.startswith(prefix)] == [f"{prefix}-{n}" for n in range(3)]
    gid = f"{prefix}-0"
    for n in range(5):
        assert (
            client.post(
                f"/v1/guardrails/{gid}/versions", json={"description": f"v{n + 1}"}, headers=admin
            ).status_code
            == 201
        )
    versions = _walk(client, f"/v1/guardrails/{gid}/versions", "versions", admin)
    assert [v["version"] for v in versions] == ["1", "2", "3", "4", "5"] and "policy" not in versions[0]
    first = client.get(f"/v1/guardrails/{gid}/versions", params={"limit": 2}, headers=admin).json()
    assert first["next"] == "2"
    for path, after, words in (
        ("/v1/guardrails", "no-such-guardrail", "after: is not the cursor of a previous page"),
        ("/v1/guardrails", "two words", "after: String should match pattern"),
        (
            f"/v1/guardrails/{gid}/versions",
            "latest",
            "after: is not the cursor of a previous page (a row number)",
        ),
        (f"/v1/guardrails/{gid}/versions", "6", "after: is not the cursor of a previous page"),
    ):
        r = client.get(path, params={"after": after}, headers=admin)
        assert r.status_code == 400 and words in r.json()["message"], (path, after, r.text)
    assert client.get(f"/v1/guardrails/{_gid()}/versions", headers=admin).status_code == 404
