from __future__ import annotations

from pathlib import Path

import pytest

from steward.errors import InputError
from steward.settings import (
    DEFAULT_DISCLOSURE_NOTICE,
    DEFAULT_HANDOFF_MESSAGE,
    DEFAULT_MAX_BODY_BYTES,
    Settings,
    data_dir,
    model_threads,
    serve_model_threads,
)


def test_data_dir_resolution(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path / "explicit"))
    assert data_dir() == tmp_path / "explicit"
    monkeypatch.delenv("STEWARD_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "steward"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert data_dir() == Path.home() / ".local" / "share" / "steward"


def test_from_env_defaults_and_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    for name in (
        "STEWARD_DATABASE_URL",
        "STEWARD_MAX_BODY_BYTES",
        "STEWARD_RATE_LIMIT",
        "STEWARD_PUBLIC_DOCS",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.from_env()
    assert settings.database_url == f"sqlite:///{tmp_path / 'steward.db'}"
    assert settings.max_body_bytes == DEFAULT_MAX_BODY_BYTES
    assert settings.rate_limit == 0 and not settings.public_docs
    monkeypatch.setenv("STEWARD_MAX_BODY_BYTES", "2048")
    monkeypatch.setenv("STEWARD_RATE_LIMIT", "5")
    monkeypatch.setenv("STEWARD_PUBLIC_DOCS", "1")
    settings = Settings.from_env(database_url="postgresql://u@h/db")
    assert settings.database_url == "postgresql://u@h/db"
    assert (settings.max_body_bytes, settings.rate_limit, settings.public_docs) == (2048, 5.0, True)


@pytest.mark.parametrize(
    ("name", "value"), [("STEWARD_MAX_BODY_BYTES", "lots"), ("STEWARD_MAX_BODY_BYTES", "10")]
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError, match=name):
        Settings.from_env()


def test_model_threads_default_and_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEWARD_MODEL_THREADS", raising=False)
    assert model_threads() == 2
    monkeypatch.setenv("STEWARD_MODEL_THREADS", "1")
    assert model_threads() == 1
    monkeypatch.setenv("STEWARD_MODEL_THREADS", "0")
    with pytest.raises(InputError, match="STEWARD_MODEL_THREADS"):
        model_threads()


@pytest.mark.parametrize(
    ("workers", "cores", "threads"), [(1, 2, 2), (2, 2, 1), (4, 2, 1), (2, 16, 2), (1, None, 1), (3, 8, 2)]
)
def test_serve_model_threads_share_the_cores(workers: int, cores: int | None, threads: int) -> None:
    assert serve_model_threads(workers, cores) == threads


#: Modules that read variables that are not Steward's settings: other programs' own variables,
#: or a variable the user names at run time. Settings has no field for them.
READERS_OF_OTHER_VARIABLES = frozenset(
    {
        "steward/datascan/engines.py",  # RAY_ADDRESS (Ray's own variable)
        "steward/monitor/prom.py",  # PROMETHEUS_MULTIPROC_DIR (prometheus-client's own variable)
        # `steward redteam --api-key-env NAME` reads the variable the user names.
        "steward/cli/redteam.py",
        # An upstreams file's `api_key_env: NAME` entries read the variables the file names.
        "steward/proxy/upstreams.py",
    }
)

#: Modules that still read a Steward variable themselves (all have moved into Settings).
#: The list is not to be extended.
ENVIRONMENT_READERS_TO_MIGRATE: frozenset[str] = frozenset()


def _reads_environment(path: Path) -> bool:
    """Whether ``path`` reads ``os.environ`` or calls ``os.getenv`` (setting a variable for a child is no read)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    stores = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store | ast.Del)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv"} and id(node) not in stores:
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.module == "os"
            and any(a.name in {"environ", "getenv"} for a in node.names)
        ):
            return True
    return False


def test_settings_is_the_one_reader_of_the_environment() -> None:
    src = Path(__file__).resolve().parents[1] / "src"
    readers = {str(p.relative_to(src)) for p in (src / "steward").rglob("*.py") if _reads_environment(p)}
    allowed = ENVIRONMENT_READERS_TO_MIGRATE | READERS_OF_OTHER_VARIABLES | {"steward/settings.py"}
    assert sorted(readers - allowed) == [], (
        "read the variable through steward.settings.Settings (a typed, bounded, documented field)"
    )
    assert sorted(ENVIRONMENT_READERS_TO_MIGRATE - readers) == [], "migrated: remove these from the list"
    assert sorted(READERS_OF_OTHER_VARIABLES - readers) == [], "no longer a reader: remove it from the list"


def test_the_reader_check_sees_a_read(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text('import os\nos.environ["A"] = "1"\n', encoding="utf-8")
    assert not _reads_environment(module)
    module.write_text('import os\nvalue = os.environ.get("STEWARD_X")\n', encoding="utf-8")
    assert _reads_environment(module)
    module.write_text('from os import getenv\nvalue = getenv("STEWARD_X")\n', encoding="utf-8")
    assert _reads_environment(module)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STEWARD_BODY_TIMEOUT_S", "0"),
        ("STEWARD_AUDIT_BATCH", "1000001"),
        ("STEWARD_RATE_LIMIT", "fast"),
        ("STEWARD_PUBLIC_DOCS", "maybe"),
        ("STEWARD_WARM_GUARDS", "2"),
        ("STEWARD_MODEL_THREADS", "100000"),
    ],
)
def test_each_variable_is_bounded_and_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError, match=f"^{name}: .*{value}"):
        Settings.from_env()


def test_several_bad_variables_are_named_in_one_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_AUDIT_BATCH", "0")
    monkeypatch.setenv("STEWARD_RATE_LIMIT", "fast")
    with pytest.raises(InputError) as caught:
        Settings.from_env()
    assert "STEWARD_AUDIT_BATCH" in str(caught.value) and "STEWARD_RATE_LIMIT" in str(caught.value)


def test_a_bad_secret_is_named_but_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_SECRET_KEY", "x" * 300)
    with pytest.raises(InputError, match="STEWARD_SECRET_KEY") as caught:
        Settings.from_env()
    assert "xxxx" not in str(caught.value)


def test_the_database_defaults_to_the_data_directory_and_empty_values_mean_unset(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STEWARD_DATABASE_URL", "")
    monkeypatch.setenv("STEWARD_RATE_BURST", "0")
    settings = Settings.from_env()
    assert settings.database_url == f"sqlite:///{tmp_path / 'steward.db'}"
    assert settings.rate_burst is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STEWARD_UPSTREAM_TIMEOUT_S", "0"),
        ("STEWARD_UPSTREAM_KIND", "cloud"),
        ("STEWARD_PROXY_GUARDRAIL", "g" * 65),
        ("STEWARD_PROXY_ALLOW_GUARDRAIL_HEADER", "sometimes"),
        ("STEWARD_PROXY_MAX_BODY_BYTES", "10"),
        ("STEWARD_PROXY_MASK_ROLES", "system"),
        ("STEWARD_STREAM_HOLDBACK_CHARS", "20001"),
        ("STEWARD_STREAM_CHECK_CHARS", "0"),
        ("STEWARD_DISCLOSURE_NOTICE", "two\nlines"),
        ("STEWARD_DISCLOSURE_PREPEND", "maybe"),
        ("STEWARD_ALERT_INTERVAL_S", "-1"),
        ("STEWARD_ALERT_RETRIES", "2.5"),
        ("STEWARD_METRICS_PUBLIC", "yes please"),
        ("STEWARD_OTEL_TRACES", "jaeger"),
        ("STEWARD_PROVENANCE_RECEIPTS", "perhaps"),
        ("STEWARD_REVIEW_PURGE_INTERVAL_S", "nan"),
        ("STEWARD_HANDOFF_MESSAGE", "m" * 2001),
        ("STEWARD_RETENTION_AUDIT_DAYS", "soon"),
        ("STEWARD_RETENTION_REVIEW_DAYS", "0"),
        ("STEWARD_RETENTION_FEEDBACK_DAYS", "36501"),
    ],
)
def test_each_moved_variable_is_bounded_and_named(name: str, value: str) -> None:
    with pytest.raises(InputError) as info:
        Settings.from_env(environ={name: value})
    assert info.value.field == name
    assert str(info.value).startswith(f"{name}: must be ")
    assert repr(value[:40]) in str(info.value)  # what was read, at most 40 characters of it


def test_one_message_names_every_bad_variable_and_never_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s" * 5000
    monkeypatch.setenv("STEWARD_STREAM_CHECK_CHARS", "0")
    monkeypatch.setenv("STEWARD_ALERT_RETRIES", "99")
    monkeypatch.setenv("STEWARD_UPSTREAM_API_KEY", secret)
    monkeypatch.setenv("STEWARD_ALERT_WEBHOOK_SECRET", secret)
    monkeypatch.setenv("STEWARD_MASTER_KEY", secret * 4)
    monkeypatch.setenv("STEWARD_UPSTREAM_URL", "http://user:hunter2@example.com/v1" + "x" * 2048)
    with pytest.raises(InputError) as info:
        Settings.from_env()
    message = str(info.value)
    assert message.count("STEWARD_") == 6 and "; " in message
    for name in (
        "STEWARD_STREAM_CHECK_CHARS: must be between 1 and 20000, not '0'",
        "STEWARD_ALERT_RETRIES: must be between 1 and 20, not '99'",
        "STEWARD_UPSTREAM_API_KEY: must be at most 4096 characters",
        "STEWARD_ALERT_WEBHOOK_SECRET: must be at most 4096 characters",
        "STEWARD_MASTER_KEY: must be at most 16384 characters",
        "STEWARD_UPSTREAM_URL: must be at most 2048 characters",
    ):
        assert name in message
    assert "sss" not in message and "hunter2" not in message


def test_an_empty_variable_is_unset_but_an_empty_notice_turns_the_notice_off() -> None:
    given = Settings.from_env(
        environ={
            "STEWARD_ALERT_RETRIES": "",
            "STEWARD_DISCLOSURE_NOTICE": "",
            "STEWARD_HANDOFF_MESSAGE": "  ",
        }
    )
    assert given.alert_retries == 5 and given.disclosure_notice == ""
    assert given.handoff_message == DEFAULT_HANDOFF_MESSAGE
    assert Settings.from_env(environ={}).disclosure_notice == DEFAULT_DISCLOSURE_NOTICE
    words = Settings.from_env(
        environ={"STEWARD_UPSTREAM_KIND": " LOCAL ", "STEWARD_PROXY_MASK_ROLES": "User"}
    )
    assert (words.upstream_kind, words.proxy_mask_roles) == ("local", "user")


def test_a_mapping_of_variables_is_read_instead_of_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEWARD_ALERT_RETRIES", "7")
    assert Settings.from_env().alert_retries == 7
    assert Settings.from_env(environ={}).alert_retries == 5
    assert Settings.from_env(environ={"steward_alert_retries": "3", "OTHER": "x"}).alert_retries == 3


def test_the_areas_read_their_variables_through_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each area's settings object is built from Settings: the variables keep their meaning."""
    from steward.monitor.settings import MonitorSettings
    from steward.proxy.settings import ProxySettings
    from steward.review.items import Reason, SlaSettings

    env = {
        "STEWARD_ALERT_WEBHOOKS": "ops=https://hooks.example/x",
        "STEWARD_ALERT_WEBHOOK_SECRET": " key ",
        "STEWARD_METRICS_PUBLIC": "1",
        "STEWARD_UPSTREAM_URL": "http://127.0.0.1:8000/v1/",
        "STEWARD_UPSTREAM_API_KEY": "sk-x",
        "STEWARD_PROXY_MASK_ROLES": "user",
        "STEWARD_REVIEW_SLA_HOURS": "appeal=48",
    }
    settings = Settings.from_env(environ=env)
    monitor = MonitorSettings.from_settings(settings)
    assert (monitor.webhooks, monitor.webhook_secret, monitor.metrics_public) == (
        {"ops": "https://hooks.example/x"},
        b"key",
        True,
    )
    proxy = ProxySettings.from_settings(settings)
    assert (proxy.upstream_url, proxy.upstream_api_key, proxy.mask_all_roles) == (
        "http://127.0.0.1:8000/v1",
        "sk-x",
        False,
    )
    assert SlaSettings.parse(settings.review_sla_hours).hours[Reason.APPEAL] == 48
    with pytest.raises(InputError, match="^STEWARD_ALERT_WEBHOOK_SECRET: must be set"):
        MonitorSettings.from_settings(
            Settings.from_env(environ={"STEWARD_ALERT_WEBHOOKS": env["STEWARD_ALERT_WEBHOOKS"]})
        )


def test_a_command_stops_on_a_bad_moved_variable_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from click.testing import CliRunner

    from steward.cli import main

    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("STEWARD_REVIEW_PURGE_INTERVAL_S", "soon")
    monkeypatch.setenv("STEWARD_OTEL_TRACES", "jaeger")
    result = CliRunner().invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 5, result.output
    assert "Traceback" not in result.output
    (line,) = [x for x in result.output.splitlines() if "STEWARD_" in x]
    assert "STEWARD_OTEL_TRACES: must be off, on or console" in line
    assert "STEWARD_REVIEW_PURGE_INTERVAL_S: must be a number, not 'soon'" in line


def test_retention_periods_are_read_through_settings() -> None:
    """Unset keeps a kind for ever; a bad period is one line naming the variable, its bounds and value."""
    from steward.audit.retention import kind_periods

    assert Settings.from_env(environ={}).retention_audit_days is None
    assert kind_periods({"STEWARD_RETENTION_REVIEW_DAYS": " 180 ", "STEWARD_RETENTION_AUDIT_DAYS": ""}) == {
        "audit": None,
        "review": 180,
        "feedback": None,
    }
    with pytest.raises(InputError) as info:
        kind_periods({"STEWARD_RETENTION_FEEDBACK_DAYS": "0", "STEWARD_RETENTION_AUDIT_DAYS": "a year"})
    assert str(info.value) == (
        "STEWARD_RETENTION_AUDIT_DAYS: must be a whole number, not 'a year'; "
        "STEWARD_RETENTION_FEEDBACK_DAYS: must be between 1 and 36500, not '0'"
    )
    assert info.value.field == "STEWARD_RETENTION_AUDIT_DAYS"
