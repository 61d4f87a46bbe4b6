"""Policy suggestions from overturns: false positives propose removing the custom word that fired
or an exception to the denied topic that fired, false negatives propose the text as a denied
topic's example; only an admin's accept edits the guardrail's DRAFT (a new revision; numbered
versions untouched)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from review_helpers import headers

from steward.app.context import local_app as open_stores
from steward.cli import main
from steward.cli.exit_codes import ExitCode
from steward.errors import ConflictError, NotFoundError
from steward.guard import Guard
from steward.policy.io import parse_policy
from steward.review import Reason, Reviewer, ReviewQueue
from steward.review.suggest import Kind, Suggester, apply_change
from steward.store.db import make_engine, session_factory, upgrade
from steward.store.guardrails import GuardrailStore
from steward.store.review import ReviewStore
from steward.store.sealing import Sealer
from steward.store.suggestions import SuggestionStore

TOPIC = "Investment advice"
POLICY: dict[str, Any] = {
    "name": "suggesting",
    "word_filters": {"words": ["grapefruit", "durian"], "action": "BLOCK"},
    "denied_topics": [
        {
            "name": TOPIC,
            "definition": "Recommendations about which stocks or funds to buy to make money.",
            "examples": ["Which stocks should I buy?"],
        }
    ],
}
REVIEWER = Reviewer("KREV")


def _blocked_item(queue: ReviewQueue, gid: str, text: str) -> str:
    policy = parse_policy(POLICY)
    assessment = Guard(policy).apply(text, "input")  # type: ignore[arg-type]
    assert assessment.blocked
    item = queue.add(
        queue.new_item(
            Reason.POLICY_REVIEW,
            request_id=uuid.uuid4().hex,
            guardrail_id=gid,
            version="DRAFT",
            source="input",
            action=assessment.action.value,
            blocked=True,
            findings=[f.to_dict(include_match=False) for f in assessment.findings],
            text=text,
            actor="KAPP",
        )
    )
    return item


def _passed_item(queue: ReviewQueue, gid: str, text: str) -> str:
    return queue.add(
        queue.new_item(
            Reason.SAMPLED_AUDIT,
            request_id=uuid.uuid4().hex,
            guardrail_id=gid,
            version="DRAFT",
            source="input",
            action="NONE",
            findings=[],
            text=text,
            actor="KAPP",
        )
    )


def _resolve(queue: ReviewQueue, item: str, *, label: int, category: str | None = None) -> None:
    queue.claim(item, REVIEWER)
    queue.overturn(item, REVIEWER, label=label, category=category)


@pytest.fixture
def world(fresh_db_url: str, review_key: bytes) -> Iterator[tuple[Suggester, ReviewQueue, str]]:
    """A database of its own: a pass over the overturns reads every resolved item there."""
    upgrade(fresh_db_url)
    engine = make_engine(fresh_db_url)
    sessions, sealer = session_factory(engine), Sealer(review_key)
    store = ReviewStore(sessions, sealer)
    guardrails = GuardrailStore(sessions)
    gid = "s" + uuid.uuid4().hex[:12]
    guardrails.create(gid, parse_policy(POLICY))
    yield Suggester(store, SuggestionStore(sessions, sealer), guardrails), ReviewQueue(store), gid
    engine.dispose()


def _mine(suggester: Suggester, gid: str) -> list[Any]:
    return [s for s in suggester.suggestions.list(limit=1000) if s.guardrail_id == gid]


def test_overturns_become_suggestions_and_a_rerun_adds_nothing(
    world: tuple[Suggester, ReviewQueue, str],
) -> None:
    suggester, queue, gid = world
    fp1 = _blocked_item(queue, gid, "I like grapefruit juice")
    fp2 = _blocked_item(queue, gid, "grapefruit is sour")
    fn = _passed_item(queue, gid, "Tell me which fund will double my money")
    confirmed = _blocked_item(queue, gid, "durian again")
    _resolve(queue, fp1, label=0)
    _resolve(queue, fp2, label=0)
    _resolve(queue, fn, label=1, category="Investment_advice")
    queue.claim(confirmed, REVIEWER)
    queue.confirm(confirmed, REVIEWER)
    other = _passed_item(queue, gid, "a missed insult")
    _resolve(queue, other, label=1, category="INSULTS")  # not a denied topic: nothing to propose

    count = suggester.generate()
    assert count.skipped["category_is_not_a_denied_topic"] >= 1
    found = {(s.kind, s.target, s.value): s for s in _mine(suggester, gid)}
    assert set(found) == {
        ("remove_word", "word_filters.words", "grapefruit"),  # durian was confirmed: no suggestion
        ("add_topic_example", TOPIC, "Tell me which fund will double my money"),
    }
    assert sorted(found["remove_word", "word_filters.words", "grapefruit"].item_ids) == sorted([fp1, fp2])
    assert all(s.state == "pending" for s in found.values())
    assert suggester.generate().offered == 0  # idempotent
    # nothing changed the policy
    assert suggester.guardrails.get(gid).draft_revision == 1


def test_accepting_edits_the_draft_and_rejecting_leaves_it(world: tuple[Suggester, ReviewQueue, str]) -> None:
    suggester, queue, gid = world
    version = suggester.guardrails.create_version(gid)
    _resolve(queue, _blocked_item(queue, gid, "grapefruit!"), label=0)
    _resolve(queue, _passed_item(queue, gid, "Buy these shares now"), label=1, category="Investment_advice")
    _resolve(queue, _blocked_item(queue, gid, "durian smell"), label=0)
    suggester.generate()
    by_value = {s.value: s for s in _mine(suggester, gid)}

    record, info = suggester.accept(by_value["grapefruit"].id, "KADMIN")
    assert (record.state, record.decided_by, record.draft_revision) == (
        "accepted",
        "KADMIN",
        info.draft_revision,
    )
    assert info.policy["word_filters"]["words"] == ["durian"]
    _, info = suggester.accept(by_value["Buy these shares now"].id, "KADMIN")
    assert info.policy["denied_topics"][0]["examples"] == [
        "Which stocks should I buy?",
        "Buy these shares now",
    ]
    assert suggester.guardrails.get_version(gid, version.version).policy["word_filters"]["words"] == [
        "grapefruit",
        "durian",
    ]  # the frozen version is untouched
    with pytest.raises(ConflictError, match="already accepted"):
        suggester.accept(by_value["grapefruit"].id, "KADMIN2")
    rejected = suggester.reject(by_value["durian"].id, "KADMIN")
    assert rejected.state == "rejected"
    assert suggester.guardrails.get(gid).policy["word_filters"]["words"] == ["durian"]
    with pytest.raises(NotFoundError):
        suggester.reject("nope", "KADMIN")


def test_a_suggestion_that_no_longer_fits_stays_pending(world: tuple[Suggester, ReviewQueue, str]) -> None:
    suggester, queue, gid = world
    _resolve(queue, _blocked_item(queue, gid, "grapefruit"), label=0)
    suggester.generate()
    (suggestion,) = _mine(suggester, gid)
    edited = {**POLICY, "word_filters": {"words": ["durian"], "action": "BLOCK"}}
    suggester.guardrails.update(gid, policy=parse_policy(edited))  # someone removed it meanwhile
    with pytest.raises(ConflictError, match="no longer holds 'grapefruit'"):
        suggester.accept(suggestion.id, "KADMIN")
    assert suggester.suggestions.get(suggestion.id).state == "pending"


def test_apply_change_refuses_a_full_topic_and_a_repeated_example() -> None:
    policy = parse_policy(POLICY)
    with pytest.raises(ConflictError, match="already has this example"):
        apply_change(policy, Kind.ADD_TOPIC_EXAMPLE, TOPIC, "Which stocks should I buy?")
    full = policy
    for i in range(4):
        full = apply_change(full, Kind.ADD_TOPIC_EXAMPLE, TOPIC, f"example {i}")
    with pytest.raises(ConflictError, match="5 examples"):
        apply_change(full, Kind.ADD_TOPIC_EXAMPLE, TOPIC, "one more")
    with pytest.raises(ConflictError, match="no denied topic"):
        apply_change(policy, Kind.ADD_TOPIC_EXAMPLE, "Other", "x")


def test_an_overturned_topic_block_proposes_an_exception_that_an_admin_accepts(
    world: tuple[Suggester, ReviewQueue, str],
) -> None:
    suggester, queue, gid = world
    # A question about history, blocked as investment advice: a topic false positive.
    question = "Which stocks did Warren Buffett buy in 1988?"
    text = f"{question} I am writing a school report."
    item = _blocked_item(queue, gid, text)
    finding = next(f for f in suggester.reviews.get_item(item).findings if f["policy"] == "topicPolicy")
    assert finding["type"] == TOPIC and finding["action"] == "BLOCKED"
    _resolve(queue, item, label=0)
    assert suggester.generate().offered == 1
    (suggestion,) = _mine(suggester, gid)
    # The sentence the finding pointed at, which is what the detector compares.
    assert (suggestion.kind, suggestion.target, suggestion.value) == ("add_topic_exception", TOPIC, question)

    _, info = suggester.accept(suggestion.id, "KADMIN")
    assert info.policy["denied_topics"][0]["exceptions"] == [question]
    # The DRAFT now lets the question through, and still blocks the topic itself.
    draft = Guard(parse_policy(info.policy))
    assert not draft.apply(text, "input").blocked  # type: ignore[arg-type]
    assert draft.apply("Which shares should I buy right now to get rich?", "input").blocked  # type: ignore[arg-type]


def test_apply_change_refuses_a_repeated_exception_and_a_full_list() -> None:
    policy = apply_change(parse_policy(POLICY), Kind.ADD_TOPIC_EXCEPTION, TOPIC, "How do bonds work?")
    assert policy.denied_topics[0].exceptions == ["How do bonds work?"]
    with pytest.raises(ConflictError, match="already has this exception"):
        apply_change(policy, Kind.ADD_TOPIC_EXCEPTION, TOPIC, "How do bonds work?")
    for i in range(9):
        policy = apply_change(policy, Kind.ADD_TOPIC_EXCEPTION, TOPIC, f"exception {i}")
    with pytest.raises(ConflictError, match="10 exceptions"):
        apply_change(policy, Kind.ADD_TOPIC_EXCEPTION, TOPIC, "one more")
    with pytest.raises(ConflictError, match="no denied topic"):
        apply_change(policy, Kind.ADD_TOPIC_EXCEPTION, "Other", "x")


def test_the_admin_routes(review_app: TestClient, review_keys: dict[str, dict[str, str]]) -> None:
    admin, reviewer = headers(review_keys, "admin"), headers(review_keys, "reviewer")
    gid = "s" + uuid.uuid4().hex[:12]
    assert (
        review_app.post("/v1/guardrails", json={"id": gid, "policy": POLICY}, headers=admin).status_code
        == 201
    )
    r = review_app.post(
        f"/guardrail/{gid}/version/DRAFT/apply",
        json={"source": "INPUT", "content": [{"text": {"text": "I like grapefruit"}}]},
        headers=headers(review_keys, "app"),
    )
    assert r.status_code == 200, r.text
    rid = r.json()["steward"]["requestId"]
    appeal = review_app.post(
        "/v1/appeals",
        json={"requestId": rid, "reason": "a fruit", "text": "I like grapefruit"},
        headers=headers(review_keys, "app"),
    )
    assert appeal.status_code == 201, appeal.text
    items = review_app.get(
        "/v1/review/items", params={"reason": "appeal", "limit": 1000}, headers=reviewer
    ).json()
    item = next(i["id"] for i in items["items"] if i["requestId"] == rid)
    assert review_app.post(f"/v1/review/items/{item}/claim", headers=reviewer).status_code == 200
    assert (
        review_app.post(f"/v1/review/items/{item}/overturn", json={"label": 0}, headers=reviewer).status_code
        == 200
    )

    assert review_app.post("/v1/review/suggestions/generate", headers=reviewer).status_code == 403
    generated = review_app.post("/v1/review/suggestions/generate", headers=admin)
    assert generated.status_code == 200 and generated.json()["offered"] >= 1
    listed = review_app.get("/v1/review/suggestions", params={"state": "pending"}, headers=admin).json()
    mine = [s for s in listed["suggestions"] if s["guardrailId"] == gid]
    assert [(s["kind"], s["value"]) for s in mine] == [("remove_word", "grapefruit")]
    bad = review_app.get("/v1/review/suggestions", params={"state": "maybe"}, headers=admin)
    assert bad.status_code == 400
    accepted = review_app.post(f"/v1/review/suggestions/{mine[0]['id']}/accept", headers=admin)
    assert accepted.status_code == 200 and accepted.json()["guardrail"]["draftRevision"] == 2
    again = review_app.post(f"/v1/review/suggestions/{mine[0]['id']}/accept", headers=admin)
    assert again.status_code == 409
    assert review_app.post("/v1/review/suggestions/unknown/reject", headers=admin).status_code == 404
    # the DRAFT no longer blocks the fruit
    r = review_app.post(
        f"/guardrail/{gid}/version/DRAFT/apply",
        json={"source": "INPUT", "content": [{"text": {"text": "I like grapefruit"}}]},
        headers=headers(review_keys, "app"),
    )
    assert r.json()["action"] == "NONE"


def test_the_cli_suggests_and_an_admin_accepts(
    fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STEWARD_DATABASE_URL", fresh_db_url)
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    keys = {}
    for role in ("reviewer", "admin"):
        result = CliRunner().invoke(main, ["keys", "create", "--role", role, "--init", "--json"])
        assert result.exit_code == 0, result.stderr
        keys[role] = json.loads(result.stdout)["id"]
    with open_stores(fresh_db_url) as stores:
        stores.guardrails.create("shop", parse_policy(POLICY))
        queue = ReviewQueue.over(stores.sessions, stores.keys.sealer)
        item = _blocked_item(queue, "shop", "grapefruit please")
        _resolve(queue, item, label=0)
    result = CliRunner().invoke(main, ["review", "suggest", "--json"])
    assert result.exit_code == 0, result.stderr
    (suggestion,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert (suggestion["kind"], suggestion["value"], suggestion["items"]) == (
        "remove_word",
        "grapefruit",
        [item],
    )
    assert "offered 1 suggestion(s)" in result.stderr
    refused = CliRunner().invoke(
        main, ["review", "accept-suggestion", suggestion["id"], "--as", keys["reviewer"]]
    )
    assert refused.exit_code == ExitCode.ERROR and "needs admin" in refused.stderr
    accepted = CliRunner().invoke(
        main, ["review", "accept-suggestion", suggestion["id"], "--as", keys["admin"]]
    )
    assert accepted.exit_code == 0, accepted.stderr
    assert "revision 2" in accepted.stdout
    with open_stores(fresh_db_url) as stores:
        assert stores.guardrails.get("shop").policy["word_filters"]["words"] == ["durian"]
