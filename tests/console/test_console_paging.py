"""Every list of the console comes a page at a time, with a cursor (over HTTP and in a real browser):
guardrails, systems, a system's evidence and gate history, feedback and appeals; and the audit
search filters by the policy a finding came from.

The lists' page sizes are made 2 here (the running server is this process's own), so a handful
of rows the test makes spans several pages; rows other tests made may be on them too, so each
walk checks that the test's rows all appear, once, in the list's order.
"""

from __future__ import annotations

import html
import re
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from console_helpers import Console, api_call, check_page, create_guardrail, sign_in

from steward.console import feedback_pages, governance_pages, guardrail_pages
from steward.store.keys import Role

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "govern"))
from govern_builders import system_doc


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two rows per page on every paged list this file walks."""
    for module in (feedback_pages, governance_pages, guardrail_pages):
        monkeypatch.setattr(module, "PAGE", 2)


@pytest.fixture
def made(console: Console) -> dict[str, Any]:
    """A guardrail, a decision on it, five pieces of feedback and three appeals about that
    decision, and a system with three attestations and three refused status changes."""
    tag = uuid.uuid4().hex[:8]
    gid, sid = f"zz-{tag}", f"zz-{tag}"  # ids sorting after the seeded ones
    admin, app = console.keys[Role.ADMIN], console.keys[Role.APP]
    policy = {
        "name": gid,
        "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "ANONYMIZE"}]},
    }
    for suffix in ("", "-b", "-c"):
        create_guardrail(console, gid + suffix, policy)
    with httpx.Client(base_url=console.url, timeout=30) as client:
        body = {"source": "INPUT", "content": [{"text": {"text": "write to kai@example.org"}}]}
        answer = api_call(client, "POST", f"/guardrail/{gid}/version/DRAFT/apply", app, json=body).json()
        request_id = answer["steward"]["requestId"]
        feedback = [
            api_call(
                client,
                "POST",
                "/v1/feedback",
                app,
                json={"requestId": request_id, "rating": 1 + n, "text": f"fb {n}"},
            ).json()["id"]
            for n in range(5)
        ]
        appeals = [
            api_call(
                client, "POST", "/v1/appeals", app, json={"requestId": request_id, "reason": f"appeal {n}"}
            ).json()["id"]
            for n in range(3)
        ]
        system = system_doc(id=sid, human_oversight="none")  # the release gate refuses it
        api_call(client, "POST", "/v1/governance/systems", admin, json=system)
        for n in range(3):
            api_call(
                client,
                "POST",
                f"/v1/governance/systems/{sid}/attestations",
                admin,
                json={"name": f"check {n}", "statement": f"checked {n}"},
            )
            refused = client.post(
                f"/v1/governance/systems/{sid}/status",
                json={"status": "deployment"},
                headers={"Authorization": f"Bearer {admin.bearer}"},
            )
            assert refused.status_code == 409, refused.text
    return {"gid": gid, "sid": sid, "request_id": request_id, "feedback": feedback, "appeals": appeals}


def _walk(client: httpx.Client, url: str, row: str, name: str = "") -> tuple[list[str], int]:
    """The ``row`` markers (a regex with one group) of every page of a list, following its "Next
    page" link (id ``{name}next-page``); and how many pages there were."""
    found: list[str] = []
    pages = 0
    while url:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.text[:500])
        found += re.findall(row, answer.text)
        pages += 1
        if pages > 1:
            assert f'id="{name}first-page"' in answer.text
        following = re.search(rf'<a href="([^"]+)" id="{name}next-page"', answer.text)
        url = html.unescape(following.group(1)) if following else ""
    return found, pages


def _in_order(found: list[str], mine: list[str]) -> None:
    assert len(found) == len(set(found)), "a row was shown twice"
    assert [f for f in found if f in mine] == mine


def test_guardrails_and_systems_page_by_id(
    console: Console, admin: httpx.Client, made: dict[str, Any], small_pages: None
) -> None:
    guardrails, pages = _walk(admin, "/console/guardrails", r'<a href="/console/guardrails/([^"/]+)">')
    assert pages > 1 and "shop" in guardrails
    _in_order(guardrails, [made["gid"], made["gid"] + "-b", made["gid"] + "-c"])
    systems, pages = _walk(admin, "/console/governance", r'<tr data-system="([^"]+)"')
    _in_order(systems, [made["sid"]])


def test_a_systems_evidence_and_gate_history_page_newest_first(
    console: Console, admin: httpx.Client, made: dict[str, Any], small_pages: None
) -> None:
    base = f"/console/governance/{made['sid']}"
    evidence, pages = _walk(
        admin,
        base,
        r'<tr data-evidence="[^"]+"><td>[^<]*</td><td>[^<]*</td><td>[^<]*</td><td>([^<]+)</td>',
        "evidence-",
    )
    assert pages == 2 and evidence == ["check 2", "check 1", "check 0"]
    gates, pages = _walk(admin, base, r'<td class="gate-decision">([^<]+)</td>', "gates-")
    assert pages == 2 and gates == ["refused"] * 3
    # Each list keeps its own cursor: the evidence's second page shows the gates' first.
    following = re.search(r'<a href="([^"]+)" id="evidence-next-page"', admin.get(base).text)
    assert following is not None
    second = admin.get(html.unescape(following.group(1)))
    assert 'id="evidence-first-page"' in second.text and 'id="gates-first-page"' not in second.text
    assert 'id="gates-next-page"' in second.text


def test_feedback_and_appeals_page_each_with_its_own_cursor(
    console: Console, admin: httpx.Client, made: dict[str, Any], small_pages: None
) -> None:
    url = f"/console/feedback?request_id={made['request_id']}"
    feedback, pages = _walk(admin, url, r'<tr data-feedback="([^"]+)"', "feedback-")
    assert pages == 3 and feedback == made["feedback"][::-1]  # newest first, each once
    appeals, pages = _walk(admin, url, r'<tr data-appeal="([^"]+)"', "appeals-")
    assert pages > 1
    _in_order(appeals, made["appeals"][::-1])
    resolved, _ = _walk(
        admin, "/console/feedback?appeal_state=resolved", r'<tr data-appeal="([^"]+)"', "appeals-"
    )
    assert not set(resolved) & set(made["appeals"])  # still open


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/console/guardrails?after=no-such-guardrail", "after"),
        ("/console/governance?after=no-such-system", "after"),
        ("/console/feedback?after=0123456789abcdef0123456789abcdef", "after"),
        ("/console/feedback?appeals_after=0123456789abcdef0123456789abcdef", "appeals_after"),
        ("/console/feedback?appeals_after=" + "x" * 65, "appeals_after"),
        ("/console/governance/{sid}?evidence_after=nothing", "evidence_after"),
        ("/console/governance/{sid}?gates_after=abc", "gates_after"),
        ("/console/keys?after=STWNOSUCHKEY", "after"),
        ("/console/review?after=nosuchitem", "after"),
    ],
)
def test_a_bad_cursor_is_a_400_page_naming_it(
    console: Console, admin: httpx.Client, made: dict[str, Any], path: str, field: str
) -> None:
    answer = admin.get(path.format(sid=made["sid"]))
    assert answer.status_code == 400, answer.text[:300]
    assert f"{field}: is not the cursor of a previous page" in html.unescape(answer.text)


def test_audit_search_by_policy(console: Console, admin: httpx.Client, made: dict[str, Any]) -> None:
    def records(policy: str) -> list[str]:
        answer = admin.get("/console/audit", params={"guardrail": made["gid"], "policy": policy})
        assert answer.status_code == 200
        return re.findall(r"<code>([0-9a-f]{32})</code>", answer.text)

    assert records("pii") == [made["request_id"]] and records("") == [made["request_id"]]
    assert records("topic") == [] and records("word") == []
    exported = admin.get(
        "/console/audit/export", params={"guardrail": made["gid"], "policy": "pii", "format": "jsonl"}
    )
    assert made["request_id"] in exported.text
    bad = admin.get("/console/audit", params={"policy": "personal"})
    assert (
        bad.status_code == 400 and "policy: must be one of content, topic, word, pii, grounding" in bad.text
    )


def test_in_the_browser_the_feedback_pages_and_the_policy_filter(
    page: Any, console: Console, made: dict[str, Any], small_pages: None
) -> None:
    sign_in(page, console, Role.AUDITOR)
    page.goto(f"{console.url}/console/feedback?request_id={made['request_id']}")
    first = page.locator("#feedback tbody tr").all_inner_texts()
    page.get_by_role("navigation", name="Feedback pages").get_by_role("link", name="Next page").click()
    second = page.locator("#feedback tbody tr").all_inner_texts()
    assert len(first) == len(second) == 2 and not set(first) & set(second)
    assert "fb 4" in first[0] and "fb 2" in second[0]  # newest first, on from where the first page ended
    check_page(page, "feedback-page-2")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit").click()
    page.get_by_label("Guardrail", exact=True).fill(made["gid"])
    page.get_by_label("Policy").select_option("topic")
    page.get_by_role("button", name="Search").click()
    assert page.locator("#no-records").count() == 1
    page.get_by_label("Policy").select_option("pii")
    page.get_by_role("button", name="Search").click()
    assert page.locator("#records tbody tr").count() == 1 and "EMAIL" in page.locator("#records").inner_text()
    check_page(page, "audit-policy")
