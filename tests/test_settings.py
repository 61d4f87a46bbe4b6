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
