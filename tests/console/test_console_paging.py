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
from console_helpers import Console, api_call, check_page, create_guardrail, csrf_of, sign_in

from steward.console import feedback_pages, governance_pages, guardrail_pages
from steward.store.keys import Role
from steward.store.models.core import GuardrailVersion

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


def _with_versions(console: Console, count: int) -> str:
    """A new guardrail with ``count`` frozen versions (version n's description is "v n"): the
    first frozen by the store, the others written in one transaction numbered as it numbers
    them (a thousand freezes, a commit each, take minutes on PostgreSQL)."""
    gid = f"zz-{uuid.uuid4().hex[:8]}-versions"
    create_guardrail(console, gid, {"name": gid})
    store = console.state.guardrails
    store.create_version(gid, description="v 1")
    policy = store.get_version(gid, 1).policy
    with console.state.sessions.begin() as session:
        session.add_all(
            GuardrailVersion(guardrail_id=gid, version=n, description=f"v {n}", policy=policy)
            for n in range(2, count + 1)
        )
    return gid


def test_a_guardrails_versions_page_newest_first_to_the_last(
    console: Console, admin: httpx.Client, small_pages: None
) -> None:
    gid = _with_versions(console, 5)
    versions, pages = _walk(admin, f"/console/guardrails/{gid}", r'<tr data-version="(\d+)"', "versions-")
    assert pages == 3 and versions == ["5", "4", "3", "2", "1"]
    last = admin.get(f"/console/guardrails/{gid}?after=3").text
    # on the last page the pickers still reach every version and suggest the newest
    assert 'max="5"' in last and re.findall(r'<tr data-version="(\d+)"', last) == ["2", "1"]
    suggested = re.search(r'<datalist id="recent-versions">(.*?)</datalist>', last, re.S)
    assert suggested is not None and re.findall(r'value="(\d+)"', suggested.group(1)) == [
        "5",
        "4",
        "3",
        "2",
        "1",
    ]


def test_a_guardrail_with_a_thousand_versions_renders_one_page(console: Console, admin: httpx.Client) -> None:
    gid = _with_versions(console, 1000)
    answer = admin.get(f"/console/guardrails/{gid}")
    assert answer.status_code == 200
    shown = [int(n) for n in re.findall(r'<tr data-version="(\d+)"', answer.text)]
    assert shown == list(range(1000, 1000 - guardrail_pages.PAGE, -1))
    assert len(re.findall(r"<option ", answer.text)) <= 2 * guardrail_pages.RECENT + 3  # no list of all
    assert 'max="1000"' in answer.text
    assert (
        f'href="/console/guardrails/{gid}?after={1001 - guardrail_pages.PAGE}" id="versions-next-page"'
        in answer.text
    )
    diff = admin.get(f"/console/guardrails/{gid}/diff", params={"from": "1", "to": "1000"})
    assert diff.status_code == 200 and f"{gid}:1 compared with {gid}:1000" in html.unescape(diff.text)


def test_the_pickers_take_a_version_from_an_earlier_page_and_name_a_bad_one(
    console: Console, admin: httpx.Client, small_pages: None
) -> None:
    gid = _with_versions(console, 5)
    shown = admin.get(f"/console/guardrails/{gid}").text
    assert 'data-version="1"' not in shown  # version 1 is on the last page
    csrf = csrf_of(shown)
    ask = admin.post(
        f"/console/guardrails/{gid}/aliases", data={"csrf": csrf, "alias": "old", "version": "1"}
    )
    assert ask.status_code == 200 and "pointing to version <strong>1</strong>" in ask.text
    moved = admin.post(
        f"/console/guardrails/{gid}/aliases",
        data={"csrf": csrf_of(ask.text), "alias": "old", "version": "1", "confirm": "yes"},
    )
    assert moved.status_code == 303
    assert [(a.name, a.version) for a in console.state.guardrails.list_aliases(gid)] == [("old", 1)]
    diff = admin.get(f"/console/guardrails/{gid}/diff", params={"from": "1", "to": "old"})
    assert diff.status_code == 200 and f"{gid}:1 compared with {gid}:1" in html.unescape(diff.text)

    def error(answer: httpx.Response) -> str:
        found = re.search(r'class="error"[^>]*>(.*?)</p>', answer.text, re.S)
        assert found is not None, answer.text[:300]
        return html.unescape(found.group(1)).strip()

    for version in ("6", "99999999"):
        for confirm in ("", "yes"):
            bad = admin.post(
                f"/console/guardrails/{gid}/aliases",
                data={"csrf": csrf, "alias": "old", "version": version, "confirm": confirm},
            )
            assert bad.status_code == 400
            assert error(bad) == f"version: names no version of {gid}; give a number from 1 to 5"
    bad = admin.post(
        f"/console/guardrails/{gid}/aliases", data={"csrf": csrf, "alias": "old", "version": "two"}
    )
    assert bad.status_code == 400 and error(bad) == "version: must be a version number (1, 2, ...)"
    expected = {
        (
            "6",
            "DRAFT",
        ): f"from: names no version of {gid}; give a number from 1 to 5, DRAFT, latest or an alias",
        ("1", "gone"): f"to: names no version of {gid}; give a number from 1 to 5, DRAFT, latest or an alias",
        ("-1", "DRAFT"): "from: must be 1-64 characters of lower-case letters",
        ("1", "0"): "to: version numbers run from 1 to 99999999",
    }
    for (old, new), says in expected.items():
        bad = admin.get(f"/console/guardrails/{gid}/diff", params={"from": old, "to": new})
        assert bad.status_code == 400 and error(bad).startswith(says), (old, new, bad.text[:300])
    assert [(a.name, a.version) for a in console.state.guardrails.list_aliases(gid)] == [("old", 1)]
    empty = f"zz-{uuid.uuid4().hex[:8]}-empty"
    create_guardrail(console, empty, {"name": empty})
    bad = admin.get(f"/console/guardrails/{empty}/diff", params={"from": "latest"})
    assert bad.status_code == 400
    assert error(bad) == f"from: names no version of {empty}, which has only its DRAFT so far"
    assert admin.get("/console/guardrails/no-such-guardrail/diff", params={"from": "1"}).status_code == 404


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
        ("/console/guardrails/shop?after=99", "after"),
        ("/console/guardrails/shop?after=v2", "after"),
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


def test_in_the_browser_a_guardrails_versions_page_and_pickers_reach_any_version(
    page: Any, console: Console, small_pages: None
) -> None:
    gid = _with_versions(console, 5)
    sign_in(page, console, Role.ADMIN)
    page.goto(f"{console.url}/console/guardrails/{gid}")

    def shown() -> list[str]:
        return page.locator("#versions tbody tr td:first-child").all_inner_texts()

    assert shown() == ["5", "4"]
    pages = page.get_by_role("navigation", name="Version pages")
    pages.get_by_role("link", name="Next page").click()
    assert shown() == ["3", "2"]
    pages.get_by_role("link", name="Next page").click()
    assert shown() == ["1"] and pages.get_by_role("link", name="Next page").count() == 0
    check_page(page, "guardrail-versions-last-page")
    pages.get_by_role("link", name="First page").click()
    assert shown() == ["5", "4"]
    # By keyboard alone: a version on no shown page, typed; one past the newest the field refuses.
    page.get_by_label("Alias", exact=True).fill("old")
    version = page.get_by_label("Version", exact=True)
    version.press("Control+a")
    page.keyboard.type("6")
    page.keyboard.press("Enter")
    assert version.evaluate("e => e.validity.rangeOverflow") and shown() == ["5", "4"]  # not sent
    version.press("Control+a")
    page.keyboard.type("1")
    page.keyboard.press("Enter")
    assert "pointing to version 1" in page.locator("#confirm-text").inner_text()
    page.get_by_role("button", name="Yes, move old to version 1").press("Enter")
    assert page.locator("#moved").inner_text() == "old now points to version 1"
    assert page.locator("tr[data-alias=old] .alias-version").inner_text() == "1"
    page.get_by_label("Compare").fill("1")
    page.get_by_label("with").fill("5")
    page.get_by_label("with").press("Enter")
    assert page.locator("h1").inner_text() == f"{gid}:1 compared with {gid}:5"
    page.go_back()
    page.get_by_label("Compare").fill("9")
    page.get_by_role("button", name="Show the diff").click()
    assert (
        page.locator(".error")
        .inner_text()
        .startswith(f"from: names no version of {gid}; give a number from 1 to 5")
    )
    check_page(page, "guardrail-diff-bad-version")
