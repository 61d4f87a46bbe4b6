"""Where Steward keeps its data and how the server behaves: the one reader of the environment.

:class:`Settings` (pydantic-settings) holds every ``STEWARD_*`` variable of the core as a
typed, bounded field, so the CLI, the server and its worker processes agree, and a bad value
is refused once, with a message that names the variable (as a bad policy field is named).
Defaults suit a single machine: a SQLite file under the data directory.

| variable | default | meaning |
|---|---|---|
| ``STEWARD_DATA_DIR`` | ``$XDG_DATA_HOME/steward`` or ``~/.local/share/steward`` | data directory |
| ``STEWARD_DATABASE_URL`` | ``sqlite:///<data dir>/steward.db`` | SQLite or PostgreSQL URL |
| ``STEWARD_SECRET_KEY`` | the file ``<data dir>/secret.key`` (created) | key that encrypts API-key signing secrets |
| ``STEWARD_MAX_BODY_BYTES`` | 1 MiB (1,024 to 256 MiB) | largest request body accepted |
| ``STEWARD_BODY_TIMEOUT_S`` | 30 (0.1 to 3,600) | seconds a client has to send a whole request body (408 beyond) |
| ``STEWARD_RESOLVE_TTL_S`` | 1.0 (0 to 86,400) | how long a process trusts a resolved alias or version |
| ``STEWARD_KEY_CACHE_TTL_S`` | 5.0 (0 to 86,400) | how long a process trusts a looked-up API key (revocation delay) |
| ``STEWARD_AUDIT_BATCH`` | 256 (1 to 100,000) | most audit records written in one transaction |
| ``STEWARD_PUBLIC_DOCS`` | 0 | 1 serves the OpenAPI description (``/openapi.json``, ``/docs``, ``/redoc``) without a key; by default ``/openapi.json`` needs a key of any role and the browsable pages are off |
| ``STEWARD_EMBEDDING_CACHE`` | 4096 (0 to 10,000,000) | sentence vectors each process keeps for reuse (denied topics, grounding); 0 turns the cache off |
| ``STEWARD_MODEL_THREADS`` | 2; ``steward serve --workers N`` sets cores ÷ N (at least 1, at most 2) | onnxruntime threads per learned model in each process (1 to 256) |
| ``STEWARD_RATE_LIMIT`` | 0 (off; at most 1,000,000) | requests per second per API key, per process |
| ``STEWARD_RATE_BURST`` | the rate | requests a key may send at once before the rate applies |
| ``STEWARD_WARM_GUARDS`` | 1 | 0 skips loading the default guardrail's models when a worker starts |
| ``STEWARD_SHARED_DATA`` | ``../shared/data`` | where ``steward eval-convert`` finds the public data sets |
| ``STEWARD_VAULT_KEY`` | none | the pseudonym vault key ``steward scan``/``scrub`` use when no key file is named |

Variables of the proxy, monitoring, review and provenance areas are still read by their own
modules (each names the variable in its errors); moving them here is the next step.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from steward.errors import InputError

__all__ = [
    "DEFAULT_MODEL_THREADS",
    "Settings",
    "data_dir",
    "embedding_cache_size",
    "model_threads",
    "serve_model_threads",
]

PREFIX = "STEWARD_"
DEFAULT_MAX_BODY_BYTES = 1 << 20
#: Seconds a client has to send a request body: a slow or stalled upload cannot hold a connection.
DEFAULT_BODY_TIMEOUT_S = 30.0
#: onnxruntime intra-op threads per learned model: two keep one request fast on a small machine.
DEFAULT_MODEL_THREADS = 2
#: Where ``steward eval-convert`` looks for the public data sets unless told.
DEFAULT_SHARED_DATA = Path("../shared/data")


def _default_data_dir() -> Path:
    # XDG_DATA_HOME is not Steward's own variable, so it is read here rather than as a field.
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / "steward"


class Settings(BaseSettings):
    """Every setting of the core, from ``STEWARD_*`` variables; build with :meth:`from_env`.

    Tests build it directly (``Settings(database_url=..., data_dir=...)``): arguments win over
    the environment, which still fills the fields not given.
    """

    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_ignore_empty=True, frozen=True, extra="ignore", validate_default=True
    )

    data_dir: Path = Field(default_factory=_default_data_dir, description="the data directory")
    #: Empty means a SQLite file ``steward.db`` in the data directory.
    database_url: str = Field(default="", max_length=4096, description="SQLite or PostgreSQL URL")
    secret_key: SecretStr | None = Field(
        default=None, max_length=256, description="the server key (a Fernet key); else <data dir>/secret.key"
    )
    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024, le=256 << 20)
    body_timeout_s: float = Field(default=DEFAULT_BODY_TIMEOUT_S, ge=0.1, le=3600)
    resolve_ttl_s: float = Field(default=1.0, ge=0, le=86_400)
    key_cache_ttl_s: float = Field(default=5.0, ge=0, le=86_400)
    audit_batch: int = Field(default=256, ge=1, le=100_000)
    public_docs: bool = False
    embedding_cache: int = Field(default=4096, ge=0, le=10_000_000)
    model_threads: int = Field(default=DEFAULT_MODEL_THREADS, ge=1, le=256)
    rate_limit: float = Field(default=0.0, ge=0, le=1_000_000)
    #: 0 (or unset) means "the rate".
    rate_burst: float | None = Field(default=None, ge=0, le=1_000_000)
    warm_guards: bool = True
    shared_data: Path = DEFAULT_SHARED_DATA
    vault_key: SecretStr | None = Field(default=None, max_length=4096)

    @model_validator(mode="after")
    def _derived(self) -> Settings:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'steward.db'}")
        if not self.rate_burst:
            object.__setattr__(self, "rate_burst", None)
        object.__setattr__(self, "data_dir", self.data_dir.expanduser())
        return self

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise _named(exc) from None

    @classmethod
    def from_env(cls, *, database_url: str | None = None) -> Settings:
        """Read every ``STEWARD_*`` variable; ``database_url`` overrides the environment."""
        return cls(database_url=database_url) if database_url else cls()

    def secret(self, name: str) -> str | None:
        """The clear value of the secret field ``name`` (``secret_key``, ``vault_key``), or None."""
        value = getattr(self, name)
        return value.get_secret_value().strip() or None if isinstance(value, SecretStr) else None


def _named(exc: ValidationError) -> InputError:
    """One :class:`InputError` naming each bad variable, as a bad policy field is named."""
    problems = []
    for error in exc.errors():
        name = PREFIX + "_".join(str(part) for part in error["loc"]).upper()
        shown = (
            "" if error["loc"][:1] in (("secret_key",), ("vault_key",)) else f", not {error.get('input')!r}"
        )
        problems.append((name, f"{error['msg'].lower()}{shown}"))
    first, message = problems[0]
    rest = "; ".join(f"{name}: {text}" for name, text in problems[1:])
    return InputError(message + (f"; {rest}" if rest else ""), field=first)


def data_dir() -> Path:
    """The data directory: ``STEWARD_DATA_DIR``, else the XDG data home, else ``~/.local/share/steward``."""
    return Settings.from_env().data_dir


def embedding_cache_size() -> int:
    """``STEWARD_EMBEDDING_CACHE``: how many sentence vectors a process keeps (0: none)."""
    return Settings.from_env().embedding_cache


def model_threads() -> int:
    """``STEWARD_MODEL_THREADS``: onnxruntime intra-op threads each learned model may use."""
    return Settings.from_env().model_threads


def serve_model_threads(workers: int, cores: int | None) -> int:
    """Model threads per server worker when the user set none: the cores shared out, 1 to 2 each.

    Every worker runs its own copy of each model. Two workers with two threads each on two
    cores queue four busy threads on two cores, and each model pass then waits on its slowest
    thread: on the 2-core reference machine ``benchmarks/server_load.py`` (default policy, two
    workers) answered 306 and 329 req/s on SQLite with one thread per model against 261 and 279
    with two (and once 130).
    """
    return max(1, min(DEFAULT_MODEL_THREADS, (cores or 1) // workers))
