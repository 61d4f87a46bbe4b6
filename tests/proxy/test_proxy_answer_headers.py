"""Every answer on the proxy's paths carries the AI-use notice and one request id — refusals by
the server's middleware (413), by authentication (401, 403) and by the proxy itself included."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from proxy_fakes import Steward, serve

from loopback_servers import Upstream
from steward.proxy.settings import DEFAULT_DISCLOSURE_NOTICE
from steward.server.app import create_app
from steward.settings import Settings
from steward.store.keys import Role

pytestmark = pytest.mark.timeout(60)

_CHAT = {"model": "echo", "messages": [{"role": "user", "content": "hello"}]}


def _answers(steward: Steward) -> dict[str, httpx.Response]:
    """One answer of each kind from ``steward``."""
    auditor = steward.state.keys.create(Role.AUDITOR).bearer
    app = {"authorization": f"Bearer {steward.key}"}
    big = 2 << 20  # over the default 1 MiB body limit
    with httpx.Client(base_url=steward.v1, timeout=30) as http:
        return {
            "200": http.post("/chat/completions", json=_CHAT, headers=app),
            "200 models": http.get("/models", headers=app),
            "400 bad JSON": http.post(
                "/chat/completions", content=b"{", headers={**app, "content-type": "application/json"}
            ),
            "401 no key": http.post("/chat/completions", json=_CHAT),
            "401 wrong key": http.post(
                "/chat/completions", json=_CHAT, headers={"authorization": "Bearer a.b"}
            ),
            "401 models": http.get("/models"),
            "403 auditor": http.post(
                "/chat/completions", json=_CHAT, headers={"authorization": f"Bearer {auditor}"}
            ),
            "413 declared": http.post(
                "/chat/completions", content=b"x" * big, headers={**app, "content-type": "application/json"}
            ),
            "413 chunked": http.post(
                "/chat/completions",
                content=iter([b"x" * (big // 2), b"x" * (big // 2)]),
                headers={**app, "content-type": "application/json"},
            ),
            "502 upstream": http.post(
                "/chat/completions", json={**_CHAT, "model": "status:500"}, headers=app
            ),
        }


@pytest.fixture(scope="module")
def answers(steward: Steward) -> dict[str, httpx.Response]:
    return _answers(steward)


@pytest.mark.parametrize(
    "kind",
    [
        "200",
        "200 models",
        "400 bad JSON",
        "401 no key",
        "401 wrong key",
        "401 models",
        "403 auditor",
        "413 declared",
        "413 chunked",
        "502 upstream",
    ],
)
def test_every_proxy_answer_discloses_and_has_one_request_id(
    answers: dict[str, httpx.Response], kind: str
) -> None:
    response = answers[kind]
    assert str(response.status_code) == kind.split()[0], response.text
    assert response.headers.get_list("x-ai-disclosure") == [DEFAULT_DISCLOSURE_NOTICE]
    ids = response.headers.get_list("x-steward-request-id")
    assert len(ids) == 1 and len(ids[0]) == 32


def test_no_notice_when_disclosure_is_off(
    upstream: Upstream, seeded: tuple[Settings, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, key = seeded
    monkeypatch.setenv("STEWARD_UPSTREAM_URL", upstream.url)
    monkeypatch.setenv("STEWARD_PROXY_GUARDRAIL", "test")
    monkeypatch.setenv("STEWARD_DISCLOSURE_NOTICE", "")  # empty: disclosure off
    app = create_app(settings, prepare=False)
    with serve(app) as url:
        for kind, response in _answers(Steward(url, app.state.steward, key)).items():
            assert "x-ai-disclosure" not in response.headers, kind
            assert len(response.headers.get_list("x-steward-request-id")) == 1, kind


def test_other_paths_carry_no_notice(steward: Steward) -> None:
    """The notice is about AI-generated answers: the guardrail API does not generate any."""
    response: Any = httpx.get(steward.url + "/health", timeout=10)
    assert response.status_code == 200
    assert "x-ai-disclosure" not in response.headers
    assert len(response.headers.get_list("x-steward-request-id")) == 1
