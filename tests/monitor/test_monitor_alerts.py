"""Alert rules: validation, evaluation, firing once per cooldown, and signed webhook delivery."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from monitor_helpers import new_gid, record, store
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from loopback_servers import webhook_receiver
from steward.errors import ConflictError, InputError, NotFoundError
from steward.monitor.alerts import evaluate, evaluate_all, new_rule
from steward.monitor.scheduler import AlertScheduler
from steward.monitor.settings import MonitorSettings, parse_webhooks
from steward.monitor.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, deliver, sign, verify_signature
from steward.store.monitor import AlertStore

SECRET = b"test-webhook-secret"


def _rule_body(gid: str, **kw: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": "r-" + gid,
        "metric": "block_rate",
        "comparison": ">",
        "threshold": 0.2,
        "window": 600,
        "cooldown": 3600,
        "minRequests": 10,
        "scope": {"guardrail": gid},
    }
    body.update(kw)
    return body


def _traffic(engine: Engine, gid: str, now: datetime, *, blocks: int, total: int = 20) -> None:
    start = now - timedelta(minutes=5)
    store(engine, [record(gid, start + timedelta(seconds=i), blocked=i < blocks) for i in range(total)])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"metric": "nonsense"}, "metric"),
        ({"comparison": "=="}, "comparison"),
        ({"threshold": "high"}, "threshold"),
        ({"threshold": True}, "threshold"),
        ({"window": 5}, "window"),
        ({"window": 10**9}, "window"),
        ({"cooldown": -1}, "cooldown"),
        ({"id": "Bad Id"}, "id"),
        ({"scope": {"source": "sideways"}}, "scope.source"),
        ({"scope": {"colour": "red"}}, "scope"),
        ({"webhook": "nowhere"}, "webhook"),
        ({"url": "http://evil.example/"}, "rule"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as info:
        new_rule(_rule_body("x", **change), webhooks={"ops": "http://127.0.0.1:9/"})
    assert info.value.field == field


def test_a_rule_fires_when_the_block_rate_rises_and_then_waits_for_its_cooldown(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    gid = new_gid("a")
    alerts = AlertStore(sessions)
    rule = alerts.create(new_rule(_rule_body(gid), webhooks={}))
    with pytest.raises(ConflictError):
        alerts.create(new_rule(_rule_body(gid), webhooks={}))
    now = datetime.now(UTC)
    _traffic(engine, gid, now, blocks=2)  # 10%: under the threshold
    result = evaluate(alerts, sessions, rule, now)
    assert result.value == pytest.approx(0.1) and result.requests == 20 and not result.fires
    assert [e for e in evaluate_all(alerts, sessions, now) if e.rule_id == rule.id] == []

    _traffic(engine, gid, now, blocks=15)  # now 17 of 40 blocked: 42.5%
    fired = [e for e in evaluate_all(alerts, sessions, now) if e.rule_id == rule.id]
    # The rule fired exactly once: here, or in a server's scheduler on the same database that
    # claimed the firing first (the cooldown is claimed across processes; this once happened
    # in a full run on PostgreSQL).
    [stored] = alerts.events(rule_id=rule.id)
    assert [e.id for e in fired] in ([stored.id], [])
    assert stored.value == pytest.approx(17 / 40) and stored.requests == 40
    assert stored.delivery == "none"
    # within the cooldown nothing fires again, though the rate is still high
    later = now + timedelta(minutes=1)
    assert [e for e in evaluate_all(alerts, sessions, later) if e.rule_id == rule.id] == []
    assert [e.id for e in alerts.events(rule_id=rule.id)] == [stored.id]
    alerts.delete(rule.id)
    assert alerts.events(rule_id=rule.id) == []
    with pytest.raises(NotFoundError):
        alerts.get(rule.id)


def test_min_requests_keeps_a_single_block_from_firing(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    gid = new_gid("a")
    alerts = AlertStore(sessions)
    rule = alerts.create(new_rule(_rule_body(gid), webhooks={}))
    now = datetime.now(UTC)
    _traffic(engine, gid, now, blocks=1, total=1)
    result = evaluate(alerts, sessions, rule, now)
    assert result.value == 1.0 and not result.fires
    alerts.delete(rule.id)


def test_only_one_of_two_processes_fires_the_same_alert(
    sessions: sessionmaker[Session], package_db_url: str
) -> None:
    from steward.store.db import make_engine, session_factory

    gid = new_gid("a")
    first = AlertStore(sessions)
    rule = first.create(new_rule(_rule_body(gid, cooldown=600), webhooks={}))
    other_engine = make_engine(package_db_url)
    try:
        second = AlertStore(session_factory(other_engine))
        now = datetime.now(UTC)
        assert first.claim_firing(rule, now) is True
        assert second.claim_firing(rule, now) is False
        assert second.claim_firing(rule, now + timedelta(seconds=599)) is False
        assert second.claim_firing(rule, now + timedelta(seconds=600)) is True
    finally:
        other_engine.dispose()
        first.delete(rule.id)


def test_signatures_verify_and_tampering_is_caught() -> None:
    body = b'{"ruleId":"r"}'
    headers = {TIMESTAMP_HEADER: "1700000000", SIGNATURE_HEADER: sign(SECRET, 1700000000, body)}
    assert verify_signature(SECRET, headers, body, now=1700000010)
    assert not verify_signature(SECRET, headers, body + b" ", now=1700000010)
    assert not verify_signature(b"other", headers, body, now=1700000010)
    assert not verify_signature(SECRET, headers, body, now=1700001000)  # too old: a replay
    assert not verify_signature(SECRET, {}, body)


def test_delivery_retries_with_backoff_until_the_receiver_answers() -> None:
    with webhook_receiver(fail_next=2) as receiver:
        result = asyncio.run(deliver(receiver.url, {"ruleId": "r"}, secret=SECRET, retries=4, backoff_s=0.01))
    assert (result.delivered, result.attempts) == (True, 3)
    assert receiver.attempts == 3
    [(headers, body)] = receiver.received
    assert orjson.loads(body) == {"ruleId": "r"}
    assert verify_signature(SECRET, headers, body)


def test_delivery_gives_up_after_its_retries() -> None:
    with webhook_receiver(fail_next=10) as receiver:
        result = asyncio.run(deliver(receiver.url, {"ruleId": "r"}, secret=SECRET, retries=3, backoff_s=0.01))
    assert (result.delivered, result.attempts, result.error) == (False, 3, "HTTP 500")
    assert receiver.attempts == 3


def test_the_scheduler_sends_a_signed_alert_to_the_configured_webhook(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    gid = new_gid("a")
    with webhook_receiver(fail_next=1) as receiver:
        settings = MonitorSettings(
            interval_s=0, webhooks={"ops": receiver.url}, webhook_secret=SECRET, backoff_s=0.01
        )
        alerts = AlertStore(sessions)
        rule = alerts.create(new_rule(_rule_body(gid, webhook="ops"), webhooks=settings.webhooks))
        now = datetime.now(UTC)
        _traffic(engine, gid, now, blocks=12)
        scheduler = AlertScheduler(sessions, settings)

        async def run() -> list[str]:
            fired = await scheduler.run_once(now)
            await scheduler.drain()
            return [e.rule_id for e in fired]

        assert rule.id in asyncio.run(run())
    [(headers, body)] = receiver.received
    assert verify_signature(SECRET, headers, body)
    payload = orjson.loads(body)
    assert payload["ruleId"] == rule.id and payload["metric"] == "block_rate"
    assert payload["value"] == pytest.approx(0.6)
    [event] = alerts.events(rule_id=rule.id)
    assert (event.delivery, event.attempts) == ("delivered", 2)
    alerts.delete(rule.id)


def test_a_drift_rule_fires_when_texts_get_longer(engine: Engine, sessions: sessionmaker[Session]) -> None:
    gid = new_gid("a")
    alerts = AlertStore(sessions)
    rule = alerts.create(
        new_rule(_rule_body(gid, metric="text_length_psi", threshold=0.25, window=3600), webhooks={})
    )
    now = datetime.now(UTC)
    before = [
        record(gid, now - timedelta(minutes=90, seconds=i), text_length=100 + i % 20) for i in range(50)
    ]
    after = [record(gid, now - timedelta(minutes=30, seconds=i), text_length=400 + i % 20) for i in range(50)]
    store(engine, before + after)
    result = evaluate(alerts, sessions, rule, now)
    assert result.fires and result.value is not None and result.value > 0.25
    alerts.delete(rule.id)


def test_webhook_settings_accept_only_http_urls_and_need_a_secret() -> None:
    assert parse_webhooks("ops=https://hooks.example/x, dev=http://127.0.0.1:8080/") == {
        "ops": "https://hooks.example/x",
        "dev": "http://127.0.0.1:8080/",
    }
    for bad in ("ops", "ops=file:///etc/passwd", "Ops=https://x/", "ops=https://"):
        with pytest.raises(InputError, match="STEWARD_ALERT_WEBHOOKS"):
            parse_webhooks(bad)
    with pytest.raises(InputError, match="STEWARD_ALERT_WEBHOOK_SECRET"):
        MonitorSettings(webhooks={"ops": "https://x/"})


def test_the_scheduler_loop_outlives_a_failed_evaluation(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    from steward.monitor import scheduler as scheduler_module

    calls: list[int] = []

    def flaky(store: AlertStore, sessions_: object, now: datetime) -> list[object]:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("database went away")
        return []

    monkeypatch.setattr(scheduler_module, "evaluate_all", flaky)
    scheduler = AlertScheduler(sessions, MonitorSettings(interval_s=0.01))

    async def run() -> int:
        scheduler.start()
        for _ in range(2000):  # a bound on waiting, not a timing assertion
            if scheduler.evaluations >= 2:
                break
            await asyncio.sleep(0.005)
        await scheduler.stop()
        return scheduler.evaluations

    assert asyncio.run(run()) >= 2
    assert len(calls) >= 4  # two failures, then evaluations went on
