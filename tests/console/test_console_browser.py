"""The console in a real browser (Debian's Chromium via Playwright): each task a user does.

Every page visited is checked with axe-core (no serious or critical violations) and, when
``STEWARD_CONSOLE_SCREENSHOTS=1``, photographed into docs/console/.
"""

from __future__ import annotations

from typing import Any

import httpx
from console_helpers import (
    ADMIN_NAV,
    Console,
    accessibility_violations,
    api_call,
    decision_in_review,
    screenshot,
    sign_in,
)

from steward.store.keys import Role


def _check(page: Any, name: str) -> None:
    assert accessibility_violations(page) == [], name
    assert page.csp_errors == [], page.csp_errors
    screenshot(page, name)


def test_sign_in_gives_a_strict_http_only_session_and_the_overview(page: Any, console: Console) -> None:
    page.goto(f"{console.url}/console/")
    assert page.url.endswith("/console/sign-in")
    _check(page, "sign-in")
    sign_in(page, console, Role.ADMIN)
    assert page.url.endswith("/console/overview")
    page.get_by_label("Guardrail", exact=True).select_option(
        "shop"
    )  # other tests add traffic on other guardrails
    page.get_by_role("button", name="Show").click()
    cookie = next(c for c in page.context.cookies() if c["name"] == "steward_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and not cookie["secure"]  # plain http here
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link").all_inner_texts() == ADMIN_NAV
    # the seeded traffic: three requests, two interventions (an e-mail masked, a word blocked), one block
    assert page.locator("#total-requests").inner_text() == "3"
    assert page.locator("#total-interventions").inner_text() == "2"
    assert page.locator("#total-blocks").inner_text() == "1"
    assert page.locator("svg.chart").count() == 2
    top = page.locator("#top tbody tr").all_inner_texts()
    assert len(top) == 2 and any("EMAIL" in row for row in top) and any("CUSTOM_WORD" in row for row in top)
    assert (
        page.evaluate("document.documentElement.dataset.console") == "ready"
    )  # console.js ran under the CSP
    _check(page, "overview")


def test_playground_highlights_the_finding_with_rule_score_and_confidence(
    page: Any, console: Console
) -> None:
    sign_in(page, console, Role.REVIEWER)
    page.get_by_role("link", name="Playground").click()
    page.get_by_label("Guardrail").select_option("shop")
    page.get_by_label("Version (number, DRAFT, latest or alias)").fill("1")
    page.get_by_label("Text", exact=True).fill("Please reply to maria.lopez@example.com today.")
    page.get_by_role("button", name="Check").click()
    assert "GUARDRAIL_INTERVENED" in page.locator("#decision").inner_text()
    marks = page.locator("#highlighted mark")
    assert marks.count() == 1
    assert marks.first.inner_text().startswith("maria.lopez@example.com")
    row = page.locator("#findings tbody tr").first
    cells = row.locator("td").all_inner_texts()
    assert cells[2] == "EMAIL" and "EMAIL" in cells[3] and cells[4] == "16–39"
    assert float(cells[5]) > 0 and cells[6] in ("LOW", "MEDIUM", "HIGH") and cells[7] == "ANONYMIZED"
    output = page.locator("#output-text").inner_text()
    assert "maria.lopez@example.com" not in output and "EMAIL" in output
    marks.first.focus()
    assert "active" in (row.get_attribute("class") or "")  # console.js ties the span to its row
    _check(page, "playground")


def test_rolling_an_alias_back_asks_first_and_then_moves_it(page: Any, console: Console) -> None:
    store = console.state.guardrails
    assert {a.name: a.version for a in store.list_aliases("shop")}["prod"] == 2
    sign_in(page, console, Role.ADMIN)
    page.goto(f"{console.url}/console/guardrails")
    _check(page, "guardrails")
    page.get_by_role("link", name="shop").click()
    assert page.locator("tr[data-alias=prod] .alias-version").inner_text() == "2"
    _check(page, "guardrail")
    page.get_by_label("Compare").fill("1")
    page.get_by_label("with").fill("2")
    page.get_by_role("button", name="Show the diff").click()
    assert "word_filters" in page.locator("#changes").inner_text()
    assert page.locator("#side-by-side tr.added").count() >= 1
    _check(page, "diff")
    page.go_back()
    page.get_by_label("Alias", exact=True).fill("prod")
    page.get_by_label("Version", exact=True).fill("1")
    page.get_by_role("button", name="Move alias…").click()
    assert "points to version 2" in page.locator("#confirm-text").inner_text()
    assert {a.name: a.version for a in store.list_aliases("shop")}["prod"] == 2  # not yet
    _check(page, "confirm-alias")
    page.get_by_role("button", name="Yes, move prod to version 1").click()
    assert page.locator("#moved").inner_text() == "prod now points to version 1"
    assert page.locator("tr[data-alias=prod] .alias-version").inner_text() == "1"
    assert {a.name: a.version for a in store.list_aliases("shop")}["prod"] == 1
    store.set_alias("shop", "prod", 2)  # as seeded, for the other tests
    console.state.guards.invalidate("shop")


def test_audit_search_by_request_id_action_and_detail_and_export(page: Any, console: Console) -> None:
    from playwright.sync_api import expect  # retries until the submitted search has loaded

    sign_in(page, console, Role.AUDITOR)
    page.get_by_role("link", name="Audit").click()
    page.get_by_label("Guardrail", exact=True).fill("shop")  # other tests add records on other guardrails
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#records tbody tr")).to_have_count(3)
    _check(page, "audit")
    page.get_by_label("Action").select_option("GUARDRAIL_INTERVENED")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#records tbody tr")).to_have_count(2)
    page.get_by_label("Action").select_option("")
    page.get_by_label("Request id").fill(console.request_ids[1])
    page.get_by_role("button", name="Search").click()
    rows = page.locator("#records tbody tr")
    expect(rows).to_have_count(1)
    assert console.request_ids[1] in rows.first.inner_text()
    rows.first.get_by_role("link").click()
    detail = page.locator("#record").inner_text()
    assert console.request_ids[1] in detail and "GUARDRAIL_INTERVENED" in detail
    assert "zorblax" not in page.content()  # matched text stays masked
    _check(page, "audit-record")
    page.go_back()
    href = page.locator("#export-csv").get_attribute("href")
    csv_text = page.request.get(f"{console.url}{href}").text()
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("id,requestId") and len(lines) == 2 and console.request_ids[1] in lines[1]


def test_audit_pages_follow_the_cursor(page: Any, console: Console) -> None:
    sign_in(page, console, Role.AUDITOR)
    page.goto(f"{console.url}/console/audit?guardrail=shop")
    ids = [int(s.lstrip("#")) for s in page.locator("#records tbody tr td:first-child").all_inner_texts()]
    assert len(ids) == 3 and ids == sorted(ids, reverse=True)
    assert page.locator("#older").count() == 0  # all three fit on one page
    page.goto(f"{console.url}/console/audit?guardrail=shop&before={ids[0]}")
    older = [int(s.lstrip("#")) for s in page.locator("#records tbody tr td:first-child").all_inner_texts()]
    assert older == ids[1:]


def test_sign_out_ends_the_session_on_the_server(page: Any, browser: Any, console: Console) -> None:
    sign_in(page, console, Role.AUDITOR)
    cookie = next(c for c in page.context.cookies() if c["name"] == "steward_console")
    page.get_by_role("button", name="Sign out").click()
    assert page.url.endswith("/console/sign-in")
    page.goto(f"{console.url}/console/audit")
    assert "/console/sign-in" in page.url
    replay = browser.new_context()  # the old cookie, replayed, no longer works
    try:
        replay.add_cookies([cookie])
        other = replay.new_page()
        other.goto(f"{console.url}/console/audit")
        assert "/console/sign-in" in other.url
    finally:
        replay.close()


def test_a_reviewer_sees_no_overview_nor_alias_form_and_gets_403(page: Any, console: Console) -> None:
    sign_in(page, console, Role.REVIEWER)
    assert page.url.endswith("/console/guardrails")
    nav = page.get_by_role("navigation", name="Main")
    assert nav.get_by_role("link").all_inner_texts() == [
        link for link in ADMIN_NAV if link not in ("Overview", "Monitoring", "Keys")
    ]
    page.goto(f"{console.url}/console/guardrails/shop")
    assert page.locator("#move-alias").count() == 0
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(
        f"{console.url}/console/guardrails/shop/aliases",
        form={"csrf": csrf, "alias": "prod", "version": "1", "confirm": "yes"},
    )
    assert answer.status == 403
    assert {a.name: a.version for a in console.state.guardrails.list_aliases("shop")}["prod"] == 2
    response = page.goto(f"{console.url}/console/overview")
    assert response is not None and response.status == 403
    assert "may not" in page.locator(".error").inner_text()
    _check(page, "forbidden")


def test_wrong_key_and_application_key_are_refused_at_sign_in(page: Any, console: Console) -> None:
    page.goto(f"{console.url}/console/sign-in")
    page.get_by_label("API key").fill(console.keys[Role.ADMIN].id + ".not-the-secret")
    page.get_by_role("button", name="Sign in").click()
    assert "secret is wrong" in page.locator("#signin-error").inner_text()
    _check(page, "sign-in-error")
    page.get_by_label("API key").fill(console.keys[Role.APP].bearer)
    page.get_by_role("button", name="Sign in").click()
    assert "for applications" in page.locator("#signin-error").inner_text()
    assert not [c for c in page.context.cookies() if c["name"] == "steward_console"]


def test_the_accessibility_check_can_fail(page: Any) -> None:
    # The checker itself: an unlabelled field and an image without text are serious/critical.
    page.set_content(
        '<html lang="en"><title>t</title><main><input type="text"><img src="x.png"></main></html>'
    )
    found = accessibility_violations(page)
    assert any(v.startswith("label") for v in found) and any(v.startswith("image-alt") for v in found)


def test_a_reviewer_claims_and_overturns_a_review_item(page: Any, console: Console) -> None:
    decision_in_review(console, "desk", "my address is lee@example.net")
    sign_in(page, console, Role.REVIEWER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review").click()
    row = page.locator("#review-items tbody tr", has_text="desk:DRAFT")
    assert row.count() == 1 and "open" in row.locator(".item-state").inner_text()
    _check(page, "review")
    row.get_by_role("link").click()
    assert page.locator("#highlighted mark").first.inner_text().startswith("lee@example.net")
    page.get_by_role("button", name="Claim").click()
    assert page.locator("#done").inner_text() == "Item claimed."
    page.get_by_label("let through").check()
    page.get_by_label("Explanation", exact=True).fill("a work address the user gave on purpose")
    _check(page, "review-item")
    page.get_by_role("button", name="Overturn the decision").click()
    assert page.locator("#done").inner_text() == "Item overturned."
    detail = page.locator("#item").inner_text()
    assert "resolved" in detail and "overturned" in detail
    history = page.locator("#history").inner_text()
    assert "claim" in history and "a work address the user gave on purpose" in history
    item_id = page.url.split("/review/")[1].split("?")[0]
    with httpx.Client(base_url=console.url, timeout=30) as client:
        seen = api_call(client, "GET", f"/v1/review/items/{item_id}", console.keys[Role.REVIEWER]).json()
    assert seen["state"] == "resolved" and seen["outcome"] == "overturned" and seen["label"] == 0


def test_an_auditor_sees_no_review_queue(page: Any, console: Console) -> None:
    sign_in(page, console, Role.AUDITOR)
    assert "Review" not in page.get_by_role("navigation", name="Main").get_by_role("link").all_inner_texts()
    response = page.goto(f"{console.url}/console/review")
    assert response is not None and response.status == 403
