"""Helpers of the console tests (a plain module: tests are not a package).

A Console is a running server with keys of every role; sign_in drives the sign-in form in
the browser, http_sign_in does the same with a plain HTTP client; accessibility_violations
runs the vendored axe-core; screenshot writes docs/console/<name>.png on request.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "server"))

from steward.server.state import ServerState
from steward.store.keys import NewKey, Role

__all__ = [
    "ADMIN_NAV",
    "AXE",
    "CHROMIUM",
    "POLICY_V1",
    "POLICY_V2",
    "Console",
    "accessibility_violations",
    "api_call",
    "check_page",
    "create_guardrail",
    "csrf_of",
    "decision_in_review",
    "http_sign_in",
    "screenshot",
    "sign_in",
]

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
SHOTS = Path(__file__).parent.parent.parent / "docs" / "console"

POLICY_V1: dict[str, Any] = {
    "name": "shop",
    "description": "shop assistant",
    "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "ANONYMIZE"}]},
}
POLICY_V2: dict[str, Any] = {
    **POLICY_V1,
    "word_filters": {"words": ["zorblax"]},
}


#: The main navigation an admin sees, in order (other roles see a part of it).
ADMIN_NAV = [
    "Overview",
    "Monitoring",
    "Guardrails",
    "Playground",
    "Audit",
    "Review",
    "Feedback",
    "Governance",
    "Keys",
]


@dataclass(frozen=True)
class Console:
    """The running server: its base URL, state and a key per role."""

    url: str
    app: Any
    state: ServerState
    keys: dict[Role, NewKey]
    request_ids: list[str]


def api_call(client: httpx.Client, method: str, path: str, key: NewKey, **kw: Any) -> httpx.Response:
    response = client.request(method, path, headers={"Authorization": f"Bearer {key.bearer}"}, **kw)
    assert response.status_code < 300, response.text
    return response


def create_guardrail(console: Console, guardrail_id: str, policy: dict[str, Any]) -> None:
    """Create guardrail ``guardrail_id`` with ``policy`` through the API (its DRAFT only)."""
    with httpx.Client(base_url=console.url, timeout=30) as client:
        body = {"id": guardrail_id, "policy": policy}
        api_call(client, "POST", "/v1/guardrails", console.keys[Role.ADMIN], json=body)


def decision_in_review(console: Console, guardrail_id: str, text: str) -> str:
    """A guardrail ``guardrail_id`` that sends e-mail addresses to review, and a decision on ``text``
    (which holds one) through its DRAFT: one new review item. Returns the decision's request id."""
    policy = {
        "name": guardrail_id,
        "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "REVIEW"}]},
    }
    create_guardrail(console, guardrail_id, policy)
    body = {"source": "INPUT", "content": [{"text": {"text": text}}]}
    with httpx.Client(base_url=console.url, timeout=30) as client:
        path = f"/guardrail/{guardrail_id}/version/DRAFT/apply"
        return str(
            api_call(client, "POST", path, console.keys[Role.APP], json=body).json()["steward"]["requestId"]
        )


def csrf_of(html: str) -> str:
    """The first CSRF token in a page."""
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None, "no CSRF field on the page"
    return match.group(1)


def http_sign_in(client: httpx.Client, key: NewKey) -> httpx.Response:
    """Sign in through the form with a plain HTTP client (keeps the cookies in ``client``)."""
    form = client.get("/console/sign-in")
    return client.post("/console/sign-in", data={"csrf": csrf_of(form.text), "key": key.bearer})


def sign_in(page: Any, console: Console, role: Role) -> None:
    """Sign in through the form with the role's key."""
    page.goto(f"{console.url}/console/sign-in")
    page.get_by_label("API key").fill(console.keys[role].bearer)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def accessibility_violations(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the current page.

    axe is evaluated through the DevTools protocol, which the page's CSP does not govern
    (a <script> tag would rightly be refused), so the page is checked exactly as served.
    """
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page: Any, name: str) -> None:
    """Save the page to docs/console/<name>.png when STEWARD_CONSOLE_SCREENSHOTS=1."""
    if os.environ.get("STEWARD_CONSOLE_SCREENSHOTS") == "1":
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def check_page(page: Any, name: str) -> None:
    """The page passes axe-core, raised no CSP violation, and is photographed on request."""
    assert accessibility_violations(page) == [], name
    assert page.csp_errors == [], page.csp_errors
    screenshot(page, name)
