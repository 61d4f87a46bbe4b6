"""Review in a real browser, by keyboard alone and with escalation: claim with c, confirm with y,
overturn with n; a reviewer escalates, can no longer take the item, and an admin decides it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from console_helpers import Console, api_call, check_page, decision_in_review, sign_in

from steward.console import review_pages
from steward.server.routers.review import app_services
from steward.store.keys import Role


def _item(console: Console, text: str) -> str:
    """A fresh review item: a guardrail that sends e-mail addresses to review, and one decision."""
    gid = "rk-" + uuid.uuid4().hex[:8]
    decision_in_review(console, gid, text)
    with httpx.Client(base_url=console.url, timeout=30) as client:
        params = {"state": "open", "limit": 1000}
        items = api_call(client, "GET", "/v1/review/items", console.keys[Role.REVIEWER], params=params).json()
    return str(next(i["id"] for i in items["items"] if i["guardrailId"] == gid))


def _claimed_by_keyboard(page: Any, console: Console, text: str) -> str:
    """A fresh item (on ``text``), claimed with the ``c`` key by a reviewer signed in on ``page``."""
    item = _item(console, text)
    sign_in(page, console, Role.REVIEWER)
    page.goto(f"{console.url}/console/review/{item}")
    _ready(page)
    page.keyboard.press("c")
    page.wait_for_url(f"**/console/review/{item}?done=claimed")
    return item


def _ready(page: Any) -> None:
    """Wait until console.js has run (its shortcuts are bound) on the page now shown."""
    page.wait_for_function("document.documentElement.dataset.console === 'ready'")


def test_claim_and_confirm_by_keyboard_alone(page: Any, console: Console) -> None:
    item = _claimed_by_keyboard(page, console, "mail me at kim@example.com")
    assert page.locator("#done").inner_text() == "Item claimed."
    check_page(page, "review-shortcuts")
    page.get_by_label("Comment").focus()
    page.keyboard.type("yes")  # typed into a text field: not a shortcut
    assert "?done=claimed" in page.url
    page.locator("body").click(position={"x": 5, "y": 5})
    _ready(page)
    page.keyboard.press("y")
    page.wait_for_url(f"**/console/review/{item}?done=confirmed")
    assert "confirmed" in page.locator("#item").inner_text()


def test_overturn_by_keyboard_moves_to_the_label_choice(page: Any, console: Console) -> None:
    _claimed_by_keyboard(page, console, "reach ola@example.org")
    _ready(page)
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.id") == "label-1"
    page.keyboard.press("ArrowRight")  # to "let through"
    assert page.get_by_label("let through").is_checked()
    page.keyboard.press("Enter")
    page.wait_for_url("**?done=overturned")
    assert "overturned" in page.locator("#item").inner_text()


def test_a_reviewer_escalates_and_only_an_admin_then_decides(
    page: Any, browser: Any, console: Console
) -> None:
    item = _item(console, "contact ana@example.com")
    sign_in(page, console, Role.REVIEWER)
    page.goto(f"{console.url}/console/review/{item}")
    page.get_by_role("button", name="Claim").click()
    _ready(page)
    page.keyboard.press("e")
    assert page.evaluate("document.activeElement.id") == "escalate-note"
    page.keyboard.type("a customer's own address; policy unclear")
    page.get_by_role("button", name="Escalate to an admin").click()
    assert page.locator("#done").inner_text() == "Item escalated."
    assert "escalated" in page.locator("#item").inner_text()
    assert page.locator("#escalated-note").inner_text() == "Escalated: waiting for an admin to take it."
    assert page.get_by_role("button", name="Claim").count() == 0
    assert "a customer's own address; policy unclear" in page.locator("#history").inner_text()
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    refused = page.request.post(f"{console.url}/console/review/{item}/claim", form={"csrf": csrf})
    assert refused.status in (403, 409)
    admin = browser.new_context().new_page()
    try:
        sign_in(admin, console, Role.ADMIN)
        admin.goto(f"{console.url}/console/review/{item}")
        assert "final" in admin.locator("#escalated-note").inner_text()
        admin.get_by_role("button", name="Claim").click()
        admin.get_by_label("let through").check()
        admin.get_by_role("button", name="Overturn the decision").click()
        assert admin.locator("#done").inner_text() == "Item overturned."
        assert "resolved" in admin.locator("#item").inner_text()
    finally:
        admin.context.close()


def test_the_queue_filters_by_reason_and_pages_with_a_cursor(
    page: Any, console: Console, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(review_pages, "PAGE", 2)  # the server runs in this process: pages of two
    gid = "rp-" + uuid.uuid4().hex[:8]
    policy = {"name": gid, "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "REVIEW"}]}}
    with httpx.Client(base_url=console.url, timeout=30) as client:
        api_call(
            client, "POST", "/v1/guardrails", console.keys[Role.ADMIN], json={"id": gid, "policy": policy}
        )
        for i in range(5):
            body = {"source": "INPUT", "content": [{"text": {"text": f"write to p{i}@example.org"}}]}
            api_call(
                client, "POST", f"/guardrail/{gid}/version/DRAFT/apply", console.keys[Role.APP], json=body
            )
    app_services(console.app).writer.flush()
    sign_in(page, console, Role.REVIEWER)
    page.goto(f"{console.url}/console/review")
    page.get_by_label("State").select_option("open")
    page.get_by_label("Reason").select_option("policy_review")
    page.get_by_role("button", name="Filter").click()
    seen: list[tuple[str, str]] = []
    while True:
        rows = page.locator("#review-items tbody tr")
        assert 1 <= rows.count() <= 2
        for i in range(rows.count()):
            cells = rows.nth(i).locator("td").all_inner_texts()
            assert cells[3] == "policy_review" and cells[5].startswith("open")
            seen.append((rows.nth(i).get_attribute("data-item") or "", cells[1]))
        following = page.get_by_role("link", name="Next page")
        if following.count() == 0:
            break
        following.click()
        assert "reason=policy_review" in page.url and "state=open" in page.url
    ids = [item for item, _ in seen]
    assert len(ids) == len(set(ids))  # each item once
    assert len([item for item, guardrail in seen if guardrail.startswith(gid)]) == 5
    check_page(page, "review-paged")
    answer = page.request.get(f"{console.url}/console/review?after=no-such-item")
    assert answer.status == 400 and "after" in answer.text()
    answer = page.request.get(f"{console.url}/console/review?reason=boredom")
    assert answer.status == 400 and "reason" in answer.text()
