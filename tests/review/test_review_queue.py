"""The review queue on SQLite and PostgreSQL: routing, sealing, the state machine, four-eyes."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from steward import Guard, parse_policy
from steward.errors import ConflictError, InputError, NotFoundError, PermissionDeniedError
from steward.review import Reason, Reviewer, ReviewQueue, SlaSettings
from steward.review.queue import checked_text, item_view
from steward.store.db import make_engine, session_factory
from steward.store.models.review import ReviewAction, ReviewItem
from steward.store.review import ReviewStore
from steward.store.sealing import Sealer

ALICE = Reviewer("KALICE")
BOB = Reviewer("KBOB")
ADMIN = Reviewer("KADMIN", admin=True)
SECRET = "please call me at bob@example.com about the thing"


def _policy(**review: object) -> object:
    return parse_policy(
        {
            "name": "t",
            "sensitive_information": {"pii_entities": [{"type": "EMAIL", "action": "REVIEW"}]},
            "review": review,
        }
    )


def _route(queue: ReviewQueue, text: str = SECRET, **review: object) -> str:
    policy = _policy(**review)
    assessment = Guard(policy).apply(text, "input")  # type: ignore[arg-type]
    item = queue.routed(
        assessment,
        text,
        policy,  # type: ignore[arg-type]
        request_id=uuid.uuid4().hex,
        guardrail_id="g1",
        version="1",
        actor="KAPP",
    )
    assert item is not None
    return queue.add(item)


def test_a_review_finding_opens_an_item_with_the_text_sealed(queue: ReviewQueue, store: ReviewStore) -> None:
    item_id = _route(queue)
    item = store.get_item(item_id)
    assert (item.state, item.reason, item.source, item.guardrail_id) == (
        "open",
        "policy_review",
        "input",
        "g1",
    )
    assert item.text == SECRET
    (finding,) = item.findings
    assert finding["type"] == "EMAIL" and finding["review"] is True
    assert SECRET[finding["start"] : finding["end"]] == "bob@example.com"
    assert "bob@example.com" not in str(item.findings)  # matches are masked in the findings
    with Session(store._sessions.kw["bind"]) as session:  # the row itself holds no clear text
        row = session.get(ReviewItem, item_id)
        assert row is not None and row.text_sealed is not None and "bob@" not in row.text_sealed
    due = item.due_at - item.created_at
    assert due == timedelta(hours=24)
    assert [h.action for h in item.history] == ["create"]


def test_passed_traffic_is_sampled_at_the_policy_rate(store: ReviewStore) -> None:
    draws = iter([0.01, 0.5])
    queue = ReviewQueue(store, sample=lambda: next(draws))
    policy = parse_policy({"name": "t", "review": {"audit_sample_rate": 0.1}})
    assessment = Guard(policy).apply("hello there", "input")
    routed = queue.routed(
        assessment, "hello there", policy, request_id="r1", guardrail_id=None, version=None, actor="K"
    )
    second = queue.routed(
        assessment, "hello there", policy, request_id="r2", guardrail_id=None, version=None, actor="K"
    )
    assert routed is not None and second is None
    first = queue.add(routed)
    assert store.get_item(first).reason == "sampled_audit"
    assert store.get_item(first).due_at - store.get_item(first).created_at == timedelta(hours=168)


def test_nothing_is_routed_without_review_findings_or_sampling(queue: ReviewQueue) -> None:
    policy = parse_policy({"name": "t"})
    assessment = Guard(policy).apply("hello there", "input")
    assert (
        queue.routed(assessment, "hi", policy, request_id="r", guardrail_id=None, version=None, actor="K")
        is None
    )


def test_claim_confirm_resolves_with_the_guards_label(queue: ReviewQueue) -> None:
    item_id = _route(queue)
    claimed = queue.claim(item_id, ALICE)
    assert (claimed.state, claimed.assignee) == ("claimed", ALICE.key_id)
    done = queue.confirm(item_id, ALICE, "it is an e-mail address")
    assert (done.state, done.outcome, done.label, done.category) == ("resolved", "confirmed", 1, "EMAIL")
    assert done.explanation == "it is an e-mail address"
    assert [h.action for h in done.history] == ["create", "claim", "confirmed"]
    assert done.history[-1].actor == ALICE.key_id
    view = item_view(done)
    assert view["history"][-1]["note"] == "it is an e-mail address" and view["text"] == SECRET


def test_overturn_needs_a_label_and_a_category_for_positives(queue: ReviewQueue) -> None:
    item_id = _route(queue)
    queue.claim(item_id, ALICE)
    with pytest.raises(InputError, match="label"):
        queue.overturn(item_id, ALICE, label=3)
    with pytest.raises(InputError, match="category"):
        queue.overturn(item_id, ALICE, label=1)
    with pytest.raises(InputError, match="category"):
        queue.overturn(item_id, ALICE, label=1, category="no spaces please")
    done = queue.overturn(item_id, ALICE, label=0, explanation="a public support address")
    assert (done.outcome, done.label, done.category) == ("overturned", 0, None)


def test_wrong_state_wrong_holder_and_unknown_ids_are_refused(queue: ReviewQueue) -> None:
    item_id = _route(queue)
    with pytest.raises(ConflictError, match="is open, not claimed"):
        queue.confirm(item_id, ALICE)
    queue.claim(item_id, ALICE)
    with pytest.raises(ConflictError, match="is claimed, not open"):
        queue.claim(item_id, BOB)
    with pytest.raises(PermissionDeniedError, match="claimed by another key"):
        queue.confirm(item_id, BOB)
    with pytest.raises(NotFoundError):
        queue.claim("0" * 32, ALICE)
    with pytest.raises(NotFoundError):
        queue.comment("nope", ALICE, "x")
    released = queue.release(item_id, ALICE)
    assert (released.state, released.assignee) == ("open", None)
    queue.claim(item_id, BOB)
    queue.confirm(item_id, BOB)
    with pytest.raises(ConflictError, match="is resolved"):
        queue.release(item_id, BOB)


def test_escalated_items_go_to_admins_whose_verdict_is_final(queue: ReviewQueue) -> None:
    item_id = _route(queue, four_eyes=True)
    queue.claim(item_id, ALICE)
    assert queue.escalate(item_id, ALICE, "not sure").state == "escalated"
    with pytest.raises(PermissionDeniedError, match="only an admin"):
        queue.claim(item_id, BOB)
    queue.claim(item_id, ADMIN)
    done = queue.overturn(item_id, ADMIN, label=0)
    assert done.state == "resolved" and done.resolved_by == ADMIN.key_id


def test_four_eyes_needs_a_second_different_key(queue: ReviewQueue) -> None:
    item_id = _route(queue, four_eyes=True)
    queue.claim(item_id, ALICE)
    first = queue.confirm(item_id, ALICE)
    assert (first.state, first.first_reviewer, first.outcome) == ("open", ALICE.key_id, None)
    with pytest.raises(PermissionDeniedError, match="second reviewer"):
        queue.claim(item_id, ALICE)
    queue.claim(item_id, BOB)
    done = queue.confirm(item_id, BOB)
    assert (done.state, done.outcome, done.resolved_by) == ("resolved", "confirmed", BOB.key_id)
    assert [h.action for h in done.history] == ["create", "claim", "verdict-1", "claim", "confirmed"]


def test_four_eyes_disagreement_escalates(queue: ReviewQueue) -> None:
    item_id = _route(queue, four_eyes=True)
    queue.claim(item_id, ALICE)
    queue.confirm(item_id, ALICE)
    queue.claim(item_id, BOB)
    assert queue.overturn(item_id, BOB, label=0).state == "escalated"


def test_comments_are_sealed_and_kept_in_history(queue: ReviewQueue, store: ReviewStore) -> None:
    item_id = _route(queue)
    queue.comment(item_id, BOB, "looks like a customer writing in")
    with pytest.raises(InputError, match="note"):
        queue.comment(item_id, BOB, "x" * 5000)
    with pytest.raises(InputError, match="note: is not valid UTF-8"):
        queue.comment(item_id, BOB, "from a terminal \udcff")  # argv bytes that are not UTF-8
    item = store.get_item(item_id)
    assert item.history[-1].note == "looks like a customer writing in"
    with Session(store._sessions.kw["bind"]) as session:
        rows = session.scalars(select(ReviewAction).where(ReviewAction.item_id == item_id)).all()
        assert all("customer" not in (r.note_sealed or "") for r in rows)


def test_retention_drops_the_text_but_keeps_the_item(queue: ReviewQueue, store: ReviewStore) -> None:
    item_id = _route(queue)
    assert store.purge_expired(store.get_item(item_id).expires_at + timedelta(seconds=1)) >= 1
    item = store.get_item(item_id)
    assert item.text is None and not item.has_text and item.state == "open"


def test_sla_settings_parse_and_refuse_bad_entries() -> None:
    sla = SlaSettings.parse("appeal=48, handoff=2")
    assert sla.hours[Reason.APPEAL] == 48 and sla.hours[Reason.POLICY_REVIEW] == 24
    for bad, problem in (
        ("appeal", "REASON=HOURS"),
        ("appeal=x", "number"),
        ("nope=3", "unknown reason"),
        ("appeal=0", "outside"),
    ):
        with pytest.raises(InputError, match=problem):
            SlaSettings.parse(bad)


def test_another_server_key_cannot_read_the_text(queue: ReviewQueue, package_db_url: str) -> None:
    from cryptography.fernet import Fernet

    from steward.errors import StorageError

    item_id = _route(queue)
    engine = make_engine(package_db_url)
    try:
        other = ReviewStore(session_factory(engine), Sealer(Fernet.generate_key()))
        with pytest.raises(StorageError, match="cannot be decrypted"):
            other.get_item(item_id)
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_two_concurrent_claimers_on_postgresql_get_one_winner(pg_db_url: str, review_key: bytes) -> None:
    """Two processes' worth of claimers (own engines, own connections) race for the same items."""
    from steward.store.db import upgrade

    upgrade(pg_db_url)
    engines = [make_engine(pg_db_url) for _ in range(2)]
    try:
        queues = [ReviewQueue(ReviewStore(session_factory(e), Sealer(review_key))) for e in engines]
        items = [_route(queues[0]) for _ in range(20)]
        wins: dict[str, list[str]] = {i: [] for i in items}
        barrier = threading.Barrier(2)

        def claimer(queue: ReviewQueue, who: Reviewer) -> None:
            for item_id in items:
                barrier.wait()
                try:
                    queue.claim(item_id, who)
                except ConflictError:
                    continue
                wins[item_id].append(who.key_id)

        threads = [
            threading.Thread(target=claimer, args=(q, r)) for q, r in zip(queues, (ALICE, BOB), strict=True)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert all(len(w) == 1 for w in wins.values()), wins
        for item_id, (winner,) in wins.items():
            assert queues[1].store.get_item(item_id).assignee == winner
    finally:
        for e in engines:
            e.dispose()


def test_consequential_systems_are_sampled_at_their_own_rate(store: ReviewStore) -> None:
    policy = parse_policy(
        {"name": "t", "review": {"consequential_sample_rate": 0.5, "four_eyes": "CONSEQUENTIAL"}}
    )
    assessment = Guard(policy).apply("hello there", "input")
    draws = iter([0.4, 0.9, 0.1])
    queue = ReviewQueue(store, sample=lambda: next(draws))
    assert queue.reason_for(assessment, policy, consequential=True) is Reason.CONSEQUENTIAL_SYSTEM
    assert queue.reason_for(assessment, policy, consequential=True) is None
    assert queue.reason_for(assessment, policy) is None  # not consequential, no audit sampling
    item = queue.routed(
        assessment,
        "hi",
        policy,
        request_id="rc",
        guardrail_id="g",
        version="1",
        actor="K",
        consequential=True,
    )  # the third draw (0.1) is under the rate
    assert item is not None
    item_id = queue.add(item)
    assert store.get_item(item_id).four_eyes
    assert store.get_item(item_id).reason == Reason.CONSEQUENTIAL_SYSTEM


@pytest.mark.parametrize(
    ("value", "expected"), [(True, "ALWAYS"), (False, "NEVER"), ("CONSEQUENTIAL", "CONSEQUENTIAL")]
)
def test_four_eyes_settings(value: object, expected: str) -> None:
    policy = parse_policy({"name": "t", "review": {"four_eyes": value}})
    assert policy.review.four_eyes.value == expected
    assert policy.review.needs_four_eyes(consequential=True) is (expected != "NEVER")
    assert policy.review.needs_four_eyes(consequential=False) is (expected == "ALWAYS")


def test_checked_text_is_the_one_check_for_notes_feedback_and_appeals() -> None:
    assert checked_text("fine", "note", 4) == "fine"
    with pytest.raises(InputError, match="note: is 5 characters, over the limit of 4"):
        checked_text("x" * 5, "note", 4)
    with pytest.raises(InputError, match="reason: is not valid UTF-8 .*at character 5"):
        checked_text("half \udc00", "reason", 100)
    with pytest.raises(InputError, match="text: must be a string, not list"):
        checked_text(["a"], "text", 100)
