"""The overview's review queue and alerts in a real browser, per guardrail.

An appeal through the real API puts an item in the queue (its SLA is then made to pass by
moving its due time into the past), and rules scoped to the shop and to another guardrail fire
through the scheduler's own evaluation: the shop's overview must count the shop's item and
breach, and list the shop's alert, not the other guardrail's.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from console_helpers import Console, api_call, check_page, sign_in
from sqlalchemy import update

from steward.audit.record import AuditRecord
from steward.monitor.alerts import evaluate_all
from steward.server.routers.review import app_services
from steward.store.keys import Role
from steward.store.models.review import ReviewItem
from steward.store.monitor import AlertStore


def test_overview_counts_the_queue_its_sla_breaches_and_the_alerts_of_the_guardrail(
    page: Any, console: Console
) -> None:
    admin = console.keys[Role.ADMIN]
    shop_rule, other_rule = "shop-" + uuid.uuid4().hex[:6], "other-" + uuid.uuid4().hex[:6]
    other = "o" + uuid.uuid4().hex[:8]  # another guardrail with traffic of its own
    console.state.audit.submit(
        AuditRecord(
            request_id=uuid.uuid4().hex, endpoint="apply", source="input", action="NONE", guardrail_id=other
        )
    )
    console.state.audit.flush()
    with httpx.Client(base_url=console.url, timeout=30) as client:
        appeal = api_call(
            client,
            "POST",
            "/v1/appeals",
            console.keys[Role.APP],
            json={"requestId": console.request_ids[2], "reason": "please look again"},
        ).json()
        for rule_id, guardrail in ((shop_rule, "shop"), (other_rule, other)):
            body = {
                "id": rule_id,
                "metric": "request_volume",
                "comparison": ">=",
                "threshold": 0,
                "window": 86400,
                "cooldown": 0,
                "scope": {"guardrail": guardrail},
            }
            api_call(client, "POST", "/v1/monitor/rules", admin, json=body)
    app_services(console.app).writer.flush()
    store = app_services(console.app).queue.store
    item_id = store.get_appeal(appeal["id"]).item_id
    with console.state.sessions.begin() as session:  # the appeal's SLA has passed
        session.execute(
            update(ReviewItem)
            .where(ReviewItem.id == item_id)
            .values(due_at=datetime.now(UTC) - timedelta(hours=1))
        )
    fired = evaluate_all(AlertStore(console.state.sessions), console.state.sessions, datetime.now(UTC))
    assert {shop_rule, other_rule} <= {e.rule_id for e in fired}
    waiting = store.queue_counts(guardrail_id="shop")
    assert sum(n for _, _, n, _ in waiting) >= 1 and sum(o for *_, o in waiting) >= 1

    sign_in(page, console, Role.AUDITOR)
    page.goto(f"{console.url}/console/overview?period=day&guardrail=shop")
    assert page.locator("#queue-items").inner_text() == str(sum(n for _, _, n, _ in waiting))
    assert page.locator("#queue-overdue").inner_text() == str(sum(o for *_, o in waiting))
    appeals = page.locator("#queue tr[data-reason='appeal']")
    assert int(appeals.locator(".overdue").inner_text()) >= 1
    listed = page.locator("#alerts").inner_text()
    assert shop_rule in listed and other_rule not in listed
    assert int(page.locator("#alerts-fired").inner_text().rstrip("+")) >= 1
    page.get_by_role("link", name="All alerts and rules on the monitoring page").click()
    assert "/console/monitoring?period=day&guardrail=shop" in page.url
    page.goto(f"{console.url}/console/overview?period=day&guardrail=shop")
    check_page(page, "overview-queue-alerts")
    for rule_id in (shop_rule, other_rule):
        AlertStore(console.state.sessions).delete(rule_id)
