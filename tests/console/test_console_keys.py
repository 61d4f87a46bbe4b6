"""The keys page in a real browser: create a key with a role (the secret shown once), list, revoke.

The key made here is then used for real: its bearer token calls the API, and once revoked
it no longer does, and its console session ends.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from console_helpers import Console, check_page, http_sign_in, sign_in

from steward.console import key_pages
from steward.store.keys import NewKey, Role


def test_an_admin_creates_a_key_sees_its_secret_once_and_revokes_it(page: Any, console: Console) -> None:
    sign_in(page, console, Role.ADMIN)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Keys").click()
    assert page.url.endswith("/console/keys")
    check_page(page, "keys")
    page.get_by_label("Role").select_option("auditor")
    page.get_by_label("Name").fill("quarterly audit")
    page.get_by_role("button", name="Create key").click()
    bearer = page.get_by_label("Bearer token").input_value()
    key_id, _, secret = bearer.partition(".")
    assert key_id.startswith("STW") and len(secret) >= 40
    row = page.locator(f"tr[data-key='{key_id}']")
    assert row.locator("td").all_inner_texts()[1:3] == ["auditor", "quarterly audit"]
    assert secret not in row.inner_text()
    check_page(page, "key-created")
    with httpx.Client(base_url=console.url, timeout=30) as client:
        auth = {"Authorization": f"Bearer {bearer}"}
        assert client.get("/v1/audit", headers=auth, params={"limit": 1}).status_code == 200
        # the secret is shown once: the list never shows it again
        page.goto(f"{console.url}/console/keys")
        assert secret not in page.content() and page.get_by_label("Bearer token").count() == 0
        # the new key signs in to the console; revoking it ends that session too
        with httpx.Client(base_url=console.url, timeout=30, follow_redirects=False) as other:
            http_sign_in(other, NewKey(id=key_id, secret=secret, role=Role.AUDITOR))
            assert other.get("/console/audit").status_code == 200
            page.get_by_role("button", name=f"Revoke {key_id}").click()
            assert page.locator("#notice").inner_text() == f"Key {key_id} revoked."
            assert "revoked" in page.locator(f"tr[data-key='{key_id}'] .key-status").inner_text()
            assert page.get_by_role("button", name=f"Revoke {key_id}").count() == 0
            assert other.get("/console/audit").status_code == 303
        assert client.get("/v1/audit", headers=auth, params={"limit": 1}).status_code == 401


def test_keys_page_refuses_bad_input_with_a_named_field(page: Any, console: Console) -> None:
    sign_in(page, console, Role.ADMIN)
    page.goto(f"{console.url}/console/keys")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(f"{console.url}/console/keys", form={"csrf": csrf, "role": "root"})
    assert answer.status == 400 and "unknown role" in answer.text()
    answer = page.request.post(
        f"{console.url}/console/keys", form={"csrf": csrf, "role": "auditor", "name": "n" * 101}
    )
    assert answer.status == 400 and "over the limit of 100" in answer.text()
    answer = page.request.post(f"{console.url}/console/keys/STWNOSUCHKEY0000000/revoke", form={"csrf": csrf})
    assert answer.status == 404
    answer = page.request.post(f"{console.url}/console/keys/not-a-key!/revoke", form={"csrf": csrf})
    assert answer.status == 400 and "key id" in answer.text()
    answer = page.request.post(f"{console.url}/console/keys", form={"csrf": "stale", "role": "auditor"})
    assert answer.status == 403


def test_only_an_admin_sees_or_uses_the_keys_page(page: Any, console: Console) -> None:
    sign_in(page, console, Role.AUDITOR)
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Keys").count() == 0
    response = page.goto(f"{console.url}/console/keys")
    assert response is not None and response.status == 403
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    before = len(console.state.keys.list_all())
    answer = page.request.post(f"{console.url}/console/keys", form={"csrf": csrf, "role": "admin"})
    assert answer.status == 403 and len(console.state.keys.list_all()) == before
    answer = page.request.post(
        f"{console.url}/console/keys/{console.keys[Role.APP].id}/revoke", form={"csrf": csrf}
    )
    assert answer.status == 403 and console.state.keys.lookup(console.keys[Role.APP].id).revoked is False


def test_the_key_list_pages_with_a_cursor_and_shows_every_key_once(
    page: Any, console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(key_pages, "PAGE", 3)  # the server runs in this process: pages of three
    for i in range(4):
        console.state.keys.create(Role.AUDITOR, name=f"paged {i}")
    every = [k.id for k in console.state.keys.list_all()]
    sign_in(page, console, Role.ADMIN)
    page.goto(f"{console.url}/console/keys")
    assert page.get_by_role("link", name="First page").count() == 0
    seen: list[str] = []
    while True:
        rows = page.locator("#keys tbody tr")
        assert 1 <= rows.count() <= 3
        seen += [rows.nth(i).get_attribute("data-key") or "" for i in range(rows.count())]
        following = page.get_by_role("link", name="Next page")
        if following.count() == 0:
            break
        following.click()
        assert page.get_by_role("link", name="First page").count() == 1
    assert seen == every  # oldest first, each key once
    check_page(page, "keys-paged")
    answer = page.request.get(f"{console.url}/console/keys?after=STWNOSUCHKEY0000000")
    assert answer.status == 400 and "cursor" in answer.text()
    answer = page.request.get(f"{console.url}/console/keys?after=not-a-key!")
    assert answer.status == 400 and "after" in answer.text()
