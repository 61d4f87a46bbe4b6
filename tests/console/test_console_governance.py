"""Governance pages in a real browser: systems and status, the heat map, control coverage with gaps,
evidence with dates, the release-gate history with its refusal reasons, and the cards.

The register is filled through ``/v1/governance`` from the shipped example (the support
chatbot and its risks); a status change the gate refuses is recorded, and the page must show
it with the gate's reasons.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml
from console_helpers import Console, api_call, check_page, sign_in

from steward.store.keys import Role

EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples" / "governance"


def _example(name: str) -> Any:
    """A shipped example as JSON-ready data (YAML dates become ISO strings)."""
    return json.loads(json.dumps(yaml.safe_load((EXAMPLES / name).read_text(encoding="utf-8")), default=str))


def _register_chatbot(console: Console) -> str:
    system = _example("support-chatbot.yaml")
    system["id"] = "bot-" + uuid.uuid4().hex[:8]
    risks = _example("support-chatbot-risks.yaml")["risks"]
    admin = console.keys[Role.ADMIN]
    with httpx.Client(base_url=console.url, timeout=30) as client:
        api_call(client, "POST", "/v1/governance/systems", admin, json=system)
        for risk in risks:
            api_call(client, "POST", f"/v1/governance/systems/{system['id']}/risks", admin, json=risk)
        refused = client.post(
            f"/v1/governance/systems/{system['id']}/status",
            headers={"Authorization": f"Bearer {admin.bearer}"},
            json={"status": "deployment"},
        )
        assert refused.status_code == 409, refused.text
        api_call(
            client,
            "POST",
            f"/v1/governance/systems/{system['id']}/attestations",
            admin,
            json={"name": "board review", "statement": "Reviewed by the RAI board.", "controls": []},
        )
    return str(system["id"])


def test_a_system_with_heat_map_controls_evidence_gate_history_and_cards(page: Any, console: Console) -> None:
    system_id = _register_chatbot(console)
    sign_in(page, console, Role.AUDITOR)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Governance").click()
    row = page.locator(f"#systems tr[data-system='{system_id}']")
    assert row.locator(".system-status").inner_text() == "development"
    check_page(page, "governance")
    row.get_by_role("link").click()
    assert page.locator("#system-status").inner_text() == "development"
    # the heat map: r2-pii-leak is severity 4, likelihood 3 (row "severity 4", 3rd likelihood column)
    sev4 = page.locator("#heatmap tbody tr", has_text="severity 4")
    assert "r2-pii-leak" in sev4.locator("td").nth(2).inner_text()
    assert sev4.locator("td").nth(2).locator(".band").inner_text() in ("low", "medium", "high", "critical")
    # control coverage per framework, with its gaps named
    frameworks = page.locator("section.framework")
    assert frameworks.count() >= 2
    nist = page.locator("section.framework[data-framework='nist-ai-rmf']")
    assert (
        "met" in nist.locator(".coverage").inner_text() and "gaps" in nist.locator(".coverage").inner_text()
    )
    assert nist.locator("table.gaps tbody tr").count() >= 1
    # evidence with its date, the gate's refusal with its reasons
    evidence = page.locator("#evidence tbody tr", has_text="board review")
    assert evidence.count() == 1 and evidence.locator("td").first.inner_text()[:2] == "20"
    gate = page.locator("#gates tr.gate").first
    assert gate.locator(".gate-decision").inner_text() == "refused"
    assert "development → deployment" in gate.inner_text()
    assert gate.locator(".reasons li").count() >= 1
    assert "guardrail eval" in gate.locator(".reasons").inner_text()
    check_page(page, "governance-system")
    # the residual map moves r2-pii-leak to severity 2, likelihood 2
    page.get_by_role("link", name="Show the residual map instead").click()
    assert "r2-pii-leak" in page.locator("#heatmap tbody tr", has_text="severity 2").inner_text()
    # the system card, rendered, and downloadable exactly as the API renders it
    card_name = f"{system_id}-system-card"
    page.locator("#cards").get_by_role("link", name=card_name, exact=True).click()
    assert page.locator("#card h2").count() >= 3
    check_page(page, "governance-card")
    with page.expect_download() as info:
        page.locator("#downloads a", has_text="MD").click()
    download = info.value
    assert download.suggested_filename == f"{card_name}.md"
    text = Path(download.path()).read_text(encoding="utf-8")
    with httpx.Client(base_url=console.url, timeout=30) as client:
        api = api_call(
            client,
            "GET",
            f"/v1/governance/systems/{system_id}/cards/{card_name}",
            console.keys[Role.AUDITOR],
            params={"format": "md"},
        ).text
    assert text.splitlines()[0] == api.splitlines()[0] and text.splitlines()[3:] == api.splitlines()[3:]


def test_governance_pages_name_bad_input(page: Any, console: Console) -> None:
    sign_in(page, console, Role.REVIEWER)
    for path, status, field in (
        ("/console/governance/No%20Such!", 400, "system"),
        ("/console/governance/no-such-system", 404, ""),
        ("/console/governance/no-such-system/cards/x", 404, ""),
    ):
        response = page.goto(f"{console.url}{path}")
        assert response is not None and response.status == status, path
        assert field in page.locator(".error").inner_text()
    system_id = _register_chatbot(console)
    response = page.goto(f"{console.url}/console/governance/{system_id}/cards/not-a-card")
    assert response is not None and response.status == 400 and "card" in page.locator(".error").inner_text()
    response = page.goto(
        f"{console.url}/console/governance/{system_id}/cards/{system_id}-system-card/download?format=pdf"
    )
    assert response is not None and response.status == 400 and "format" in page.locator(".error").inner_text()
