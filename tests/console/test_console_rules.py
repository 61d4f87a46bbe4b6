"""Alert rules from the console in a real browser: an admin creates, changes and deletes one; a
refused form names its field; an auditor sees rules but cannot write them.

What the console saved is read back through ``/v1/monitor/rules`` (the API's answer), and the
rule then fires through the scheduler's own evaluation, so the form makes a working rule.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from console_helpers import Console, api_call, check_page, sign_in

from steward.monitor.alerts import evaluate_all
from steward.store.keys import Role
from steward.store.monitor import AlertStore


def _rules(console: Console) -> dict[str, dict[str, Any]]:
    with httpx.Client(base_url=console.url, timeout=30) as client:
        answer = api_call(client, "GET", "/v1/monitor/rules", console.keys[Role.AUDITOR]).json()
    return {r["id"]: r for r in answer["rules"]}


def test_an_admin_creates_changes_and_deletes_an_alert_rule(page: Any, console: Console) -> None:
    rule_id = "busy-" + uuid.uuid4().hex[:8]
    sign_in(page, console, Role.ADMIN)
    page.goto(f"{console.url}/console/monitoring")
    page.get_by_role("link", name="Add an alert rule").click()
    assert page.url.endswith("/console/monitoring/rules/new")
    check_page(page, "rule-new")
    page.get_by_label("Rule id").fill(rule_id)
    page.get_by_label("Description").fill("any traffic on the shop")
    page.get_by_label("Metric", exact=True).select_option("request_volume")
    page.get_by_label("Fires when the metric is").select_option(">=")
    page.get_by_label("Threshold").fill("lots")
    page.get_by_label("Window", exact=True).fill("1d")
    page.get_by_label("Minimum requests in the window").fill("1")
    page.get_by_label("Cooldown").fill("1h")  # the server's own scheduler must not fire it twice
    page.get_by_label("Guardrail").select_option("shop")
    page.get_by_role("button", name="Create the rule").click()
    # refused: the problem is named beside its field, and what was typed is still there
    problem = page.locator("#rule-problem")
    assert problem.get_attribute("data-field") == "threshold" and "number" in problem.inner_text()
    assert page.get_by_label("Threshold").get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Rule id").input_value() == rule_id
    assert page.get_by_label("Guardrail").input_value() == "shop"
    check_page(page, "rule-refused")
    page.get_by_label("Threshold").fill("1")
    page.get_by_role("button", name="Create the rule").click()
    assert page.locator("#notice").inner_text() == f"Rule {rule_id} created."
    saved = _rules(console)[rule_id]
    assert (saved["metric"], saved["comparison"], saved["threshold"], saved["window"]) == (
        "request_volume",
        ">=",
        1.0,
        86400,
    )
    assert saved["scope"]["guardrail"] == "shop" and saved["cooldown"] == 3600 and saved["enabled"] is True
    assert rule_id in page.locator(f"#rules tr[data-rule='{rule_id}']").inner_text()
    # the rule works: the seeded traffic on the shop fires it (here, or already by the server's
    # own scheduler, whichever evaluates first; the cooldown keeps it to one firing)
    evaluate_all(AlertStore(console.state.sessions), console.state.sessions, datetime.now(UTC))
    last_fired = _rules(console)[rule_id]["lastFiredAt"]
    assert last_fired is not None
    assert last_fired is not None

    # the same id again: refused beside the id
    page.goto(f"{console.url}/console/monitoring/rules/new")
    page.get_by_label("Rule id").fill(rule_id)
    page.get_by_label("Threshold").fill("2")
    page.get_by_role("button", name="Create the rule").click()
    assert page.locator("#rule-problem").get_attribute("data-field") == "id"
    assert "already exists" in page.locator("#rule-problem").inner_text()

    page.goto(f"{console.url}/console/monitoring")
    page.get_by_role("link", name=f"Change rule {rule_id}").click()
    assert page.get_by_label("Threshold").input_value() == "1"
    assert page.get_by_label("Window", exact=True).input_value() == "86400"
    check_page(page, "rule-change")
    page.get_by_label("Threshold").fill("1000000")
    page.get_by_label("Enabled").uncheck()
    page.get_by_role("button", name="Save the rule").click()
    assert page.locator("#notice").inner_text() == f"Rule {rule_id} changed."
    changed = _rules(console)[rule_id]
    assert changed["threshold"] == 1_000_000 and changed["enabled"] is False
    assert changed["lastFiredAt"] == last_fired  # a change keeps the cooldown's clock
    assert changed["description"] == "any traffic on the shop"

    page.get_by_role("link", name=f"Delete rule {rule_id}").click()
    assert "1 alert it fired" in page.locator("#confirm-text").inner_text()
    check_page(page, "rule-delete")
    page.get_by_role("button", name=f"Yes, delete {rule_id}").click()
    assert page.locator("#notice").inner_text() == f"Rule {rule_id} deleted."
    assert rule_id not in _rules(console)
    assert page.locator(f"#rules tr[data-rule='{rule_id}']").count() == 0


def test_rule_forms_refuse_bad_input_and_a_missing_confirmation(page: Any, console: Console) -> None:
    sign_in(page, console, Role.ADMIN)
    page.goto(f"{console.url}/console/monitoring/rules/new")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    form = {"csrf": csrf, "id": "bad-" + uuid.uuid4().hex[:6], "metric": "block_rate", "threshold": "0.5"}
    for field, value, words in (
        ("window", "forever", "duration"),
        ("window", "10s", "60"),
        ("metric", "mood", "must be one of"),
        ("minRequests", "-3", "whole number"),
        ("webhook", "nowhere", "configured webhook"),
        ("description", "d" * 201, "at most 200"),
    ):
        answer = page.request.post(
            f"{console.url}/console/monitoring/rules", form={**form, "window": "1h", field: value}
        )
        assert answer.status == 400, (field, value)
        assert f'data-field="{field}"' in answer.text() and words in answer.text(), (field, value)
    assert page.request.get(f"{console.url}/console/monitoring/rules/no-such-rule/edit").status == 404
    answer = page.request.get(f"{console.url}/console/monitoring/rules/Not%20A%20Rule/edit")
    assert answer.status == 400 and "rule" in answer.text()
    rule_id = "keep-" + uuid.uuid4().hex[:6]
    created = page.request.post(
        f"{console.url}/console/monitoring/rules", form={**form, "id": rule_id, "window": "1h"}
    )
    assert created.status == 200 and rule_id in _rules(
        console
    )  # followed the redirect to the monitoring page
    answer = page.request.post(
        f"{console.url}/console/monitoring/rules/{rule_id}/delete", form={"csrf": csrf}
    )
    assert answer.status == 400 and "confirm" in answer.text() and rule_id in _rules(console)
    answer = page.request.post(
        f"{console.url}/console/monitoring/rules/{rule_id}/delete", form={"csrf": "stale", "confirm": "yes"}
    )
    assert answer.status == 403 and rule_id in _rules(console)
    AlertStore(console.state.sessions).delete(rule_id)


def test_an_auditor_sees_the_rules_but_cannot_write_them(page: Any, console: Console) -> None:
    rule_id = "seen-" + uuid.uuid4().hex[:6]
    with httpx.Client(base_url=console.url, timeout=30) as client:
        body = {"id": rule_id, "metric": "block_rate", "threshold": 0.5, "window": 3600}
        api_call(client, "POST", "/v1/monitor/rules", console.keys[Role.ADMIN], json=body)
    sign_in(page, console, Role.AUDITOR)
    page.goto(f"{console.url}/console/monitoring")
    assert page.locator(f"#rules tr[data-rule='{rule_id}']").count() == 1
    assert page.get_by_role("link", name="Add an alert rule").count() == 0
    assert page.get_by_role("link", name=f"Change rule {rule_id}").count() == 0
    for path in (
        "/monitoring/rules/new",
        f"/monitoring/rules/{rule_id}/edit",
        f"/monitoring/rules/{rule_id}/delete",
    ):
        response = page.goto(f"{console.url}/console{path}")
        assert response is not None and response.status == 403, path
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    for path in ("/monitoring/rules", f"/monitoring/rules/{rule_id}", f"/monitoring/rules/{rule_id}/delete"):
        form = {
            "csrf": csrf,
            "id": "x-" + uuid.uuid4().hex[:6],
            "threshold": "1",
            "window": "1h",
            "confirm": "yes",
        }
        assert page.request.post(f"{console.url}/console{path}", form=form).status == 403, path
    assert rule_id in _rules(console)
    AlertStore(console.state.sessions).delete(rule_id)
