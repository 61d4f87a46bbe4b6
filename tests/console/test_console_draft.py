"""Editing a DRAFT as YAML in a real browser: live validation that points at the field and line,
the same refusal without the script, a save that the API then serves, and no editor for non-admins."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from console_helpers import Console, api_call, check_page, create_guardrail, sign_in

from steward.store.keys import Role

BAD = """name: drafted
description: a draft with a mistake
sensitive_information:
  pii_entities:
    - type: EMAIL
      action: ANONYMIZE
    - type: NOT_A_TYPE
      action: BLOCK
word_filters:
  wrods: [zorblax]
"""
GOOD = BAD.replace("NOT_A_TYPE", "PHONE").replace("wrods", "words")


def _new_guardrail(console: Console) -> str:
    gid = "draft-" + uuid.uuid4().hex[:8]
    create_guardrail(console, gid, {"name": gid})
    return gid


def test_live_validation_points_at_the_field_and_a_valid_draft_is_saved(page: Any, console: Console) -> None:
    gid = _new_guardrail(console)
    sign_in(page, console, Role.ADMIN)
    page.goto(f"{console.url}/console/guardrails/{gid}")
    page.get_by_role("link", name="Edit the DRAFT as YAML").click()
    editor = page.get_by_label("Policy (YAML)")
    assert f"name: {gid}" in editor.input_value()
    editor.fill(BAD)
    problems = page.locator("#draft-problem-list li")
    problems.first.wait_for()  # the live check answered
    fields = {li.get_attribute("data-field"): li.get_attribute("data-line") for li in problems.all()}
    assert fields == {"sensitive_information.pii_entities[1].type": "7", "word_filters.wrods": "10"}
    assert page.locator("#draft-problems-h").inner_text() == "2 problems"
    assert "unknown field" in problems.filter(has_text="wrods").inner_text()
    problems.filter(has_text="wrods").get_by_role("button", name="line 10").click()
    selected = page.evaluate(
        "() => { const t = document.getElementById('draft-yaml'); return t.value.slice(t.selectionStart, t.selectionEnd); }"
    )
    assert selected == "  wrods: [zorblax]"
    check_page(page, "draft-edit")
    # the live check stored nothing
    with httpx.Client(base_url=console.url, timeout=30) as client:
        stored = api_call(client, "GET", f"/v1/guardrails/{gid}", console.keys[Role.ADMIN]).json()
    assert stored["policy"]["name"] == gid and stored["draftRevision"] == 1
    editor.fill(GOOD)
    page.wait_for_function(
        "() => document.getElementById('draft-problems-h').textContent === 'No problems found'"
    )
    page.get_by_role("button", name="Save the DRAFT").click()
    assert page.locator("#moved").inner_text() == "DRAFT saved (revision 2)"
    with httpx.Client(base_url=console.url, timeout=30) as client:
        stored = api_call(client, "GET", f"/v1/guardrails/{gid}", console.keys[Role.ADMIN]).json()
    assert stored["policy"]["word_filters"]["words"] == ["zorblax"]
    assert [e["type"] for e in stored["policy"]["sensitive_information"]["pii_entities"]] == [
        "EMAIL",
        "PHONE",
    ]


def test_saving_a_bad_draft_without_the_script_keeps_the_text_and_lists_the_problems(
    page: Any, console: Console
) -> None:
    gid = _new_guardrail(console)
    sign_in(page, console, Role.ADMIN)
    page.goto(f"{console.url}/console/guardrails/{gid}/draft")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(
        f"{console.url}/console/guardrails/{gid}/draft", form={"csrf": csrf, "policy": BAD}
    )
    assert answer.status == 400
    html = answer.text()
    assert 'data-field="word_filters.wrods"' in html and "line 10:" in html and "NOT_A_TYPE" in html
    answer = page.request.post(
        f"{console.url}/console/guardrails/{gid}/draft/check",
        form={"csrf": csrf, "policy": "name: [unclosed"},
    )
    body = answer.json()
    assert answer.status == 200 and body["valid"] is False
    assert body["problems"][0]["line"] == 1 and "not valid YAML" in body["problems"][0]["message"]
    answer = page.request.post(
        f"{console.url}/console/guardrails/{gid}/draft/check", form={"csrf": "stale", "policy": GOOD}
    )
    assert answer.status == 403
    answer = page.request.post(
        f"{console.url}/console/guardrails/no-such-guardrail/draft", form={"csrf": csrf, "policy": GOOD}
    )
    assert answer.status == 404


def test_only_an_admin_edits_a_draft(page: Any, console: Console) -> None:
    gid = _new_guardrail(console)
    sign_in(page, console, Role.AUDITOR)
    page.goto(f"{console.url}/console/guardrails/{gid}")
    assert page.locator("#edit-draft").count() == 0
    response = page.goto(f"{console.url}/console/guardrails/{gid}/draft")
    assert response is not None and response.status == 403
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    answer = page.request.post(
        f"{console.url}/console/guardrails/{gid}/draft", form={"csrf": csrf, "policy": GOOD}
    )
    assert answer.status == 403
    answer = page.request.post(
        f"{console.url}/console/guardrails/{gid}/draft/check", form={"csrf": csrf, "policy": GOOD}
    )
    assert answer.status == 403
