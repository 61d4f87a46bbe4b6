"""Monitoring's settings, read from the environment.

| variable | default | meaning |
|---|---|---|
| ``STEWARD_ALERT_INTERVAL_S`` | 60 | seconds between evaluations of the alert rules inside the server; 0 turns the scheduler off |
| ``STEWARD_ALERT_WEBHOOKS`` | (none) | the only places alerts may go: ``name=https://host/path`` pairs separated by commas |
| ``STEWARD_ALERT_WEBHOOK_SECRET`` | (none; required with webhooks) | the HMAC-SHA256 key that signs every webhook body |
| ``STEWARD_ALERT_RETRIES`` | 5 | delivery attempts per alert (exponential backoff: 1 s, 2 s, 4 s, ...) |
| ``STEWARD_METRICS_PUBLIC`` | 0 | 1 serves ``/metrics`` without a key; by default it needs an auditor or admin key |
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from steward.errors import InputError
from steward.store.idents import ALIAS_RE

__all__ = ["MonitorSettings", "parse_webhooks"]


def parse_webhooks(raw: str) -> dict[str, str]:
    """``name=url,name=url`` as a dict; each URL must be http(s) with a host."""
    out: dict[str, str] = {}
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        name, sep, url = part.partition("=")
        name, url = name.strip(), url.strip()
        if not sep or not ALIAS_RE.fullmatch(name):
            raise InputError(
                "must be name=URL pairs separated by commas; a name is lower-case letters, digits, '-' or '_'",
                field="STEWARD_ALERT_WEBHOOKS",
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InputError(
                f"webhook {name!r} needs an http(s) URL with a host", field="STEWARD_ALERT_WEBHOOKS"
            )
        out[name] = url
    return out


def _number(name: str, default: float, lo: float, hi: float) -> float:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise InputError(f"must be a number, not {raw!r}", field=name) from None
    if not lo <= value <= hi:
        raise InputError(f"must be between {lo:g} and {hi:g}", field=name)
    return value


@dataclass(frozen=True, slots=True)
class MonitorSettings:
    """Where alerts may go, how they are signed and how often rules are evaluated."""

    interval_s: float = 60.0
    webhooks: dict[str, str] = field(default_factory=dict)
    webhook_secret: bytes | None = None
    retries: int = 5
    backoff_s: float = 1.0
    metrics_public: bool = False

    def __post_init__(self) -> None:
        if self.webhooks and not self.webhook_secret:
            raise InputError("must be set when webhooks are configured", field="STEWARD_ALERT_WEBHOOK_SECRET")

    @classmethod
    def from_env(cls) -> MonitorSettings:
        """Read the ``STEWARD_ALERT_*`` and ``STEWARD_METRICS_PUBLIC`` variables."""
        secret = os.environ.get("STEWARD_ALERT_WEBHOOK_SECRET", "")
        return cls(
            interval_s=_number("STEWARD_ALERT_INTERVAL_S", 60.0, 0.0, 86400.0),
            webhooks=parse_webhooks(os.environ.get("STEWARD_ALERT_WEBHOOKS", "")),
            webhook_secret=secret.encode() if secret else None,
            retries=int(_number("STEWARD_ALERT_RETRIES", 5, 1, 20)),
            metrics_public=os.environ.get("STEWARD_METRICS_PUBLIC", "0") == "1",
        )
