"""The console over plain HTTP: session and CSRF rules, security headers, bad input as clear pages."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from console_helpers import Console, api_call, csrf_of, decision_in_review, http_sign_in
from fastapi.testclient import TestClient

from steward.store.keys import Role

PAGES = (
    "/console/overview",
    "/console/guardrails",
    "/console/guardrails/shop",
    "/console/guardrails/shop/diff?from=1&to=2",
    "/console/playground",
    "/console/audit",
    "/console/review",
)


def _alias(console: Console) -> int:
    return {a.name: a.version for a in console.state.guardrails.list_aliases("shop")}["prod"]


def test_every_page_has_a_csp_without_inline_script_and_csrf_on_every_post_form(
    console: Console, admin: httpx.Client
) -> None:
    for path in PAGES:
        page = admin.get(path)
        assert page.status_code == 200, path
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
        assert "<script>" not in page.text and " style=" not in page.text, path
        forms = re.findall(r"<form[^>]*method=\"post\".*?</form>", page.text, re.S)
        assert forms, path  # at least sign-out
        assert all('name="csrf"' in f for f in forms), path


def test_a_post_without_the_session_csrf_token_is_refused(console: Console, admin: httpx.Client) -> None:
    body = {"alias": "prod", "version": "1", "confirm": "yes"}
    assert admin.post("/console/guardrails/shop/aliases", data=body).status_code == 403
    with httpx.Client(base_url=console.url, timeout=30) as other:
        http_sign_in(other, console.keys[Role.ADMIN])
        foreign = csrf_of(other.get("/console/playground").text)
    answer = admin.post("/console/guardrails/shop/aliases", data={**body, "csrf": foreign})
    assert answer.status_code == 403 and "CSRF" in answer.text
    assert _alias(console) == 2


def test_revoking_the_api_key_ends_its_console_sessions(console: Console) -> None:
    key = console.state.keys.create(Role.AUDITOR, name="to-revoke")
    with httpx.Client(base_url=console.url, follow_redirects=False, timeout=30) as client:
        http_sign_in(client, key)
        assert client.get("/console/audit").status_code == 200
        console.state.keys.revoke(key.id)
        console.state.auth.forget(key.id)
        answer = client.get("/console/audit")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/console/sign-in")


def test_the_cookie_is_secure_when_served_over_tls(console: Console) -> None:
    client = TestClient(console.app, base_url="https://testserver", follow_redirects=False)
    answer = http_sign_in(client, console.keys[Role.ADMIN])
    cookie = answer.headers["set-cookie"]
    assert "steward_console=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
    assert "samesite=strict" in cookie.lower()


def test_sign_in_never_redirects_off_the_console(console: Console) -> None:
    with httpx.Client(base_url=console.url, follow_redirects=False, timeout=30) as client:
        form = client.get("/console/sign-in?next=//evil.example/x")
        answer = client.post(
            "/console/sign-in",
            data={
                "csrf": csrf_of(form.text),
                "key": console.keys[Role.ADMIN].bearer,
                "next": "//evil.example/x",
            },
        )
        assert answer.headers["location"] == "/console/overview"


def test_sign_in_without_the_form_cookie_is_refused(console: Console) -> None:
    with httpx.Client(base_url=console.url, follow_redirects=False, timeout=30) as client:
        answer = client.post(
            "/console/sign-in", data={"csrf": "guess", "key": console.keys[Role.ADMIN].bearer}
        )
        assert answer.status_code == 403 and "steward_console=" not in answer.headers.get("set-cookie", "")


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/console/overview?period=year", 400, "period"),
        ("/console/audit?since=yesterday", 400, "since"),
        ("/console/audit/abc", 400, "record"),
        ("/console/audit/999999999", 404, "not found"),
        ("/console/guardrails/nope", 404, "not found"),
        ("/console/guardrails/Bad%20Id", 400, "guardrail"),
        ("/console/guardrails/shop/diff?from=77", 400, "from: names no version of shop"),
        ("/console/review?state=done", 400, "state"),
        ("/console/review/no-such-item", 404, "not found"),
    ],
)
def test_bad_page_input_gets_a_page_naming_the_problem(
    admin: httpx.Client, path: str, status: int, says: str
) -> None:
    answer = admin.get(path)
    assert answer.status_code == status
    assert says in re.search(r'class="error"[^>]*>(.*?)</p>', answer.text, re.S).group(1)  # type: ignore[union-attr]


def test_bad_forms_get_a_clear_400(console: Console, admin: httpx.Client) -> None:
    csrf = csrf_of(admin.get("/console/playground").text)
    raw = b"csrf=" + csrf.encode() + b"&guardrail=shop&text=%FF%FE"
    answer = admin.post(
        "/console/playground", content=raw, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 400 and "not valid UTF-8" in answer.text
    answer = admin.post("/console/playground", json={"csrf": csrf})
    assert answer.status_code == 400 and "x-www-form-urlencoded" in answer.text
    answer = admin.post(
        "/console/guardrails/shop/aliases", data={"csrf": csrf, "alias": "prod", "version": "9" * 5000}
    )
    assert answer.status_code == 400 and "version" in answer.text
    answer = admin.post("/console/playground", data={"csrf": csrf, "guardrail": "ghost", "text": "hi"})
    assert answer.status_code == 404 and "ghost" in answer.text
    answer = admin.post(
        "/console/playground", data={"csrf": csrf, "guardrail": "shop", "text": "x" * 200_001}
    )
    assert answer.status_code in (400, 413) and "text" in answer.text and "200000" in answer.text
    answer = admin.post("/console/playground", data={"csrf": csrf, "guardrail": "shop", "text": "  "})
    assert answer.status_code == 400 and "empty" in answer.text
    assert _alias(console) == 2


def test_the_playground_stores_nothing(console: Console, admin: httpx.Client) -> None:
    before = console.state.audit.written
    csrf = csrf_of(admin.get("/console/playground").text)
    answer = admin.post(
        "/console/playground", data={"csrf": csrf, "guardrail": "shop", "text": "a@b.example.org"}
    )
    assert answer.status_code == 200 and "<mark" in answer.text
    console.state.audit.flush()
    assert console.state.audit.written == before


def test_review_actions_keep_the_queue_rules(console: Console) -> None:
    decision_in_review(console, "desk2", "reach me at kim@example.net")
    with httpx.Client(base_url=console.url, timeout=30) as api:
        items = api_call(api, "GET", "/v1/review/items", console.keys[Role.REVIEWER]).json()["items"]
    item_id = next(i["id"] for i in items if i["guardrailId"] == "desk2")
    other = console.state.keys.create(Role.REVIEWER, name="second-reviewer")
    with (
        httpx.Client(base_url=console.url, follow_redirects=False, timeout=30) as first,
        httpx.Client(base_url=console.url, follow_redirects=False, timeout=30) as second,
    ):
        http_sign_in(first, console.keys[Role.REVIEWER])
        http_sign_in(second, other)
        page = first.get(f"/console/review/{item_id}")
        assert page.status_code == 200 and 'id="claim-form"' in page.text
        csrf1, csrf2 = csrf_of(page.text), csrf_of(second.get("/console/review").text)
        assert first.post(f"/console/review/{item_id}/claim", data={"csrf": csrf1}).status_code == 303
        assert second.post(f"/console/review/{item_id}/claim", data={"csrf": csrf2}).status_code == 409
        refused = second.post(f"/console/review/{item_id}/confirm", data={"csrf": csrf2})
        assert refused.status_code in (403, 409)
        bad = first.post(f"/console/review/{item_id}/overturn", data={"csrf": csrf1, "label": "maybe"})
        assert bad.status_code == 400 and "label" in bad.text
        assert first.post(f"/console/review/{item_id}/delete", data={"csrf": csrf1}).status_code == 400
        assert first.post(f"/console/review/{item_id}/confirm", data={"csrf": csrf1}).status_code == 303
    with httpx.Client(base_url=console.url, timeout=30) as api:
        seen = api_call(api, "GET", f"/v1/review/items/{item_id}", console.keys[Role.REVIEWER]).json()
    assert seen["state"] == "resolved" and seen["outcome"] == "confirmed"


def _on_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def test_pages_read_the_database_in_worker_threads_not_on_the_event_loop(
    console: Console, admin: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, bool]] = []

    def spy(name: str, read: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            calls.append((name, _on_event_loop()))
            return read(*args, **kwargs)

        return wrapped

    sessions, keys = console.app.state.console_sessions, console.state.keys
    monkeypatch.setattr(sessions, "get", spy("session", sessions.get))
    monkeypatch.setattr(keys, "lookup", spy("key", keys.lookup))
    monkeypatch.setattr(
        console.state.guardrails, "list_all", spy("guardrails", console.state.guardrails.list_all)
    )
    for path in (
        *PAGES,
        "/console/monitoring",
        "/console/keys",
        "/console/feedback",
        "/console/overview?period=century",
    ):
        admin.get(path)
    assert {name for name, _ in calls} == {"session", "key", "guardrails"}
    assert [name for name, on_loop in calls if on_loop] == []
