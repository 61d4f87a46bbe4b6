"""``steward keys``, ``guardrail``, ``audit`` and ``db`` against a database on disk."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from steward.cli import main


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("STEWARD_SECRET_KEY", raising=False)
    return CliRunner()


def test_db_upgrade_and_current(runner: CliRunner) -> None:
    assert runner.invoke(main, ["db", "current"]).output.strip() == "empty"
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0 and "ok:" in result.output
    assert runner.invoke(main, ["db", "current"]).output.strip() != "empty"


@pytest.fixture
def initialised(runner: CliRunner) -> CliRunner:
    """The runner over a database a server would have created (migrated, seeded, key recorded)."""
    from steward.app.context import local_app as open_stores

    with open_stores(create=True):
        pass
    return runner


def test_keys_create_says_when_no_server_uses_the_data_directory(runner: CliRunner, tmp_path: Path) -> None:
    refused = runner.invoke(main, ["keys", "create", "--role", "app"])
    assert refused.exit_code == 6
    assert "no Steward database at sqlite:///" in refused.output and "--init" in refused.output
    assert "Traceback" not in refused.output and len(refused.output.strip().splitlines()) == 1
    assert not (tmp_path / "cli.db").exists() and not (tmp_path / "secret.key").exists()
    for other in (["keys", "list"], ["audit", "search"], ["guardrail", "list"]):
        result = runner.invoke(main, other)
        assert result.exit_code == 6 and "no Steward database" in result.output, other
    assert not (tmp_path / "cli.db").exists()


def test_keys_create_list_revoke(runner: CliRunner) -> None:
    result = runner.invoke(main, ["keys", "create", "--role", "app", "--json", "--name", "bot", "--init"])
    assert result.exit_code == 0, result.output
    key = json.loads(result.output)
    assert set(key) == {"id", "secret", "role"} and key["role"] == "app"
    listed = runner.invoke(main, ["keys", "list"]).output
    assert key["id"] in listed and "active" in listed and key["secret"] not in listed
    assert runner.invoke(main, ["keys", "revoke", key["id"]]).exit_code == 0
    assert "revoked" in runner.invoke(main, ["keys", "list"]).output
    missing = runner.invoke(main, ["keys", "revoke", "STWNOPE"])
    assert missing.exit_code != 0 and "not found" in missing.output
    bad_role = runner.invoke(main, ["keys", "create", "--role", "god"])
    assert bad_role.exit_code == 2


def test_guardrail_lifecycle_and_audit(initialised: CliRunner, tmp_path: Path) -> None:
    runner = initialised
    assert "default" in runner.invoke(main, ["guardrail", "list"]).output  # seeded on first use
    assert runner.invoke(main, ["guardrail", "create", "bot", "--policy", "pii-mask"]).exit_code == 0
    assert "version 1" in runner.invoke(main, ["guardrail", "version", "bot"]).output
    assert runner.invoke(main, ["guardrail", "update", "bot", "--policy", "strict"]).exit_code == 0
    assert "version 2" in runner.invoke(main, ["guardrail", "version", "bot"]).output
    assert "-> version 1" in runner.invoke(main, ["guardrail", "alias", "bot", "production", "1"]).output
    diff = runner.invoke(main, ["guardrail", "diff", "bot", "1", "2"]).output
    assert diff.startswith("--- bot:1\n+++ bot:2\n")
    changes = json.loads(
        runner.invoke(main, ["guardrail", "diff", "bot", "production", "latest", "--json"]).output
    )
    assert {"field": "name", "change": "changed", "old": "pii-mask", "new": "strict"} in changes
    shown = json.loads(runner.invoke(main, ["guardrail", "show", "bot"]).output)
    assert [a["name"] for a in shown["aliases"]] == ["production"]
    bad = runner.invoke(main, ["guardrail", "alias", "bot", "production", "9"])
    assert bad.exit_code != 0 and "not found" in bad.output

    # Decisions made through the server show up in the audit commands.
    from fastapi.testclient import TestClient

    from steward.server.app import create_app
    from steward.settings import Settings
    from steward.store.keys import Role

    app = create_app(Settings.from_env())
    with TestClient(app) as client:
        key = app.state.steward.keys.create(Role.APP)
        for text in ("mail ann@example.org", "hello"):
            client.post(
                "/guardrail/bot/version/production/apply",
                json={"source": "INPUT", "content": [{"text": {"text": text}}]},
                headers={"Authorization": f"Bearer {key.bearer}"},
            )
    found = runner.invoke(main, ["audit", "search", "--guardrail", "bot", "--type", "EMAIL"]).output
    assert "bot:1" in found and "EMAIL" in found and len(found.strip().splitlines()) == 1
    by_policy = runner.invoke(main, ["audit", "search", "--guardrail", "bot", "--policy", "PII"]).output
    assert by_policy == found  # the e-mail finding is the PII policy's
    assert runner.invoke(main, ["audit", "search", "--guardrail", "bot", "--policy", "topic"]).output == ""
    wrong = runner.invoke(main, ["audit", "search", "--policy", "personal"])
    assert wrong.exit_code == 2 and "--policy" in wrong.output and "pii" in wrong.output
    out = tmp_path / "audit.csv"
    result = runner.invoke(main, ["audit", "export", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0 and "wrote 2 records" in result.output
    lines = runner.invoke(main, ["audit", "export", "--action", "NONE"]).output.strip().splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["action"] == "NONE"
    verified = runner.invoke(main, ["audit", "verify"])
    assert verified.exit_code == 0 and "2 of 2 records verified in 1 chains" in verified.output
    assert runner.invoke(main, ["guardrail", "delete", "bot", "--yes"]).exit_code == 0


def test_serve_help_lists_the_options(runner: CliRunner) -> None:
    out = runner.invoke(main, ["serve", "--help"]).output
    for option in ("--host", "--port", "--database-url", "--workers", "--bootstrap-admin-key"):
        assert option in out


@pytest.mark.parametrize(("workers", "preset", "expected"), [(2, None, "1"), (1, None, None), (2, "3", "3")])
def test_serve_shares_the_cores_among_workers_models(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, workers: int, preset: str | None, expected: str | None
) -> None:
    """Several workers on two cores get one model thread each, unless the user chose a number."""
    import os

    started: dict[str, object] = {}
    monkeypatch.setattr("steward.server.supervisor.run", lambda **kw: started.update(kw))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setenv("STEWARD_MODEL_THREADS", preset or "")  # restored after the test, whatever serve sets
    if preset is None:
        monkeypatch.delenv("STEWARD_MODEL_THREADS")
    result = runner.invoke(main, ["serve", "--workers", str(workers)])
    assert result.exit_code == 0, result.output
    assert started["workers"] == workers
    assert os.environ.get("STEWARD_MODEL_THREADS") == expected
    assert f"{expected or 2} model thread(s) each" in result.output


def test_serve_refuses_a_bad_thread_count(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_MODEL_THREADS", "0")
    result = runner.invoke(main, ["serve"])
    assert result.exit_code != 0 and "STEWARD_MODEL_THREADS" in result.output


def test_audit_prune_asks_and_reports(initialised: CliRunner) -> None:
    runner = initialised
    refused = runner.invoke(main, ["audit", "prune", "--before", "2020-01-01"], input="n\n")
    assert refused.exit_code != 0
    result = runner.invoke(main, ["audit", "prune", "--before", "2020-01-01", "--yes"])
    assert result.exit_code == 0 and "deleted 0 records" in result.output


def _write_audit_record(request_id: str) -> None:
    from steward.app.context import local_app as open_stores
    from steward.audit.chain import chain_key
    from steward.audit.record import AuditRecord
    from steward.audit.writer import AuditWriter

    with open_stores(create=True) as stores:
        writer = AuditWriter(stores.sessions.kw["bind"], chain_key=chain_key(stores.server_key))
        writer.submit(AuditRecord(request_id=request_id, endpoint="apply", source="input", action="NONE"))
        writer.close()


def test_audit_verify_fails_on_a_changed_record(runner: CliRunner) -> None:
    from sqlalchemy import update

    from steward.app.context import local_app as open_stores
    from steward.store.models.core import AuditRow

    _write_audit_record("r1")
    with open_stores() as stores, stores.sessions() as session:
        session.execute(update(AuditRow).values(action="GUARDRAIL_INTERVENED"))
        session.commit()
    result = runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 6
    assert "was changed or forged" in result.output and "not intact" in result.output


def test_audit_verify_and_keys_create_say_the_server_key_differs(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    _write_audit_record("r2")
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0
    monkeypatch.setenv("STEWARD_SECRET_KEY", Fernet.generate_key().decode())
    for args in (["audit", "verify"], ["keys", "create", "--role", "app"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 6, args
        assert "the server key differs" in result.output and "STEWARD_SECRET_KEY" in result.output
        assert "changed or forged" not in result.output and "secret:" not in result.output
    assert runner.invoke(main, ["audit", "search"]).exit_code == 0  # reading needs no key
    monkeypatch.delenv("STEWARD_SECRET_KEY")
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0


def test_a_database_from_before_fingerprints_is_checked_against_a_sealed_secret(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet
    from sqlalchemy import delete

    from steward.app.context import local_app as open_stores
    from steward.store.models.core import ServerKeyCheck

    # The secrets must be sealed under the default master key, the one derived from the server
    # key: under a configured STEWARD_MASTER_KEY (as the test session sets) any server key opens them.
    monkeypatch.delenv("STEWARD_MASTER_KEY", raising=False)
    assert runner.invoke(main, ["keys", "create", "--role", "admin", "--init"]).exit_code == 0
    with open_stores() as stores, stores.sessions() as session:
        session.execute(delete(ServerKeyCheck))  # as an older Steward left it
        session.commit()
    monkeypatch.setenv("STEWARD_SECRET_KEY", Fernet.generate_key().decode())
    result = runner.invoke(main, ["keys", "create", "--role", "app"])
    assert result.exit_code == 6 and "the server key differs" in result.output
    monkeypatch.delenv("STEWARD_SECRET_KEY")
    # The right key opens the sealed secret, so it is recorded and the command works.
    assert runner.invoke(main, ["keys", "create", "--role", "app"]).exit_code == 0
