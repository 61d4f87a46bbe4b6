"""Console sessions shared by several server processes on one database.

Two apps are built on the console fixture's database and settings, as two ``steward serve``
workers would be: a browser signed in on one is signed in on the other, and a sign-out on
either ends the session on both (sessions live in the ``console_sessions`` table).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from console_helpers import Console, csrf_of, http_sign_in
from live_server import serve_in_thread

from steward.asgi import create_app
from steward.console.web import COOKIE
from steward.store.keys import Role


@pytest.fixture(scope="module")
def second_worker(console: Console) -> Iterator[str]:
    """A second app on the same database and data directory, served on its own port."""
    app = create_app(console.state.settings, prepare=False)
    try:
        with serve_in_thread(app) as url:
            yield url
    finally:
        app.state.steward.close()


def test_a_session_started_on_one_worker_works_on_the_other(console: Console, second_worker: str) -> None:
    with httpx.Client(base_url=console.url, follow_redirects=False, timeout=30) as first:
        assert http_sign_in(first, console.keys[Role.AUDITOR]).status_code == 303
        token = first.cookies[COOKIE]
    with httpx.Client(base_url=second_worker, follow_redirects=False, timeout=30) as second:
        second.cookies.set(COOKIE, token)
        answer = second.get("/console/audit")
        assert answer.status_code == 200 and "Audit" in answer.text


def test_signing_out_on_one_worker_ends_the_session_on_the_other(
    console: Console, second_worker: str
) -> None:
    with (
        httpx.Client(base_url=console.url, follow_redirects=False, timeout=30) as first,
        httpx.Client(base_url=second_worker, follow_redirects=False, timeout=30) as second,
    ):
        http_sign_in(first, console.keys[Role.ADMIN])
        token = first.cookies[COOKIE]
        second.cookies.set(COOKIE, token)
        csrf = csrf_of(second.get("/console/playground").text)  # the same CSRF token on both workers
        assert second.post("/console/sign-out", data={"csrf": csrf}).status_code == 303
        answer = first.get("/console/playground")
        assert answer.status_code == 303 and answer.headers["location"].startswith("/console/sign-in")


def test_revoking_the_key_through_one_worker_ends_its_sessions_on_both(
    console: Console, second_worker: str
) -> None:
    key = console.state.keys.create(Role.REVIEWER, name="revoked-across-workers")
    with (
        httpx.Client(base_url=second_worker, follow_redirects=False, timeout=30) as second,
        httpx.Client(base_url=console.url, follow_redirects=False, timeout=30) as first,
    ):
        http_sign_in(second, key)
        first.cookies.set(COOKIE, second.cookies[COOKIE])
        assert first.get("/console/review").status_code == 200
        admin = {"Authorization": f"Bearer {console.keys[Role.ADMIN].bearer}"}
        assert first.delete(f"/v1/keys/{key.id}", headers=admin).status_code < 300
        assert first.get("/console/review").status_code == 303
        assert second.get("/console/review").status_code == 303
