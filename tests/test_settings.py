from __future__ import annotations

from pathlib import Path

import pytest

from steward.errors import InputError
from steward.settings import DEFAULT_MAX_BODY_BYTES, Settings, data_dir, model_threads, serve_model_threads


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


#: Modules that still read the environment themselves, with the variables they read: areas outside
#: the change that made Settings the reader (proxy, review, monitor and the envelope were being
#: edited by others; provenance and audit retention were not yet moved). Their variables move
#: into Settings in the next step; the list is not to be extended.
ENVIRONMENT_READERS_TO_MIGRATE = frozenset(
    {
        "steward/audit/retention.py",  # STEWARD_RETENTION_*
        "steward/datascan/engines.py",  # RAY_ADDRESS (Ray's own variable)
        "steward/monitor/prom.py",  # PROMETHEUS_MULTIPROC_DIR (prometheus-client's own variable)
        "steward/monitor/settings.py",  # STEWARD_ALERT_*, STEWARD_METRICS_PUBLIC
        "steward/monitor/tracing.py",  # STEWARD_OTEL_TRACES
        "steward/provenance/images_api.py",  # STEWARD_PROVENANCE_*
        "steward/provenance/issuer.py",  # STEWARD_PROVENANCE_RECEIPTS
        "steward/provenance/keys.py",  # STEWARD_PROVENANCE_KEY
        "steward/proxy/settings.py",  # STEWARD_UPSTREAM_*, STEWARD_PROXY_*, STEWARD_DISCLOSURE_*, STEWARD_STREAM_*
        "steward/proxy/upstreams.py",  # STEWARD_PROXY_UPSTREAMS_FILE
        "steward/review/items.py",  # STEWARD_REVIEW_SLA_HOURS
        "steward/review/purge.py",  # STEWARD_REVIEW_PURGE_INTERVAL_S
        "steward/server/routers/review.py",  # STEWARD_HANDOFF_MESSAGE
        "steward/store/envelope.py",  # STEWARD_MASTER_KEY
        # Not a setting: `steward redteam --api-key-env NAME` reads the variable the user names.
        "steward/cli/redteam.py",
    }
)


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
    assert sorted(readers - ENVIRONMENT_READERS_TO_MIGRATE - {"steward/settings.py"}) == [], (
        "read the variable through steward.settings.Settings (a typed, bounded, documented field)"
    )
    assert sorted(ENVIRONMENT_READERS_TO_MIGRATE - readers) == [], "migrated: remove these from the list"


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
