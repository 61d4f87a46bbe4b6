"""End users' feedback and the appeals list over HTTP, on SQLite and PostgreSQL: feedback names a
decision made for the sending key (404 alike for an unknown id and another key's), lists come a
page at a time with cursors, and bad input is refused naming the field."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from review_helpers import headers

from steward.app.feedback import REMEMBER_S, FeedbackTargets
from steward.audit import retention
from steward.audit.record import AuditRecord
from steward.audit.writer import AuditWriter
from steward.errors import NotFoundError
from steward.server.auth import Caller
from steward.server.routers.feedback import AppealBody, appeal, check_target
from steward.store.keys import Role


def _decision(
    client: TestClient, keys: dict[str, dict[str, str]], name: str = "app", *, at: datetime | None = None
) -> str:
    """A decision made for key ``name`` (``at``: at that time), queued on the server's audit
    writer (not yet stored)."""
    request_id = uuid.uuid4().hex
    writer: AuditWriter = client.app.state.steward.audit  # type: ignore[attr-defined]
    writer.submit(
        AuditRecord(
            request_id=request_id,
            endpoint="apply",
            source="input",
            action="NONE",
            guardrail_id="fb-guard",
            version="1",
            caller_key_id=keys[name]["x-key-id"],
            **({} if at is None else {"created_at": at}),
        )
    )
    return request_id


def _post(client: TestClient, keys: dict[str, dict[str, str]], name: str, body: dict[str, Any]) -> Any:
    return client.post("/v1/feedback", json=body, headers=headers(keys, name))


def test_feedback_is_stored_with_the_user_as_a_keyed_hash(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    request_id = _decision(review_app, review_keys)
    body = {
        "requestId": request_id,
        "rating": 2,
        "category": "too_strict",
        "text": "it blocked my recipe",
        "userId": "user-42",
    }
    r = _post(review_app, review_keys, "app", body)
    assert r.status_code == 201, r.text
    listed = review_app.get(
        "/v1/feedback", params={"requestId": request_id}, headers=headers(review_keys, "auditor")
    )
    (fb,) = listed.json()["feedback"]
    assert (fb["rating"], fb["category"], fb["text"]) == (2, "too_strict", "it blocked my recipe")
    assert "user-42" not in json.dumps(fb) and len(fb["userHash"]) == 64
    assert _post(review_app, review_keys, "app", {**body, "rating": 5}).status_code == 201
    both = review_app.get(
        "/v1/feedback", params={"requestId": request_id}, headers=headers(review_keys, "reviewer")
    )
    assert len({f["userHash"] for f in both.json()["feedback"]}) == 1  # one user, linkable, unnamed


def test_feedback_on_an_unknown_or_another_keys_request_is_the_same_404(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    theirs = _decision(review_app, review_keys, "app2")
    unknown = uuid.uuid4().hex
    answers = {
        rid: _post(review_app, review_keys, "app", {"requestId": rid, "rating": 1})
        for rid in (theirs, unknown)
    }
    for rid, answer in answers.items():
        assert answer.status_code == 404
        assert answer.json() == {"message": f"this API key's decision with request id {rid!r} not found"}
    assert _post(review_app, review_keys, "app2", {"requestId": theirs, "rating": 4}).status_code == 201
    # An admin may send feedback on any stored decision, never on one that does not exist.
    assert _post(review_app, review_keys, "admin", {"requestId": theirs, "rating": 3}).status_code == 201
    assert _post(review_app, review_keys, "admin", {"requestId": unknown, "rating": 3}).status_code == 404
    listed = review_app.get(
        "/v1/feedback", params={"requestId": theirs}, headers=headers(review_keys, "auditor")
    )
    assert sorted(f["rating"] for f in listed.json()["feedback"]) == [3, 4]
    nothing = review_app.get(
        "/v1/feedback", params={"requestId": unknown}, headers=headers(review_keys, "auditor")
    )
    assert nothing.json() == {"feedback": [], "next": None}


def test_feedback_waits_for_a_decision_the_audit_writer_still_holds(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    writer: AuditWriter = review_app.app.state.steward.audit  # type: ignore[attr-defined]
    gate = threading.Event()
    real = writer._write_batch

    def held(batch: list[Any]) -> None:
        gate.wait(10)
        real(batch)

    writer._write_batch = held  # type: ignore[method-assign]
    try:
        request_id = _decision(review_app, review_keys)
        threading.Timer(0.3, gate.set).start()
        assert writer.pending > 0  # queued, not stored: the route must wait for it
        r = _post(review_app, review_keys, "app", {"requestId": request_id, "rating": 5})
    finally:
        gate.set()
        writer._write_batch = real  # type: ignore[method-assign]
    assert r.status_code == 201, r.text


def test_a_decision_looked_up_once_is_checked_in_memory_after(
    review_app: TestClient, review_keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    request_id = _decision(review_app, review_keys)
    assert _post(review_app, review_keys, "app", {"requestId": request_id, "rating": 2}).status_code == 201
    store = review_app.app.state.review_services.voice.store  # type: ignore[attr-defined]

    def no_database(request_id: str) -> tuple[bool, str | None]:
        raise AssertionError("the second feedback on a known decision read the database")

    monkeypatch.setattr(store, "decision_caller", no_database)
    assert _post(review_app, review_keys, "app", {"requestId": request_id, "rating": 3}).status_code == 201
    # Known, but another key's: still the 404 (memory says no; the database is asked again, alike).
    monkeypatch.undo()
    assert _post(review_app, review_keys, "app2", {"requestId": request_id, "rating": 3}).status_code == 404


def _counted(monkeypatch: pytest.MonkeyPatch, store: Any, method: str) -> list[str]:
    """The request ids ``store.method`` is called with (the real read still runs)."""
    calls: list[str] = []
    real = getattr(store, method)

    def counting(request_id: str) -> Any:
        calls.append(request_id)
        return real(request_id)

    monkeypatch.setattr(store, method, counting)
    return calls


def _burst(client: TestClient, ask: Callable[[Request], Awaitable[Any]], times: int) -> list[Any]:
    """``ask(request)`` ``times`` times at once on one event loop, as concurrent requests to
    ``client``'s app run: each answer, or the exception it raised."""
    request = cast(Request, SimpleNamespace(app=client.app))

    async def burst() -> list[Any]:
        return await asyncio.gather(*(ask(request) for _ in range(times)), return_exceptions=True)

    return asyncio.run(burst())


def _stored_decision(client: TestClient, keys: dict[str, dict[str, str]]) -> str:
    """A decision made for key ``app``, stored (found by one read), never looked up."""
    request_id = _decision(client, keys)
    client.app.state.steward.audit.flush(timeout=5.0)  # type: ignore[attr-defined]
    return request_id


def test_concurrent_first_feedback_on_one_request_reads_the_database_once(
    review_app: TestClient, review_keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """64 checks at once of a decision this process never looked up share one read (they read
    it 64 times, in 64 worker threads); an unknown id is still refused to each."""
    request_id = _stored_decision(review_app, review_keys)
    store = review_app.app.state.review_services.voice.store  # type: ignore[attr-defined]
    reads = _counted(monkeypatch, store, "decision_caller")
    app = Caller(review_keys["app"]["x-key-id"], Role.APP)
    assert _burst(review_app, lambda request: check_target(request, request_id, app), 64) == [None] * 64
    assert reads == [request_id]
    unknown = uuid.uuid4().hex
    refused = _burst(review_app, lambda request: check_target(request, unknown, app), 8)
    assert all(isinstance(r, NotFoundError) for r in refused), refused


def test_concurrent_appeals_of_one_request_read_its_decision_once(
    review_app: TestClient, review_keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Appeals at once of one decision share the read of it; of an unknown id, the read, the
    flush of this process's audit writer and the read again: each appeal is still refused."""
    request_id = _stored_decision(review_app, review_keys)
    store = review_app.app.state.review_services.voice.store  # type: ignore[attr-defined]
    reads = _counted(monkeypatch, store, "decision")
    app = Caller(review_keys["app"]["x-key-id"], Role.APP)
    body = AppealBody(request_id=request_id, reason="unfair")
    answers = _burst(review_app, lambda request: appeal(body, request, app), 8)
    assert [a.status_code for a in answers] == [201] * 8, answers
    assert reads == [request_id]
    unknown = AppealBody(request_id=uuid.uuid4().hex, reason="unfair")
    refused = _burst(review_app, lambda request: appeal(unknown, request, app), 8)
    assert all(isinstance(r, NotFoundError) and "decision with request id" in str(r) for r in refused), (
        refused
    )
    assert reads == [request_id, unknown.request_id, unknown.request_id]


def test_a_decision_retention_deleted_is_forgotten_once_memory_expires(
    review_app: TestClient, review_keys: dict[str, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory trusts a looked-up decision for REMEMBER_S only: once retention deleted it, feedback
    on it is refused (404, as for any unknown id) after that, never accepted for ever."""
    now = [0.0]
    state = review_app.app.state  # type: ignore[attr-defined]
    check = FeedbackTargets(state.review_services.voice.store, state.steward.audit, clock=lambda: now[0])
    monkeypatch.setattr(state, "feedback_targets", check, raising=False)
    old = datetime(2001, 1, 1, tzinfo=UTC)  # older than any other record of the shared database
    request_id = _decision(review_app, review_keys, at=old)
    assert _post(review_app, review_keys, "app", {"requestId": request_id, "rating": 2}).status_code == 201
    assert check.allowed_in_memory(request_id, review_keys["app"]["x-key-id"], admin=False)
    # Retention deletes the decision (as the server's purge does, with its checkpoint).
    cutoff = datetime(2001, 1, 2, tzinfo=UTC)
    assert retention.prune(state.steward.sessions, before=cutoff, chain_key=state.steward.audit_key) == 1
    now[0] = REMEMBER_S + 1
    r = _post(review_app, review_keys, "app", {"requestId": request_id, "rating": 3})
    assert r.status_code == 404, r.text
    assert r.json() == {"message": f"this API key's decision with request id {request_id!r} not found"}


def test_feedback_pages_newest_first_with_a_cursor(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    request_id = _decision(review_app, review_keys)
    sent = []
    for rating in (1, 2, 3, 4, 5):
        r = _post(review_app, review_keys, "app", {"requestId": request_id, "rating": rating})
        assert r.status_code == 201, r.text
        sent.append(r.json()["id"])
    seen: list[str] = []
    params: dict[str, Any] = {"requestId": request_id, "limit": 2}
    pages = 0
    while True:
        r = review_app.get("/v1/feedback", params=params, headers=headers(review_keys, "reviewer"))
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["feedback"]) <= 2
        seen += [f["id"] for f in page["feedback"]]
        pages += 1
        if page["next"] is None:
            break
        params["after"] = page["next"]
    assert pages == 3 and sorted(seen) == sorted(sent) and len(seen) == 5  # each once
    ratings = [
        f["rating"]
        for f in review_app.get(
            "/v1/feedback", params={"requestId": request_id}, headers=headers(review_keys, "auditor")
        ).json()["feedback"]
    ]
    assert ratings == [5, 4, 3, 2, 1]  # newest first


@pytest.mark.parametrize(
    ("path", "after", "status", "words"),
    [
        (
            "/v1/feedback",
            "0123456789abcdef0123456789abcdef",
            400,
            "after: is not the cursor of a previous page",
        ),
        ("/v1/feedback", "not a cursor!", 400, "after"),
        ("/v1/feedback", "x" * 65, 400, "after"),
        (
            "/v1/appeals",
            "0123456789abcdef0123456789abcdef",
            400,
            "after: is not the cursor of a previous page",
        ),
        ("/v1/appeals", "<script>", 400, "after"),
    ],
)
def test_a_bad_cursor_is_refused_naming_it(
    review_app: TestClient,
    review_keys: dict[str, dict[str, str]],
    path: str,
    after: str,
    status: int,
    words: str,
) -> None:
    r = review_app.get(path, params={"after": after}, headers=headers(review_keys, "auditor"))
    assert r.status_code == status and words in r.json()["message"], r.text


def test_appeals_list_pages_and_filters_by_state(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    sent = []
    for n in range(3):
        request_id = _decision(review_app, review_keys)
        r = review_app.post(
            "/v1/appeals",
            json={"requestId": request_id, "reason": f"appeal {n}", "userId": "appealer"},
            headers=headers(review_keys, "app"),
        )
        assert r.status_code == 201, r.text
        sent.append(r.json()["id"])
    first = review_app.get(
        "/v1/appeals", params={"limit": 2}, headers=headers(review_keys, "reviewer")
    ).json()
    assert [a["id"] for a in first["appeals"]] == sent[::-1][:2]  # newest first
    second = review_app.get(
        "/v1/appeals", params={"limit": 2, "after": first["next"]}, headers=headers(review_keys, "reviewer")
    ).json()
    assert second["appeals"][0]["id"] == sent[0]
    newest = first["appeals"][0]
    assert newest["state"] == "open" and "outcome" not in newest and "explanation" not in newest
    assert newest["callerKeyId"] == review_keys["app"]["x-key-id"] and len(newest["userHash"]) == 64
    assert newest["item"]["reason"] == "appeal" and newest["item"]["guardrailId"] == "fb-guard"
    # Resolve the oldest: it leaves the open list and shows its outcome in the resolved one.
    reviewer = headers(review_keys, "reviewer")
    item = second["appeals"][0]["item"]["id"]
    assert review_app.post(f"/v1/review/items/{item}/claim", headers=reviewer).status_code == 200
    r = review_app.post(
        f"/v1/review/items/{item}/overturn", json={"label": 0, "explanation": "fine"}, headers=reviewer
    )
    assert r.status_code == 200, r.text
    listed = {
        state: {
            a["id"]: a
            for a in review_app.get(
                "/v1/appeals", params={"state": state, "limit": 1000}, headers=reviewer
            ).json()["appeals"]
        }
        for state in ("open", "resolved")
    }
    assert sent[0] not in listed["open"] and {sent[1], sent[2]} <= set(listed["open"])
    assert listed["resolved"][sent[0]]["outcome"] == "overturned"
    bad = review_app.get("/v1/appeals", params={"state": "lost"}, headers=reviewer)
    assert bad.status_code == 400 and "state" in bad.json()["message"]


@pytest.mark.parametrize(
    ("role", "status"), [("app", 403), ("reviewer", 200), ("auditor", 200), ("admin", 200)]
)
def test_appeals_and_feedback_lists_are_for_readers(
    review_app: TestClient, review_keys: dict[str, dict[str, str]], role: str, status: int
) -> None:
    for path in ("/v1/appeals", "/v1/feedback"):
        assert review_app.get(path, headers=headers(review_keys, role)).status_code == status


def test_a_user_whose_feedback_the_server_stored_is_forgotten_by_the_command(
    review_app: TestClient,
    review_keys: dict[str, dict[str, str]],
    package_db_url: str,
    review_key: bytes,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from steward.cli import main

    user, request_id = f"user-{uuid.uuid4().hex[:8]}", _decision(review_app, review_keys)
    for rating in (1, 2):
        body = {"requestId": request_id, "rating": rating, "userId": user}
        assert _post(review_app, review_keys, "app", body).status_code == 201
    kept = {"requestId": request_id, "rating": 5, "userId": "someone-else"}
    assert _post(review_app, review_keys, "app", kept).status_code == 201
    review_app.get("/v1/feedback", headers=headers(review_keys, "auditor"))  # stored by now
    # The command hashes the id as the server did (one key for both), so it finds the rows.
    monkeypatch.setenv("STEWARD_SECRET_KEY", review_key.decode("ascii"))
    result = CliRunner().invoke(
        main, ["db", "forget-subject", user, "--json", "--database-url", package_db_url]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["feedback"] == 2
    left = review_app.get(
        "/v1/feedback", params={"requestId": request_id}, headers=headers(review_keys, "auditor")
    )
    assert [f["rating"] for f in left.json()["feedback"]] == [5]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": "five"}, "rating"),
        ({"text": "x" * 2001}, "text"),
        ({"requestId": "has spaces"}, "requestId"),
        ({"userId": "u" * 300}, "userId"),
        ({"category": "a b"}, "category"),
        ({"extra": 1}, "extra"),
        ({"text": "half \udc00"}, "text"),
        ({"userId": "\ud800"}, "userId"),
    ],
)
def test_bad_feedback_is_refused_naming_the_field(
    review_app: TestClient, review_keys: dict[str, dict[str, str]], change: dict[str, Any], problem: str
) -> None:
    body = {"requestId": _decision(review_app, review_keys), "rating": 3, **change}
    raw = json.dumps(body)  # ASCII JSON: a lone surrogate travels as its \u escape
    r = review_app.post(
        "/v1/feedback",
        content=raw,
        headers={**headers(review_keys, "app"), "content-type": "application/json"},
    )
    assert r.status_code == 400 and problem in r.text


def test_feedback_needs_an_app_key(review_app: TestClient, review_keys: dict[str, dict[str, str]]) -> None:
    body = {"requestId": _decision(review_app, review_keys, "reviewer"), "rating": 3}
    assert _post(review_app, review_keys, "reviewer", body).status_code == 403
