"""``steward monitor``: report (table and JSON), drift, rules and alerts, and clear errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from monitor_helpers import finding, new_gid, record, store
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from steward.cli import main
from steward.cli.exit_codes import ExitCode
from steward.cli.monitor import render_report
from steward.monitor.report import build_report
from steward.store.monitor import AuditScope

BASE = datetime(2026, 5, 1, tzinfo=UTC)
SINCE = BASE.strftime("%Y-%m-%dT%H:%M:%S")
UNTIL = (BASE + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S")


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, package_db_url: str) -> CliRunner:
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STEWARD_DATABASE_URL", package_db_url)
    monkeypatch.delenv("STEWARD_ALERT_WEBHOOKS", raising=False)
    return CliRunner()


def _traffic(engine: Engine) -> str:
    gid = new_gid("c")
    hate = finding("contentPolicy", "HATE", "BLOCKED")
    store(
        engine,
        [
            record(
                gid, BASE + timedelta(minutes=i), blocked=i % 4 == 0, findings=[hate] if i % 4 == 0 else []
            )
            for i in range(40)
        ]
        + [record(gid, BASE + timedelta(hours=1, minutes=i)) for i in range(10)],
    )
    return gid


def test_report_as_json_and_as_a_table(runner: CliRunner, engine: Engine) -> None:
    gid = _traffic(engine)
    args = ["monitor", "report", "--since", SINCE, "--until", UNTIL, "--window", "1h", "--guardrail", gid]
    out = runner.invoke(main, [*args, "--json"])
    assert out.exit_code == 0, out.output
    [group] = json.loads(out.output)["groups"]
    assert (group["requests"], group["blocks"]) == (50, 10)
    assert [w["requests"] for w in group["series"]] == [40, 10]
    table = runner.invoke(main, args)
    assert table.exit_code == 0, table.output
    assert f"{gid}:1" in table.output and "20.0%" in table.output
    assert "contentPolicy/HATE: 10" in table.output
    assert "block precision" in table.output and "note: language" in table.output
    assert "▁" not in table.output  # not a terminal: no sparklines


def test_the_table_has_sparklines_for_a_terminal(engine: Engine, sessions: sessionmaker[Session]) -> None:
    gid = _traffic(engine)
    report = build_report(
        sessions,
        since=BASE,
        until=BASE + timedelta(hours=2),
        window_s=3600,
        scope=AuditScope(guardrail_id=gid),
    )
    text = render_report(report, sparklines=True)
    # volume 40 then 10 requests; block rate 25% then 0%
    assert "volume" in text and "█▃" in text and "█▁" in text


def test_drift_command(runner: CliRunner, engine: Engine) -> None:
    gid = _traffic(engine)
    out = runner.invoke(
        main,
        [
            "monitor",
            "drift",
            "--reference-since",
            SINCE,
            "--reference-until",
            UNTIL,
            "--since",
            SINCE,
            "--until",
            UNTIL,
            "--guardrail",
            gid,
        ],
    )
    assert out.exit_code == 0, out.output
    assert "textLength" in out.output and "stable" in out.output
    assert "not covered: new high-frequency terms" in out.output


def test_rules_and_alerts(runner: CliRunner) -> None:
    rid = new_gid("r")
    add = ["monitor", "rules", "add", rid, "--metric", "block_rate", "--threshold", "0.3", "--window", "10m"]
    assert runner.invoke(main, add).exit_code == 0
    dup = runner.invoke(main, add)
    assert dup.exit_code == ExitCode.ERROR and "already exists" in dup.output
    listed = runner.invoke(main, ["monitor", "rules", "list"])
    assert rid in listed.output and "block_rate > 0.3 over 600 s" in listed.output
    hook = runner.invoke(main, [*add[:3], rid + "x", *add[4:], "--webhook", "ops"])
    assert hook.exit_code == ExitCode.INPUT_ERROR and "configured webhook" in hook.output
    shown = runner.invoke(main, ["monitor", "alerts", "--rule", rid])
    assert shown.exit_code == 0 and "no alerts fired" in shown.output
    assert runner.invoke(main, ["monitor", "rules", "delete", rid]).exit_code == 0
    gone = runner.invoke(main, ["monitor", "rules", "delete", rid])
    assert gone.exit_code == ExitCode.ERROR and rid in gone.output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["monitor", "report", "--window", "5x"], "window"),
        (["monitor", "report", "--window", "30s"], "window"),
        (["monitor", "report", "--since", "2026-02-01", "--until", "2026-01-01"], "since"),
    ],
)
def test_bad_input_exits_with_the_input_error_code(runner: CliRunner, args: list[str], needle: str) -> None:
    out = runner.invoke(main, args)
    assert out.exit_code == ExitCode.INPUT_ERROR, out.output
    assert needle in out.output and "Traceback" not in out.output


def test_evaluate_fires_a_rule_and_alerts_shows_it(runner: CliRunner, engine: Engine) -> None:
    gid = new_gid("e")
    now = datetime.now(UTC)
    store(engine, [record(gid, now - timedelta(minutes=2, seconds=i), blocked=i < 8) for i in range(10)])
    rid = new_gid("r")
    add = ["monitor", "rules", "add", rid, "--metric", "block_rate", "--threshold", "0.5", "--window", "10m"]
    assert runner.invoke(main, [*add, "--guardrail", gid, "--min-requests", "5"]).exit_code == 0
    out = runner.invoke(main, ["monitor", "evaluate"])
    assert out.exit_code == 0, out.output
    assert "alert(s) fired" in out.output
    shown = runner.invoke(main, ["monitor", "alerts", "--rule", rid, "--json"])
    [alert] = [json.loads(line) for line in shown.output.splitlines()]
    assert (alert["ruleId"], alert["value"], alert["requests"], alert["delivery"]) == (rid, 0.8, 10, "none")
    again = runner.invoke(main, ["monitor", "evaluate"])  # the cooldown holds
    assert again.exit_code == 0
    assert len(runner.invoke(main, ["monitor", "alerts", "--rule", rid, "--json"]).output.splitlines()) == 1
    assert runner.invoke(main, ["monitor", "rules", "delete", rid]).exit_code == 0


def test_the_rule_count_is_bounded(sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    from steward.errors import InputError
    from steward.monitor import alerts
    from steward.store.monitor import AlertStore

    store_ = AlertStore(sessions)
    monkeypatch.setattr(alerts, "MAX_RULES", len(store_.rules()))
    rule = alerts.new_rule(
        {"id": new_gid("r"), "metric": "block_rate", "threshold": 0.5, "window": 600}, webhooks={}
    )
    with pytest.raises(InputError, match="at most"):
        alerts.store_rule(store_, rule)


def test_compare_command(runner: CliRunner, engine: Engine) -> None:
    gid = _traffic(engine)
    out = runner.invoke(
        main, ["monitor", "compare", "--guardrail", gid, "--version", "2", "--since", SINCE, "--until", UNTIL]
    )
    assert out.exit_code == 0, out.output
    assert "version 2 against 1" in out.output and "requests 0 vs 50" in out.output
    bad = runner.invoke(main, ["monitor", "compare", "--guardrail", gid, "--version", "1"])
    assert bad.exit_code == ExitCode.INPUT_ERROR and "previous" in bad.output
