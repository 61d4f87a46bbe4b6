"""Where Steward keeps its data and how the server behaves, read from the environment.

One place resolves every ``STEWARD_*`` setting so the CLI, the server and its worker
processes agree. Defaults suit a single machine: a SQLite file under the data directory.

| variable | default | meaning |
|---|---|---|
| ``STEWARD_DATA_DIR`` | ``$XDG_DATA_HOME/steward`` or ``~/.local/share/steward`` | data directory |
| ``STEWARD_DATABASE_URL`` | ``sqlite:///<data dir>/steward.db`` | SQLite or PostgreSQL URL |
| ``STEWARD_SECRET_KEY`` | the file ``<data dir>/secret.key`` (created) | key that encrypts API-key signing secrets |
| ``STEWARD_MAX_BODY_BYTES`` | 1 MiB | largest request body accepted |
| ``STEWARD_BODY_TIMEOUT_S`` | 30 | seconds a client has to send a whole request body (408 beyond) |
| ``STEWARD_RESOLVE_TTL_S`` | 1.0 | how long a process trusts a resolved alias or version |
| ``STEWARD_KEY_CACHE_TTL_S`` | 5.0 | how long a process trusts a looked-up API key (revocation delay) |
| ``STEWARD_AUDIT_BATCH`` | 256 | most audit records written in one transaction |
| ``STEWARD_PUBLIC_DOCS`` | 0 | 1 serves the OpenAPI description (``/openapi.json``, ``/docs``, ``/redoc``) without a key; by default ``/openapi.json`` needs a key of any role and the browsable pages are off |
| ``STEWARD_EMBEDDING_CACHE`` | 4096 | sentence vectors each process keeps for reuse (denied topics, grounding); 0 turns the cache off |
| ``STEWARD_MODEL_THREADS`` | 2; ``steward serve --workers N`` sets cores ÷ N (at least 1, at most 2) | onnxruntime threads per learned model in each process |
| ``STEWARD_RATE_LIMIT`` | 0 (off) | requests per second per API key, per process |
| ``STEWARD_RATE_BURST`` | the rate | requests a key may send at once before the rate applies |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from steward.errors import InputError

__all__ = [
    "DEFAULT_MODEL_THREADS",
    "Settings",
    "data_dir",
    "embedding_cache_size",
    "model_threads",
    "serve_model_threads",
]

DEFAULT_MAX_BODY_BYTES = 1 << 20
#: Seconds a client has to send a request body: a slow or stalled upload cannot hold a connection.
DEFAULT_BODY_TIMEOUT_S = 30.0
#: onnxruntime intra-op threads per learned model: two keep one request fast on a small machine.
DEFAULT_MODEL_THREADS = 2


def data_dir() -> Path:
    """The data directory: ``STEWARD_DATA_DIR``, else the XDG data home, else ``~/.local/share/steward``."""
    explicit = os.environ.get("STEWARD_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "steward"


def _number(name: str, default: float, *, minimum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"must be a number, not {raw!r}", field=name) from None
    if value < minimum:
        raise InputError(f"must be at least {minimum}, not {raw!r}", field=name)
    return value


def embedding_cache_size(default: int = 4096) -> int:
    """``STEWARD_EMBEDDING_CACHE``: how many sentence vectors a process keeps (0: none)."""
    return int(_number("STEWARD_EMBEDDING_CACHE", default, minimum=0))


def model_threads(default: int = DEFAULT_MODEL_THREADS) -> int:
    """``STEWARD_MODEL_THREADS``: onnxruntime intra-op threads each learned model may use."""
    return int(_number("STEWARD_MODEL_THREADS", default, minimum=1))


def serve_model_threads(workers: int, cores: int | None) -> int:
    """Model threads per server worker when the user set none: the cores shared out, 1 to 2 each.

    Every worker runs its own copy of each model. Two workers with two threads each on two
    cores queue four busy threads on two cores, and each model pass then waits on its slowest
    thread: on the 2-core reference machine ``benchmarks/server_load.py`` (default policy, two
    workers) answered 306 and 329 req/s on SQLite with one thread per model against 261 and 279
    with two (and once 130).
    """
    return max(1, min(DEFAULT_MODEL_THREADS, (cores or 1) // workers))


@dataclass(frozen=True, slots=True)
class Settings:
    """The server's settings; build with :meth:`from_env` or directly in tests."""

    database_url: str
    data_dir: Path
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    body_timeout_s: float = DEFAULT_BODY_TIMEOUT_S
    resolve_ttl_s: float = 1.0
    key_cache_ttl_s: float = 5.0
    audit_batch: int = 256
    public_docs: bool = False
    rate_limit: float = 0.0
    rate_burst: float | None = None

    @classmethod
    def from_env(cls, *, database_url: str | None = None) -> Settings:
        """Read every ``STEWARD_*`` variable; ``database_url`` overrides the environment."""
        from steward.store.db import database_url as resolve_url

        return cls(
            database_url=database_url or resolve_url(),
            data_dir=data_dir(),
            max_body_bytes=int(_number("STEWARD_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, minimum=1024)),
            body_timeout_s=_number("STEWARD_BODY_TIMEOUT_S", DEFAULT_BODY_TIMEOUT_S, minimum=0.1),
            resolve_ttl_s=_number("STEWARD_RESOLVE_TTL_S", 1.0, minimum=0.0),
            key_cache_ttl_s=_number("STEWARD_KEY_CACHE_TTL_S", 5.0, minimum=0.0),
            audit_batch=int(_number("STEWARD_AUDIT_BATCH", 256, minimum=1)),
            public_docs=os.environ.get("STEWARD_PUBLIC_DOCS", "0") == "1",
            rate_limit=_number("STEWARD_RATE_LIMIT", 0.0, minimum=0.0),
            rate_burst=_number("STEWARD_RATE_BURST", 0.0, minimum=0.0) or None,
        )
