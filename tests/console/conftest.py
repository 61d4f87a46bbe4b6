"""Console fixtures: a real Steward server in a thread, keys of every role, Debian's Chromium.

The browser is /usr/bin/chromium (the Debian package ``.ci/run`` installs), driven by
Playwright for Python; nothing is downloaded at test time. The server has its own database
(on each backend) seeded through the real API: guardrail ``shop`` with versions 1 and 2 and
alias ``prod`` on version 2, and a few ApplyGuardrail calls so the audit trail has records.
Screenshots of each page go to docs/console/ only when ``STEWARD_CONSOLE_SCREENSHOTS=1``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from console_helpers import CHROMIUM, POLICY_V1, POLICY_V2, Console, api_call, http_sign_in
from live_server import serve_in_thread

from steward.asgi import create_app
from steward.server.state import ServerState
from steward.settings import Settings
from steward.store.keys import Role


@pytest.fixture(scope="package")
def console(package_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A served app with seeded guardrails and audit records."""
    settings = Settings(database_url=package_db_url, data_dir=tmp_path_factory.mktemp("console-data"))
    app = create_app(settings)
    state: ServerState = app.state.steward
    keys = {role: state.keys.create(role, name=f"console-{role.value}") for role in Role}
    with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        admin = keys[Role.ADMIN]
        api_call(client, "POST", "/v1/guardrails", admin, json={"id": "shop", "policy": POLICY_V1})
        api_call(
            client, "POST", "/v1/guardrails/shop/versions", admin, json={"description": "e-mail masking"}
        )
        api_call(client, "PUT", "/v1/guardrails/shop", admin, json={"policy": POLICY_V2})
        api_call(
            client, "POST", "/v1/guardrails/shop/versions", admin, json={"description": "plus a word list"}
        )
        api_call(client, "PUT", "/v1/guardrails/shop/aliases/prod", admin, json={"version": 2})
        request_ids = []
        for text in ("write to ann@example.org", "what is zorblax?", "hello there"):
            body = {"source": "INPUT", "content": [{"text": {"text": text}}]}
            answer = api_call(
                client, "POST", "/guardrail/shop/version/prod/apply", keys[Role.APP], json=body
            ).json()
            request_ids.append(answer["steward"]["requestId"])
        state.audit.flush()
        yield Console(url, app, state, keys, request_ids)


@pytest.fixture
def admin(console: Console) -> Iterator[httpx.Client]:
    """An HTTP client signed in with the admin key."""
    with httpx.Client(base_url=console.url, follow_redirects=False, timeout=30) as client:
        assert http_sign_in(client, console.keys[Role.ADMIN]).status_code == 303
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium under Playwright (as root the sandbox must be off)."""
    if not CHROMIUM.exists():
        pytest.fail("/usr/bin/chromium is missing: apt-get install -y chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"], headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser context (no cookies) and page; CSP violations are collected."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.csp_errors = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda m: page.csp_errors.append(m.text) if "Content Security Policy" in m.text else None,  # type: ignore[attr-defined]
    )
    yield page
    context.close()
