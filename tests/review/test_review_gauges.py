"""Prometheus gauges of the review queue: depth by reason and state, SLA breaches by reason,
read from the database at each scrape."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from fastapi.testclient import TestClient
from review_helpers import headers

from steward.monitor.prom import REVIEW_BREACHES, REVIEW_DEPTH, refresh_review_gauges
from steward.review import Reason, Reviewer, ReviewQueue
from steward.store.models.core import utcnow
from steward.store.review import ReviewStore


def _add(queue: ReviewQueue, reason: Reason) -> str:
    return queue.add(
        queue.new_item(
            reason,
            request_id=uuid.uuid4().hex,
            source="input",
            action="NONE",
            findings=[],
            text="a text",
            actor="KAPP",
        )
    )


def _counts(store: ReviewStore, **kwargs: object) -> dict[tuple[str, str], tuple[int, int]]:
    return {(r, s): (n, o) for r, s, n, o in store.queue_counts(**kwargs)}  # type: ignore[arg-type]


def test_queue_counts_group_unresolved_items_and_count_the_overdue(
    queue: ReviewQueue, store: ReviewStore
) -> None:
    before = _counts(store)
    later = utcnow() + timedelta(hours=5)  # past the 4 h hand-off SLA, inside the 24 h review SLA
    before_later = _counts(store, now=later)
    handoffs = [_add(queue, Reason.HANDOFF) for _ in range(2)]
    _add(queue, Reason.POLICY_REVIEW)
    queue.claim(handoffs[0], Reviewer("KREV"))
    resolved = _add(queue, Reason.APPEAL)
    queue.claim(resolved, Reviewer("KREV"))
    queue.overturn(resolved, Reviewer("KREV"), label=0)

    def delta(
        counts: dict[tuple[str, str], tuple[int, int]], old: dict[tuple[str, str], tuple[int, int]]
    ) -> dict:
        keys = set(counts) | set(old)
        out = {}
        for k in keys:
            n, o = counts.get(k, (0, 0))
            n0, o0 = old.get(k, (0, 0))
            if (n - n0, o - o0) != (0, 0):
                out[k] = (n - n0, o - o0)
        return out

    assert delta(_counts(store), before) == {
        ("handoff", "open"): (1, 0),
        ("handoff", "claimed"): (1, 0),
        ("policy_review", "open"): (1, 0),
    }  # the resolved appeal is not in the queue
    assert delta(_counts(store, now=later), before_later) == {
        ("handoff", "open"): (1, 1),
        ("handoff", "claimed"): (1, 1),
        ("policy_review", "open"): (1, 0),
    }


def test_gauges_follow_the_counts_and_drop_to_zero_when_a_series_empties() -> None:
    refresh_review_gauges([("appeal", "open", 3, 1), ("appeal", "claimed", 2, 2), ("handoff", "open", 1, 0)])
    assert REVIEW_DEPTH.labels("appeal", "open")._value.get() == 3
    assert REVIEW_DEPTH.labels("appeal", "claimed")._value.get() == 2
    assert REVIEW_BREACHES.labels("appeal")._value.get() == 3
    assert REVIEW_BREACHES.labels("handoff")._value.get() == 0
    refresh_review_gauges([("handoff", "open", 4, 4)])
    assert REVIEW_DEPTH.labels("appeal", "open")._value.get() == 0
    assert REVIEW_BREACHES.labels("appeal")._value.get() == 0
    assert REVIEW_DEPTH.labels("handoff", "open")._value.get() == 4
    assert REVIEW_BREACHES.labels("handoff")._value.get() == 4


def _gauge(text: str, name: str, labels: str) -> float:
    match = re.search(rf"^{name}\{{{labels}\}} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def test_a_scrape_reads_the_queue_depth_from_the_database(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    def scrape() -> str:
        r = review_app.get("/metrics", headers=headers(review_keys, "auditor"))
        assert r.status_code == 200
        return r.text

    first = _gauge(scrape(), "steward_review_queue_depth", 'reason="handoff",state="open"')
    gid = "g" + uuid.uuid4().hex[:12]
    admin = headers(review_keys, "admin")
    policy = {"name": "gauged"}
    assert (
        review_app.post("/v1/guardrails", json={"id": gid, "policy": policy}, headers=admin).status_code
        == 201
    )
    body = {"model": "any", "messages": [{"role": "user", "content": "a person please"}]}
    extra = {"x-steward-handoff": "1", "x-steward-guardrail": f"{gid}:DRAFT"}
    r = review_app.post("/v1/chat/completions", json=body, headers={**headers(review_keys, "app"), **extra})
    assert r.status_code == 200, r.text
    assert review_app.app.state.review_services.writer.flush()  # type: ignore[attr-defined]  # stored
    text = scrape()
    assert _gauge(text, "steward_review_queue_depth", 'reason="handoff",state="open"') == first + 1
    assert re.search(r'^steward_review_sla_breaches\{reason="handoff"\} \S+$', text, re.MULTILINE)
