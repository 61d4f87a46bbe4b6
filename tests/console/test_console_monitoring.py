"""The monitoring page in a real browser: latency per version, drift as PSI bars, rules and fired alerts.

Decisions are written through the server's own audit writer with times in the past (a
reference day of short texts, then a day of long ones), an alert rule is created through
``/v1/monitor/rules`` and evaluated by the scheduler's own function, and the page must show
the shift as significant drift, the rule, and the alert it fired.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from console_helpers import Console, api_call, check_page, sign_in

from steward.audit.record import AuditRecord
from steward.monitor.alerts import evaluate_all
from steward.store.keys import Role
from steward.store.monitor import AlertStore


def _decision(gid: str, when: datetime, text_length: int, latency_ms: float) -> AuditRecord:
    return AuditRecord(
        request_id=uuid.uuid4().hex,
        endpoint="apply",
        source="input",
        action="NONE",
        guardrail_id=gid,
        version="1",
        action_reason="",
        findings=(),
        text_length=text_length,
        latency_ms=latency_ms,
        caller_key_id=None,
        created_at=when,
    )


def test_monitoring_shows_latency_drift_rules_and_a_fired_alert(page: Any, console: Console) -> None:
    gid = "mon" + uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    for i in range(30):  # the day before: short texts, fast; this day: long texts, slow
        console.state.audit.submit(_decision(gid, now - timedelta(hours=36, minutes=i), 90 + i % 7, 4.0))
        console.state.audit.submit(_decision(gid, now - timedelta(hours=2, minutes=i), 1900 + i % 11, 40.0))
    console.state.audit.flush()
    rule_id = "slow-" + gid
    with httpx.Client(base_url=console.url, timeout=30) as client:
        rule = {
            "id": rule_id,
            "description": "p99 over 20 ms",
            "metric": "latency_p99_ms",
            "comparison": ">",
            "threshold": 20,
            "window": 86400,
            "scope": {"guardrail": gid},
        }
        api_call(client, "POST", "/v1/monitor/rules", console.keys[Role.ADMIN], json=rule)
    fired = evaluate_all(AlertStore(console.state.sessions), console.state.sessions, datetime.now(UTC))
    assert [e.rule_id for e in fired if e.rule_id == rule_id] == [rule_id]

    sign_in(page, console, Role.AUDITOR)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Monitoring").click()
    assert page.url.endswith("/console/monitoring")
    page.goto(f"{console.url}/console/monitoring?period=day&guardrail={gid}")
    latency = page.locator("#latency tbody tr")
    assert latency.count() == 1 and latency.locator("td.requests").inner_text() == "30"
    p99 = float(latency.locator("td.p99").inner_text())
    assert 30 < p99 < 60  # the bucket holding 40 ms (buckets are 25% apart)
    assert "mon" in page.locator("#latency-legend").inner_text()
    length = page.locator("#drift tr[data-feature='textLength']")
    assert length.locator(".drift-status").inner_text() == "drift"
    assert length.locator("td").nth(2).inner_text() == "significant"
    assert float(length.locator("td").nth(1).inner_text()) >= 0.25
    drift_chart = page.locator("svg.chart").nth(1)
    assert "textLength" in (drift_chart.locator("desc").text_content() or "")
    assert drift_chart.locator("rect").count() >= 1
    rule_row = page.locator(f"#rules tr[data-rule='{rule_id}']")
    assert "latency_p99_ms" in rule_row.inner_text() and "> 20.0" in rule_row.inner_text()
    alert_row = page.locator("#alerts tr", has_text=rule_id).first
    assert float(alert_row.locator(".alert-value").inner_text()) > 20
    check_page(page, "monitoring")


def test_monitoring_is_for_auditors_and_admins_and_names_bad_filters(page: Any, console: Console) -> None:
    sign_in(page, console, Role.REVIEWER)
    assert page.get_by_role("navigation", name="Main").get_by_role("link", name="Monitoring").count() == 0
    response = page.goto(f"{console.url}/console/monitoring")
    assert response is not None and response.status == 403
    page.context.clear_cookies()
    sign_in(page, console, Role.ADMIN)
    response = page.goto(f"{console.url}/console/monitoring?period=century")
    assert response is not None and response.status == 400 and "period" in page.locator(".error").inner_text()
    response = page.goto(f"{console.url}/console/monitoring?guardrail={'g' * 65}")
    assert response is not None and response.status == 400
