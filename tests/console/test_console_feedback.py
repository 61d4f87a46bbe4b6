"""The feedback and appeals page in a real browser: feedback newest first, appeals with state and outcome.

End users' voice arrives through the real API (an application key posts feedback and an
appeal), a reviewer resolves the appeal through ``/v1/review``, and the page must show the
appeal pending, then overturned with the reviewer's explanation.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from console_helpers import Console, api_call, check_page, sign_in

from steward.store.keys import Role


def test_feedback_and_an_appeal_from_open_to_overturned(page: Any, console: Console) -> None:
    app, reviewer = console.keys[Role.APP], console.keys[Role.REVIEWER]
    note = f"needed the address {uuid.uuid4().hex[:6]}"
    with httpx.Client(base_url=console.url, timeout=30) as client:
        api_call(
            client,
            "POST",
            "/v1/feedback",
            app,
            json={"requestId": console.request_ids[0], "rating": 2, "category": "unhelpful", "text": note},
        )
        appeal = api_call(
            client,
            "POST",
            "/v1/appeals",
            app,
            json={"requestId": console.request_ids[1], "reason": "zorblax is our product's name"},
        ).json()
    sign_in(page, console, Role.AUDITOR)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Feedback").click()
    row = page.locator("#feedback tbody tr", has_text=note)
    assert row.count() == 1
    assert row.locator(".rating").inner_text() == "2" and "unhelpful" in row.inner_text()
    assert console.request_ids[0] in row.inner_text()
    appeal_row = page.locator(f"#appeals tr[data-request='{console.request_ids[1]}']").first
    assert appeal_row.locator(".appeal-state").inner_text() == "open"
    assert appeal_row.locator(".appeal-outcome").inner_text() == "pending"
    assert appeal_row.get_by_role("link").count() == 0  # an auditor has no review queue to link to
    page.get_by_label("Appeal id").fill(appeal["id"])
    page.get_by_role("button", name="Show appeals").click()
    assert page.locator("#appeal-state-value").inner_text() == "open"
    assert page.locator("#appeal-outcome").count() == 0
    check_page(page, "feedback")

    with httpx.Client(base_url=console.url, timeout=30) as client:
        items = api_call(
            client, "GET", "/v1/review/items", reviewer, params={"reason": "appeal", "state": "open"}
        ).json()["items"]
        item = next(i for i in items if i["requestId"] == console.request_ids[1])
        api_call(client, "POST", f"/v1/review/items/{item['id']}/claim", reviewer)
        api_call(
            client,
            "POST",
            f"/v1/review/items/{item['id']}/overturn",
            reviewer,
            json={"label": 0, "explanation": "a product name, not a banned word"},
        )
    page.reload()
    assert page.locator("#appeal-state-value").inner_text() == "resolved"
    assert page.locator("#appeal-outcome").inner_text() == "overturned"
    assert page.locator("#appeal-explanation").inner_text() == "a product name, not a banned word"
    page.get_by_label("Appeals in state").select_option("resolved")
    page.get_by_role("button", name="Show appeals").click()
    resolved = page.locator(f"#appeals tr[data-request='{console.request_ids[1]}']").first
    assert resolved.locator(".appeal-outcome").inner_text() == "overturned"
    check_page(page, "appeal-resolved")


def test_a_reviewer_follows_an_appeal_to_its_review_item(page: Any, console: Console) -> None:
    with httpx.Client(base_url=console.url, timeout=30) as client:
        api_call(
            client,
            "POST",
            "/v1/appeals",
            console.keys[Role.APP],
            json={"requestId": console.request_ids[0], "reason": "please look again"},
        )
    sign_in(page, console, Role.REVIEWER)
    page.goto(f"{console.url}/console/feedback?appeal_state=open")
    row = page.locator(f"#appeals tr[data-request='{console.request_ids[0]}']").first
    row.get_by_role("link").click()
    assert "/console/review/" in page.url and "appeal" in page.content()


def test_feedback_page_names_the_bad_field(page: Any, console: Console) -> None:
    sign_in(page, console, Role.REVIEWER)
    for query, status, words in (
        ("appeal=not%20an%20id!", 400, "appeal"),
        ("appeal=0123456789abcdef0123456789abcdef", 404, "appeal"),
        ("appeal_state=lost", 400, "appeal_state"),
        ("request_id=" + "x" * 65, 400, "request_id"),
    ):
        response = page.goto(f"{console.url}/console/feedback?{query}")
        assert response is not None and response.status == status, query
        assert words in page.locator(".error").inner_text()
