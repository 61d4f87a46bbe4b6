"""The console's parts without a browser: sessions, highlighting, the side-by-side diff, charts."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from steward.assessment import Finding, PolicyKind
from steward.console.audit_pages import query_from
from steward.console.charts import Series, bar_chart, line_chart
from steward.console.diffview import side_by_side
from steward.console.highlight import pieces
from steward.console.overview import summarise
from steward.console.permissions import Action, may
from steward.console.sessions import SessionStore
from steward.errors import InputError
from steward.store.console_sessions import MAX_SESSIONS_PER_KEY, token_digest
from steward.store.db import make_engine, session_factory
from steward.store.keys import Role


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def store(db_url: str) -> Iterator[SessionStore]:
    """Sessions in the shared test database (SQLite and PostgreSQL)."""
    engine = make_engine(db_url)
    try:
        yield SessionStore(session_factory(engine))
    finally:
        engine.dispose()


def _key() -> str:
    """A key id of the test's own (the database is shared by the session's tests)."""
    return "STW" + uuid.uuid4().hex[:17].upper()


@pytest.fixture
def timed(db_url: str) -> Iterator[tuple[SessionStore, _Clock, Engine]]:
    """Sessions that live 60 s on a clock the test moves, and the engine under them."""
    clock = _Clock()
    engine = make_engine(db_url)
    try:
        yield SessionStore(session_factory(engine), ttl_s=60, clock=clock), clock, engine
    finally:
        engine.dispose()


def test_sessions_expire_after_their_time(timed: tuple[SessionStore, _Clock, Engine]) -> None:
    store, clock, _ = timed
    token = store.create(_key(), Role.AUDITOR)
    clock.now += timedelta(seconds=59)
    assert store.get(token) is not None
    clock.now += timedelta(seconds=2)
    assert store.get(token) is None


def test_sessions_keep_only_a_digest_of_the_token(store: SessionStore, db_url: str) -> None:
    key = _key()
    token = store.create(key, Role.ADMIN)
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT digest, csrf FROM console_sessions WHERE key_id = :k"), {"k": key}
            ).all()
    finally:
        engine.dispose()
    assert [r[0] for r in rows] == [hashlib.sha256(token.encode()).hexdigest()]
    assert token not in {r[1] for r in rows}


def test_sessions_revoke_one_or_all_of_a_key(store: SessionStore) -> None:
    k1, k2 = _key(), _key()
    a, b, c = store.create(k1, Role.ADMIN), store.create(k1, Role.ADMIN), store.create(k2, Role.ADMIN)
    assert store.revoke(a) and store.get(a) is None and store.get(b) is not None
    assert not store.revoke(a)  # already ended
    assert store.revoke_key(k1) == 1
    assert store.get(b) is None and store.get(c) is not None
    assert store.get("x" * 500) is None and store.get(None) is None and not store.revoke("x" * 500)


def test_a_key_holds_at_most_so_many_sessions(store: SessionStore) -> None:
    key = _key()
    tokens = [store.create(key, Role.REVIEWER) for _ in range(MAX_SESSIONS_PER_KEY + 1)]
    assert store.get(tokens[-1]) is not None
    assert sum(store.get(t) is not None for t in tokens) == MAX_SESSIONS_PER_KEY


def test_expired_sessions_are_deleted_at_the_next_sign_in(timed: tuple[SessionStore, _Clock, Engine]) -> None:
    store, clock, engine = timed
    old = store.create(_key(), Role.AUDITOR)
    clock.now += timedelta(seconds=61)
    store.create(_key(), Role.AUDITOR)
    with engine.connect() as conn:
        left = conn.execute(
            text("SELECT count(*) FROM console_sessions WHERE digest = :d"), {"d": token_digest(old)}
        ).scalar()
    assert left == 0


def test_each_session_has_its_own_csrf_token(store: SessionStore) -> None:
    key = _key()
    one, two = store.get(store.create(key, Role.ADMIN)), store.get(store.create(key, Role.ADMIN))
    assert one is not None and two is not None
    assert one.csrf_ok(one.csrf) and not one.csrf_ok(two.csrf) and not one.csrf_ok(None)


def test_roles_follow_the_api() -> None:
    assert may(Role.ADMIN, Action.MOVE_ALIAS)
    assert not may(Role.AUDITOR, Action.MOVE_ALIAS) and not may(Role.REVIEWER, Action.MOVE_ALIAS)
    assert may(Role.AUDITOR, Action.OVERVIEW) and not may(Role.REVIEWER, Action.OVERVIEW)
    assert may(Role.REVIEWER, Action.AUDIT) and not may(Role.APP, Action.AUDIT)
    assert may(Role.REVIEWER, Action.REVIEW) and not may(Role.AUDITOR, Action.REVIEW)


def _finding(start: int, end: int, type_: str = "EMAIL") -> Finding:
    return Finding(PolicyKind.SENSITIVE_INFORMATION, type_, "test", start, end, "", 0.9, f"rule[{type_}]")


def test_pieces_cut_overlapping_findings_and_skip_whole_text_ones() -> None:
    text = "abcdefghij"
    out = pieces(text, [_finding(2, 6), _finding(4, 8, "NAME"), _finding(0, 0, "HATE")])
    assert [(p.text, p.findings) for p in out] == [
        ("ab", ()),
        ("cd", (1,)),
        ("ef", (1, 2)),
        ("gh", (2,)),
        ("ij", ()),
    ]
    assert "".join(p.text for p in out) == text


def test_pieces_clip_spans_beyond_the_text() -> None:
    assert [(p.text, p.findings) for p in pieces("abc", [_finding(1, 99)])] == [("a", ()), ("bc", (1,))]


def test_side_by_side_aligns_changed_added_and_same_lines() -> None:
    rows = side_by_side({"name": "a", "x": 1}, {"name": "a", "x": 2, "y": 3})
    kinds = [(r.kind, r.old, r.new) for r in rows]
    assert kinds[0] == ("same", "name: a", "name: a")
    assert ("changed", "x: 1", "x: 2") in kinds and ("added", "", "y: 3") in kinds


def test_line_chart_breaks_at_missing_values_and_describes_itself() -> None:
    svg = str(
        line_chart("c", "Rates <b>", ["a", "b", "c", "d"], [Series("block rate", [0.5, None, 0.25, 0.5])])
    )
    assert svg.count("<polyline") == 1 and svg.count("<circle") == 1  # one run of two, one lone point
    assert "Rates &lt;b&gt;" in svg and "block rate: latest 50%" in svg


def test_bar_chart_draws_a_bar_per_nonzero_window() -> None:
    svg = str(bar_chart("t", "Requests", ["a", "b", "c"], [3, 0, 1]))
    assert svg.count("<rect") == 2 and "4 in all" in svg


def test_summarise_sums_groups_per_window_and_ranks_categories() -> None:
    window = {"requests": 2, "interventions": 1, "blocks": 0}
    report = {
        "windowStarts": ["t0", "t1"],
        "groups": [
            {
                "requests": 2,
                "interventions": 1,
                "blocks": 0,
                "series": [window, dict(window, requests=0, interventions=0)],
            },
            {
                "requests": 2,
                "interventions": 2,
                "blocks": 2,
                "series": [dict(window, interventions=2, blocks=2), window],
            },
        ],
        "findings": [
            {"policy": "wordPolicy", "type": "CUSTOM", "records": 1, "blocked": 1, "anonymized": 0},
            {
                "policy": "sensitiveInformationPolicy",
                "type": "EMAIL",
                "records": 3,
                "blocked": 0,
                "anonymized": 3,
            },
        ],
    }
    out = summarise(report)
    assert out["requests"] == [4, 2]
    assert out["interventionRate"] == [0.75, 0.5] and out["blockRate"] == [0.5, 0.0]
    assert [t["type"] for t in out["top"]] == ["EMAIL", "CUSTOM"]
    assert out["totals"] == {"requests": 4, "interventions": 3, "blocks": 2}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"since": "yesterday"}, "since"),
        ({"action": "BLOCK"}, "action"),
        ({"source": "both"}, "source"),
        ({"before": "-1"}, "before"),
        ({"before": "9" * 30}, "before"),
        ({"request": "r" * 65}, "request"),
        ({"type": "EMAIL,NAME"}, "type"),
        ({"policy": "personal"}, "policy"),
        ({"policy": "sensitiveInformationPolicy"}, "policy"),  # the form offers the short names
        ({"since": "2026-02-01", "until": "2026-01-01"}, "since"),
    ],
)
def test_audit_filters_name_the_bad_field(params: dict[str, str], field: str) -> None:
    with pytest.raises(InputError) as caught:
        query_from(params)
    assert caught.value.field == field


def test_audit_filters_build_the_api_query() -> None:
    query = query_from(
        {
            "guardrail": "shop",
            "action": "NONE",
            "request": "abc",
            "before": "12",
            "since": "2026-01-01T10:00",
            "policy": "topic",
        }
    )
    assert (query.guardrail_id, query.action, query.request_id, query.before_id, query.policy) == (
        "shop",
        "NONE",
        "abc",
        12,
        "topic",
    )
    assert query.since is not None and query.since.hour == 10
