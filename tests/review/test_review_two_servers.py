"""Two real ``steward serve`` processes sharing one PostgreSQL database, as a scaled-out deployment
runs them: items opened through either are all stored, reviewers claiming through both get exactly
one winner per item, and the feedback both took is all there after they stop."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from loopback_servers import steward_processes
from steward.app.context import local_app
from steward.store.keys import Role
from steward.store.models.review import Feedback, ReviewAction, ReviewItem

POLICY = {
    "name": "shared",
    "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "REVIEW"}]},
}
ITEMS = 24


@pytest.mark.slow
@pytest.mark.postgres
def test_two_servers_on_one_postgresql_share_the_queue_without_a_double_claim(
    pg_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from steward.policy import parse_policy

    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))  # the server key both processes share
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    with local_app(pg_db_url, create=True) as app:  # migrated once, before the processes start
        app.guardrails.create("shared", parse_policy(POLICY))
        app.guardrails.create_version("shared")
        keys = {name: app.keys.create(role) for name, role in
                (("app", Role.APP), ("alice", Role.REVIEWER), ("bob", Role.REVIEWER))}  # fmt: skip
        sessions = app.sessions
        auth = {name: {"Authorization": f"Bearer {k.bearer}"} for name, k in keys.items()}
        with steward_processes(
            pg_db_url, tmp_path, 2, STEWARD_WARM_GUARDS="0", STEWARD_ALERT_INTERVAL_S="0"
        ) as (
            a,
            b,
        ):
            # Decisions that need a person, made through both servers (each process's writer stores its own).
            request_ids = []
            with httpx.Client(timeout=60) as http:
                for i in range(ITEMS):
                    body = {
                        "source": "INPUT",
                        "content": [{"text": {"text": f"mail p{i}@example.com please"}}],
                    }
                    r = http.post(
                        f"{(a, b)[i % 2]}/guardrail/shared/version/1/apply", json=body, headers=auth["app"]
                    )
                    assert r.status_code == 200, r.text
                    request_ids.append(r.json()["steward"]["requestId"])
                    # feedback on the decision just made, through the other server (whose audit
                    # writer may not have it yet: the route looks it up again before refusing)
                    fb = {"requestId": request_ids[-1], "rating": 1 + i % 5}
                    assert (
                        http.post(f"{(b, a)[i % 2]}/v1/feedback", json=fb, headers=auth["app"]).status_code
                        == 201
                    )
                # Each reviewer lists the queue through its own server: every item is there, whoever
                # stored it (the other process's writer commits within milliseconds).
                listed: dict[str, set[str]] = {"alice": set(), "bob": set()}
                deadline = time.monotonic() + 20
                while set(request_ids) - listed["alice"] or set(request_ids) - listed["bob"]:
                    assert time.monotonic() < deadline, listed
                    for name, base in (("alice", a), ("bob", b)):
                        r = http.get(f"{base}/v1/review/items", params={"limit": 1000}, headers=auth[name])
                        assert r.status_code == 200, r.text
                        listed[name] = {i["requestId"] for i in r.json()["items"] if i["state"] == "open"}
                ids = {i["requestId"]: i["id"] for i in r.json()["items"]}
            assert listed["alice"] == listed["bob"] == set(request_ids)  # written by both processes
            # Both reviewers claim every item at the same moment, each through their own server.
            wins: dict[str, list[str]] = {ids[rid]: [] for rid in request_ids}
            refusals: Counter[int] = Counter()
            barrier = threading.Barrier(2)

            def claimer(name: str, base: str) -> None:
                with httpx.Client(timeout=60) as http:
                    for item_id in wins:
                        barrier.wait()
                        r = http.post(f"{base}/v1/review/items/{item_id}/claim", headers=auth[name])
                        if r.status_code == 200:
                            wins[item_id].append(name)
                        else:
                            refusals[r.status_code] += 1

            threads = [threading.Thread(target=claimer, args=args) for args in (("alice", a), ("bob", b))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        # The processes stopped cleanly: their writers stored what they held.
        assert all(len(w) == 1 for w in wins.values()), wins
        assert refusals == Counter({409: ITEMS})  # the loser of each race is told the item is claimed
        with sessions() as session:
            claims = Counter(
                session.scalars(select(ReviewAction.item_id).where(ReviewAction.action == "claim"))
            )
            holders = {i: who for i, who in session.execute(select(ReviewItem.id, ReviewItem.assignee))}
            feedback = session.scalar(
                select(func.count()).select_from(Feedback).where(Feedback.request_id.in_(request_ids))
            )
        assert claims == Counter({item_id: 1 for item_id in wins})  # one claim in each item's history
        assert {i: holders[i] for i in wins} == {i: keys[w[0]].id for i, w in wins.items()}
        assert feedback == ITEMS  # nothing lost by either process
