"""The review and end-user routes, end to end through the server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from review_helpers import headers

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "govern"))
from govern_builders import system_doc

POLICY: dict[str, Any] = {
    "name": "reviewed",
    "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "REVIEW"}]},
    "word_filters": {"words": ["grapefruit"], "action": "BLOCK"},
}
TEXT = "write to carol@example.com please"


def _guardrail(client: TestClient, keys: dict[str, dict[str, str]], policy: dict[str, Any] = POLICY) -> str:
    gid = "r" + uuid.uuid4().hex[:12]
    admin = headers(keys, "admin")
    assert client.post("/v1/guardrails", json={"id": gid, "policy": policy}, headers=admin).status_code == 201
    assert client.post(f"/v1/guardrails/{gid}/versions", json={}, headers=admin).status_code == 201
    return gid


def _apply(client: TestClient, keys: dict[str, dict[str, str]], gid: str, text: str, app: str = "app") -> Any:
    body = {"source": "INPUT", "content": [{"text": {"text": text}}]}
    r = client.post(f"/guardrail/{gid}/version/1/apply", json=body, headers=headers(keys, app))
    assert r.status_code == 200, r.text
    return r.json()


def _item_for(client: TestClient, keys: dict[str, dict[str, str]], request_id: str) -> dict[str, Any]:
    r = client.get("/v1/review/items", params={"limit": 1000}, headers=headers(keys, "reviewer"))
    assert r.status_code == 200
    (item,) = [i for i in r.json()["items"] if i["requestId"] == request_id]
    return item


def test_apply_answers_at_once_and_queues_the_review(
    review_app: TestClient, review_keys: dict[str, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    gid = _guardrail(review_app, review_keys)
    with caplog.at_level(logging.DEBUG):
        out = _apply(review_app, review_keys, gid, TEXT)
        item = _item_for(review_app, review_keys, out["steward"]["requestId"])  # the writer has stored it
    assert f"review item {item['id']} opened" in caplog.text and "carol" not in caplog.text  # no text logged
    assert out["action"] == "NONE"  # review_answer ORIGINAL: the caller gets the text as it came
    assert out["steward"]["review"] == {
        "required": True,
        "rules": ["sensitive_information.pii_entities[EMAIL]"],
    }
    assert (item["state"], item["reason"], item["guardrailId"], item["version"]) == (
        "open",
        "policy_review",
        gid,
        "1",
    )
    assert "text" not in item  # listings never carry the text
    full = review_app.get(f"/v1/review/items/{item['id']}", headers=headers(review_keys, "reviewer")).json()
    assert full["text"] == TEXT and full["findings"][0]["start"] == TEXT.index("carol")


def test_text_that_needs_no_review_is_not_queued(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    gid = _guardrail(review_app, review_keys)
    out = _apply(review_app, review_keys, gid, "I like grapefruit")
    assert out["action"] == "GUARDRAIL_INTERVENED" and "review" not in out["steward"]
    r = review_app.get("/v1/review/items", params={"limit": 1000}, headers=headers(review_keys, "reviewer"))
    assert all(i["requestId"] != out["steward"]["requestId"] for i in r.json()["items"])


def test_a_reviewer_overturns_and_the_export_is_a_steward_eval_file(
    review_app: TestClient, review_keys: dict[str, dict[str, str]], tmp_path: Any
) -> None:
    gid = _guardrail(review_app, review_keys)
    out = _apply(review_app, review_keys, gid, TEXT)
    item_id = _item_for(review_app, review_keys, out["steward"]["requestId"])["id"]
    rev = headers(review_keys, "reviewer")
    assert review_app.post(f"/v1/review/items/{item_id}/claim", headers=rev).json()["state"] == "claimed"
    r = review_app.post(
        f"/v1/review/items/{item_id}/overturn",
        json={"label": 1, "category": "CONTACT", "explanation": "contact details must be masked"},
        headers=rev,
    )
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["outcome"], r.json()["label"]) == ("resolved", "overturned", 1)
    assert [h["action"] for h in r.json()["history"]] == ["create", "claim", "overturned"]
    assert r.json()["history"][-1]["actor"] == review_keys["reviewer"]["x-key-id"]
    export = review_app.get("/v1/review/export", params={"overturnedOnly": "true"}, headers=rev)
    assert export.status_code == 200 and export.headers["content-type"].startswith("application/x-ndjson")
    rows = [json.loads(line) for line in export.text.splitlines()]
    (row,) = [r for r in rows if r["review_item"] == item_id]
    assert {k: row[k] for k in ("text", "label", "category", "source", "group")} == {
        "text": TEXT,
        "label": 1,
        "category": "CONTACT",
        "source": "input",
        "group": "policy_review",
    }


@pytest.mark.parametrize(
    ("path", "body", "status", "problem"),
    [
        ("/v1/review/items/{missing}/claim", None, 404, "not found"),
        ("/v1/review/items/{item}/confirm", {}, 409, "is open, not claimed"),
        ("/v1/review/items/{item}/overturn", {"label": 2}, 400, "label"),
        ("/v1/review/items/{item}/overturn", {"label": 1, "category": "a b"}, 400, "category"),
        ("/v1/review/items/{item}/comment", {"note": "x" * 5000}, 400, "note"),
        ("/v1/review/items/{item}/comment", {"nope": 1}, 400, "nope"),
        ("/v1/review/items/{item}/comment", {"note": "bad \ud800 half"}, 400, "note"),
    ],
)
def test_clear_4xx_for_unknown_ids_wrong_state_and_bad_bodies(
    review_app: TestClient,
    review_keys: dict[str, dict[str, str]],
    path: str,
    body: dict[str, Any] | None,
    status: int,
    problem: str,
) -> None:
    gid = _guardrail(review_app, review_keys)
    out = _apply(review_app, review_keys, gid, TEXT)
    item_id = _item_for(review_app, review_keys, out["steward"]["requestId"])["id"]
    url = path.format(item=item_id, missing="f" * 32)
    raw = json.dumps(body)  # ASCII JSON: a lone surrogate travels as its \u escape
    r = review_app.post(
        url, content=raw, headers={**headers(review_keys, "reviewer"), "content-type": "application/json"}
    )
    assert r.status_code == status, r.text
    assert problem in r.json()["message"]


@pytest.mark.parametrize("role", ["app", "auditor"])
def test_only_reviewers_and_admins_use_the_queue(
    review_app: TestClient, review_keys: dict[str, dict[str, str]], role: str
) -> None:
    r = review_app.get("/v1/review/items", headers=headers(review_keys, role))
    assert r.status_code == 403 and "may not do this" in r.json()["message"]
    assert review_app.get("/v1/review/items").status_code == 401
    assert review_app.get("/v1/review/items", headers=headers(review_keys, "admin")).status_code == 200


def test_an_appeal_reaches_a_reviewer_and_its_outcome_the_user(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    gid = _guardrail(review_app, review_keys)
    out = _apply(review_app, review_keys, gid, "I like grapefruit")  # blocked by the word filter
    request_id = out["steward"]["requestId"]
    app = headers(review_keys, "app")
    r = review_app.post(
        "/v1/appeals",
        json={
            "requestId": request_id,
            "reason": "grapefruit is a fruit",
            "text": "I like grapefruit",
            "userId": "u1",
        },
        headers=app,
    )
    assert r.status_code == 201, r.text
    appeal = r.json()
    assert appeal["state"] == "open" and "outcome" not in appeal
    item = _item_for(review_app, review_keys, request_id)
    assert item["reason"] == "appeal" and item["blocked"] is True
    # Another application may not read it, nor appeal this application's decisions.
    assert (
        review_app.get(f"/v1/appeals/{appeal['id']}", headers=headers(review_keys, "app2")).status_code == 404
    )
    other = review_app.post(
        "/v1/appeals", json={"requestId": request_id, "reason": "x"}, headers=headers(review_keys, "app2")
    )
    assert other.status_code == 403
    rev = headers(review_keys, "reviewer")
    review_app.post(f"/v1/review/items/{item['id']}/claim", headers=rev)
    done = review_app.post(
        f"/v1/review/items/{item['id']}/overturn",
        json={"label": 0, "explanation": "A fruit, not a banned word in this context."},
        headers=rev,
    )
    assert done.status_code == 200, done.text
    status = review_app.get(f"/v1/appeals/{appeal['id']}", headers=app).json()
    assert status["state"] == "resolved" and status["outcome"] == "overturned"
    assert status["explanation"] == "A fruit, not a banned word in this context."


def test_appeals_name_what_is_wrong(review_app: TestClient, review_keys: dict[str, dict[str, str]]) -> None:
    app = headers(review_keys, "app")
    r = review_app.post("/v1/appeals", json={"requestId": "f" * 32, "reason": "why"}, headers=app)
    assert r.status_code == 404 and "decision with request id" in r.json()["message"]
    r = review_app.post("/v1/appeals", json={"requestId": "abc", "reason": ""}, headers=app)
    assert r.status_code == 400 and "reason" in r.text
    assert review_app.get("/v1/appeals/nope", headers=app).status_code == 404


def test_four_eyes_over_http_needs_two_different_reviewers(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    gid = _guardrail(review_app, review_keys, {**POLICY, "review": {"four_eyes": True}})
    out = _apply(review_app, review_keys, gid, TEXT)
    item_id = _item_for(review_app, review_keys, out["steward"]["requestId"])["id"]
    first, second = headers(review_keys, "reviewer"), headers(review_keys, "reviewer2")
    review_app.post(f"/v1/review/items/{item_id}/claim", headers=first)
    assert (
        review_app.post(f"/v1/review/items/{item_id}/confirm", json={}, headers=first).json()["state"]
        == "open"
    )
    again = review_app.post(f"/v1/review/items/{item_id}/claim", headers=first)
    assert again.status_code == 403 and "second reviewer" in again.json()["message"]
    review_app.post(f"/v1/review/items/{item_id}/claim", headers=second)
    done = review_app.post(f"/v1/review/items/{item_id}/confirm", json={}, headers=second).json()
    assert (done["state"], done["outcome"]) == ("resolved", "confirmed")


def _consequential_system(client: TestClient, gid: str) -> None:
    """Register a credit system (consequential) in front of guardrail ``gid`` version 1."""
    from steward.govern.inventory import AISystem
    from steward.govern.repository import GovernanceStore

    doc = system_doc(id="sys-" + gid, eu_ai_act_tier="limited", guardrails=[{"id": gid, "version": "1"}])
    state = client.app.state.steward  # type: ignore[attr-defined]
    GovernanceStore(state.sessions).add_system(AISystem.model_validate(doc))
    client.app.state.review_services.consequential.refresh()  # type: ignore[attr-defined]


def test_every_decision_of_a_consequential_system_is_reviewed_by_four_eyes(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    gid = _guardrail(review_app, review_keys, {**POLICY, "review": {"four_eyes": "CONSEQUENTIAL"}})
    other = _guardrail(review_app, review_keys, {**POLICY, "review": {"four_eyes": "CONSEQUENTIAL"}})
    _apply(review_app, review_keys, gid, "warm up the services")
    _consequential_system(review_app, gid)
    out = _apply(review_app, review_keys, gid, "a perfectly ordinary application")
    assert out["action"] == "NONE" and "review" not in out["steward"]
    item = _item_for(review_app, review_keys, out["steward"]["requestId"])
    assert (item["reason"], item["fourEyes"]) == ("consequential_system", True)
    plain = _apply(review_app, review_keys, other, "a perfectly ordinary application")
    r = review_app.get("/v1/review/items", params={"limit": 1000}, headers=headers(review_keys, "reviewer"))
    assert all(i["requestId"] != plain["steward"]["requestId"] for i in r.json()["items"])
    flagged = _apply(review_app, review_keys, other, TEXT)  # not consequential: one reviewer suffices
    assert _item_for(review_app, review_keys, flagged["steward"]["requestId"])["fourEyes"] is False


def test_the_notice_of_a_system_as_json_and_html(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    gid = _guardrail(review_app, review_keys, {**POLICY, "review": {"retention_days": 30}})
    _apply(review_app, review_keys, gid, "warm up the services")
    _consequential_system(review_app, gid)
    url = f"/v1/systems/sys-{gid}/notice"
    notice = review_app.get(url, headers=headers(review_keys, "app"))
    assert notice.status_code == 200, notice.text
    body = notice.json()
    assert body["ai_interaction"].startswith("You are interacting with an AI system: Credit pre-screening")
    assert (
        body["intended_uses"] == ["Ordering applications for underwriters."] and body["consequential"] is True
    )
    assert "at most 30 days" in " ".join(body["what_is_logged"])
    assert "72 hours" in body["feedback_and_appeals"] and "Lending" in body["reach_a_human"]
    page = review_app.get(url, params={"format": "html"}, headers=headers(review_keys, "auditor"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Credit pre-screening (1.0)</h1>" in page.text and "What it is for" in page.text
    missing = review_app.get("/v1/systems/no-such-system/notice", headers=headers(review_keys, "app"))
    assert missing.status_code == 404
    bad = review_app.get(url, params={"format": "pdf"}, headers=headers(review_keys, "app"))
    assert bad.status_code == 400 and "format" in bad.text
    assert review_app.get(url).status_code == 401


@pytest.mark.parametrize("stream", [False, True])
def test_a_handoff_request_reaches_a_person_instead_of_the_model(
    review_app: TestClient, review_keys: dict[str, dict[str, str]], stream: bool
) -> None:
    gid = _guardrail(review_app, review_keys)
    body = {
        "model": "any",
        "stream": stream,
        "messages": [{"role": "user", "content": "I want to talk to a human about my refund"}],
    }
    extra = {"x-steward-guardrail": f"{gid}:1", "x-steward-handoff": "1"}
    r = review_app.post("/v1/chat/completions", json=body, headers={**headers(review_keys, "app"), **extra})
    assert r.status_code == 200, r.text
    if stream:
        events = [json.loads(line[6:]) for line in r.text.splitlines() if line.startswith("data: {")]
        answer = "".join(e["choices"][0]["delta"].get("content", "") for e in events)
        handoff = events[-1]["steward"]["handoff"]
        assert r.text.rstrip().endswith("data: [DONE]")
    else:
        answer = r.json()["choices"][0]["message"]["content"]
        handoff = r.json()["steward"]["handoff"]
    assert answer == "Your request has been passed to a person, who will get back to you."
    item = review_app.get(
        f"/v1/review/items/{handoff['reviewItem']}", headers=headers(review_keys, "reviewer")
    ).json()
    assert (item["reason"], item["text"], item["guardrailId"]) == (
        "handoff",
        "I want to talk to a human about my refund",
        gid,
    )
    due = datetime.fromisoformat(item["dueAt"]) - datetime.fromisoformat(item["createdAt"])
    assert due == timedelta(hours=4)  # a person waiting: the hand-off SLA


def test_a_bad_handoff_header_is_a_clear_error(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    gid = _guardrail(review_app, review_keys)
    body = {"model": "any", "messages": [{"role": "user", "content": "hi"}]}
    extra = {"x-steward-guardrail": f"{gid}:1", "x-steward-handoff": "perhaps"}
    r = review_app.post("/v1/chat/completions", json=body, headers={**headers(review_keys, "app"), **extra})
    assert r.status_code == 400 and "x-steward-handoff" in r.json()["error"]["message"]
