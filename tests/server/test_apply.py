from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from server_helpers import SMALL_POLICY, apply_body

from steward.audit.search import AuditQuery, search
from steward.server.state import ServerState


def _apply(client: TestClient, headers: dict[str, str], gid: str, version: str, body: dict[str, Any]) -> Any:
    return client.post(f"/guardrail/{gid}/version/{version}/apply", json=body, headers=headers)


def test_masks_and_answers_in_bedrock_shape(
    client: TestClient, app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail()
    r = _apply(client, app_key, gid, "1", apply_body("write to ann@example.org please"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["action"] == "GUARDRAIL_INTERVENED"
    assert body["outputs"] == [{"text": "write to {EMAIL} please"}]
    assert set(body) >= {"usage", "action", "actionReason", "outputs", "assessments", "guardrailCoverage"}
    pii = body["assessments"][0]["sensitiveInformationPolicy"]["piiEntities"]
    assert pii == [{"match": "ann@example.org", "type": "EMAIL", "action": "ANONYMIZED", "detected": True}]
    assert body["assessments"][0]["appliedGuardrailDetails"]["guardrailVersion"] == "1"
    assert body["guardrailCoverage"] == {"textCharacters": {"guarded": 31, "total": 31}}
    finding = body["steward"]["findings"][0]
    assert (finding["start"], finding["end"]) == (9, 24)
    assert body["steward"]["requestId"] == r.headers["x-steward-request-id"]


def test_passes_clean_text(
    client: TestClient, app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail()
    body = _apply(client, app_key, gid, "1", apply_body("a perfectly ordinary sentence")).json()
    assert body["action"] == "NONE"
    assert body["outputs"] == []


def test_blocks_with_the_policy_message(
    client: TestClient, app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail()
    body = _apply(client, app_key, gid, "1", apply_body("tell me about zorblax")).json()
    assert body["action"] == "GUARDRAIL_INTERVENED"
    assert body["outputs"] == [{"text": "Sorry, I can't help with that request."}]
    words = body["assessments"][0]["wordPolicy"]["customWords"]
    assert words[0]["action"] == "BLOCKED"


def test_guard_content_qualifier_limits_what_is_checked(
    client: TestClient, app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail()
    body = {
        "source": "INPUT",
        "content": [
            {"text": {"text": "context mentioning zorblax"}},
            {"text": {"text": "the question", "qualifiers": ["guard_content"]}},
        ],
    }
    out = _apply(client, app_key, gid, "1", body).json()
    assert out["action"] == "NONE"
    assert out["guardrailCoverage"]["textCharacters"] == {"guarded": 12, "total": 38}
    # Without the qualifier every block is checked, so the word in the first block is found.
    both = _apply(client, app_key, gid, "1", apply_body("context mentioning zorblax", "the question")).json()
    assert both["action"] == "GUARDRAIL_INTERVENED"


def test_grounding_and_query_blocks_are_not_guarded(
    client: TestClient, app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail()
    body = {
        "source": "OUTPUT",
        "content": [
            {"text": {"text": "zorblax is in the source", "qualifiers": ["grounding_source"]}},
            {"text": {"text": "what is zorblax?", "qualifiers": ["query"]}},
            {"text": {"text": "an answer"}},
        ],
    }
    out = _apply(client, app_key, gid, "1", body).json()
    assert out["action"] == "NONE"
    assert out["guardrailCoverage"]["textCharacters"]["guarded"] == len("an answer")


def test_draft_alias_latest_and_arn_resolve(
    client: TestClient, admin: dict[str, str], app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail()
    blocking = {**SMALL_POLICY, "word_filters": {"words": ["zorblax", "quuxle"]}}
    assert client.put(f"/v1/guardrails/{gid}", json={"policy": blocking}, headers=admin).status_code == 200
    text = apply_body("say quuxle")
    assert _apply(client, app_key, gid, "1", text).json()["action"] == "NONE"
    assert _apply(client, app_key, gid, "DRAFT", text).json()["action"] == "GUARDRAIL_INTERVENED"
    client.post(f"/v1/guardrails/{gid}/versions", json={}, headers=admin)
    assert _apply(client, app_key, gid, "latest", text).json()["action"] == "GUARDRAIL_INTERVENED"
    client.put(f"/v1/guardrails/{gid}/aliases/production", json={"version": 1}, headers=admin)
    assert _apply(client, app_key, gid, "production", text).json()["action"] == "NONE"
    arn = f"arn:aws:bedrock:us-east-1:123456789012:guardrail/{gid}"
    r = _apply(client, app_key, arn, "2", text)
    assert r.json()["action"] == "GUARDRAIL_INTERVENED"


def test_draft_edits_are_seen_at_once(
    client: TestClient, admin: dict[str, str], app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail(version=False)
    text = apply_body("say quuxle")
    assert _apply(client, app_key, gid, "DRAFT", text).json()["action"] == "NONE"
    blocking = {**SMALL_POLICY, "word_filters": {"words": ["quuxle"]}}
    # Change the DRAFT behind the server's back (as another process would): the revision check sees it.
    state: ServerState = client.app.state.steward  # type: ignore[attr-defined]
    from steward.policy import parse_policy

    state.guardrails.update(gid, policy=parse_policy(blocking))
    assert _apply(client, app_key, gid, "DRAFT", text).json()["action"] == "GUARDRAIL_INTERVENED"


def test_unknown_guardrail_version_and_alias_are_404(
    client: TestClient, app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail()
    for path, word in (
        ("nosuchguardrail/version/1", "guardrail"),
        (f"{gid}/version/7", "version"),
        (f"{gid}/version/prod", "alias"),
    ):
        r = client.post(f"/guardrail/{path}/apply", json=apply_body("hi"), headers=app_key)
        assert r.status_code == 404
        assert r.headers["x-amzn-errortype"] == "ResourceNotFoundException"
        assert word in r.json()["message"]


def test_every_decision_is_audited_with_redacted_matches(
    client: TestClient, state: ServerState, app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail()
    r = _apply(client, app_key, gid, "1", apply_body("mail ann@example.org"))
    request_id = r.headers["x-steward-request-id"]
    state.audit.flush()
    records = search(state.sessions, AuditQuery(guardrail_id=gid))["records"]
    assert len(records) == 1
    record = records[0]
    assert record["requestId"] == request_id
    assert record["version"] == "1"
    assert record["action"] == "GUARDRAIL_INTERVENED"
    assert record["findingTypes"] == ["EMAIL"]
    assert record["findings"][0]["match"] != "ann@example.org"
    assert "ann@example.org" not in str(record)
    assert record["callerKeyId"] == app_key["Authorization"].split()[1].split(".")[0]


def test_policy_can_keep_matched_text_in_the_audit(
    client: TestClient, state: ServerState, app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    gid = new_guardrail({**SMALL_POLICY, "audit": {"keep_matched_text": True}})
    _apply(client, app_key, gid, "1", apply_body("mail ann@example.org"))
    state.audit.flush()
    stored = search(state.sessions, AuditQuery(guardrail_id=gid))["records"][0]
    assert stored["findings"][0]["match"] is None  # without the sealer no clear text comes back
    record = search(state.sessions, AuditQuery(guardrail_id=gid), sealer=state.keys.sealer)["records"][0]
    assert record["findings"][0]["match"] == "ann@example.org"


def test_full_output_scope_lists_findings_that_did_not_act(
    client: TestClient, app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    policy = {
        **SMALL_POLICY,
        "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "NONE"}]},
    }
    gid = new_guardrail(policy)
    text = "mail ann@example.org"
    quiet = _apply(client, app_key, gid, "1", apply_body(text)).json()
    full = _apply(client, app_key, gid, "1", apply_body(text, outputScope="FULL")).json()
    assert quiet["action"] == full["action"] == "NONE"
    assert "sensitiveInformationPolicy" not in quiet["assessments"][0]
    assert full["assessments"][0]["sensitiveInformationPolicy"]["piiEntities"][0]["action"] == "NONE"


def test_inline_check_returns_scores_and_offsets(client: TestClient, app_key: dict[str, str]) -> None:
    r = client.post(
        "/v1/check", json={"text": "mail ann@example.org", "policy": SMALL_POLICY}, headers=app_key
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["action"] == "GUARDRAIL_INTERVENED"
    assert body["output"] == "mail {EMAIL}"
    assert (body["findings"][0]["start"], body["findings"][0]["end"]) == (5, 20)
    assert "scores" in body and body["requestId"] == r.headers["x-steward-request-id"]
    by_pack = client.post("/v1/check", json={"text": "hello", "pack": "pii-mask"}, headers=app_key)
    assert by_pack.json()["action"] == "NONE"


def test_inline_check_names_bad_policy_fields(client: TestClient, app_key: dict[str, str]) -> None:
    bad = {**SMALL_POLICY, "content_filters": [{"category": "NOPE"}]}
    r = client.post("/v1/check", json={"text": "x", "policy": bad}, headers=app_key)
    assert r.status_code == 400
    assert "content_filters[0].category" in r.json()["message"]
    r = client.post("/v1/check", json={"text": "x"}, headers=app_key)
    assert r.status_code == 400 and "exactly one" in r.json()["message"]


def test_long_texts_are_checked_off_the_event_loop(
    client: TestClient, app_key: dict[str, str], new_guardrail: Callable[..., str]
) -> None:
    import threading

    import anyio

    from steward.server.offload import OFFLOAD_MIN_CHARS, run_guard

    def where() -> str:
        return threading.current_thread().name

    async def both() -> tuple[str, str]:
        return await run_guard(10, where), await run_guard(OFFLOAD_MIN_CHARS, where)

    inline, offloaded = anyio.run(both)
    assert inline == threading.current_thread().name and offloaded != inline

    gid = new_guardrail()
    text = "lorem ipsum " * 1000 + "mail ann@example.org"
    body = _apply(client, app_key, gid, "1", apply_body(text)).json()
    assert body["outputs"] == [{"text": "lorem ipsum " * 1000 + "mail {EMAIL}"}]
    assert body["steward"]["findings"][0]["start"] == 12_005
