"""Test-wide fixtures. Every test runs with outbound network refused: only loopback
(the project's own test servers and the local PostgreSQL) may be reached."""

from __future__ import annotations

import functools
import ipaddress
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

pytest_plugins = ("conftest_db",)


#: One master key for every server the tests start. Test servers with different server keys
#: share the session's databases (a real deployment refuses that: see
#: ``steward.store.keycheck``); each day's data keys are stored once per database, so under
#: master keys derived from different server keys they would be unreadable to every server but
#: the first. Tests of master keys themselves set or remove the variable.
TEST_MASTER_KEY = "c3Rld2FyZC10ZXN0LW1hc3Rlci1rZXktMzItYnl0ZXM="


@pytest.fixture(autouse=True, scope="session")
def _one_master_key() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STEWARD_MASTER_KEY", TEST_MASTER_KEY)
        yield


_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class NetworkBlockedError(RuntimeError):
    """Raised when code under test tries to reach beyond loopback."""


def _is_local(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _is_local(address):
        raise NetworkBlockedError(f"test tried to reach {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _is_local(address):
        raise NetworkBlockedError(f"test tried to reach {address!r}")
    return _real_connect_ex(self, address)


def _guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode() if isinstance(host, bytes) else host
    if name not in (None, "localhost") and not _is_local((name, 0)):
        raise NetworkBlockedError(f"test tried to resolve {name!r}")
    return _real_getaddrinfo(host, *args, **kwargs)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", _guarded_connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", _guarded_getaddrinfo)
    yield


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Refuse every new socket, loopback included: proves a code path needs no network at all."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise NetworkBlockedError("sockets are disabled in this test")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    yield


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Counts the slow secret checks the server's authenticator makes (the real check still runs)."""
    from steward.server import auth

    calls: list[str] = []
    real = auth.verify_secret

    def counting(secret: str, hashed: str) -> bool:
        calls.append(secret)
        return real(secret, hashed)

    monkeypatch.setattr(auth, "verify_secret", counting)
    yield calls


@functools.cache
def _migrated_database() -> Path:
    """An empty SQLite database at the latest migration, made once per session and copied per test."""
    from steward.store.db import upgrade

    folder = Path(tempfile.mkdtemp(prefix="steward-migrated-"))
    upgrade(f"sqlite:///{folder / 'template.db'}")
    return folder / "template.db"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """``run(*args, code=0, stdin=None)``: invoke ``steward`` in process on a fresh SQLite database
    in ``tmp_path`` and check its exit code (the output says what went wrong when it differs).

    A folder that needs more (files, settings) overrides ``run`` and asks for this one."""
    from steward.cli import main

    # Commands refuse a database no server created: start from a migrated copy, as `steward db upgrade` leaves it.
    shutil.copy(_migrated_database(), tmp_path / "gov.db")
    monkeypatch.setenv("STEWARD_DATABASE_URL", f"sqlite:///{tmp_path / 'gov.db'}")
    monkeypatch.setenv("STEWARD_DATA_DIR", str(tmp_path))
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, stdin: str | None = None) -> Result:
        result = runner.invoke(main, list(args), input=stdin)
        assert result.exit_code == code, f"{args}: exit {result.exit_code}\n{result.output}"
        return result

    return invoke
