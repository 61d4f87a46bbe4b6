"""Monitoring's part of :class:`steward.settings.Settings`: alert webhooks, retries, the schedule.

The variables (``STEWARD_ALERT_INTERVAL_S``, ``STEWARD_ALERT_WEBHOOKS``,
``STEWARD_ALERT_WEBHOOK_SECRET``, ``STEWARD_ALERT_RETRIES``, ``STEWARD_METRICS_PUBLIC``) are
typed and bounded fields of the one settings object (docs/monitoring.md lists them); what only
monitoring knows is checked here: the webhook list's ``name=URL`` form (each name an alias-like
word, each URL http(s) with a host), and that webhooks come with the secret that signs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from steward.errors import InputError
from steward.settings import Settings
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
    def from_settings(cls, settings: Settings) -> MonitorSettings:
        """Monitoring's part of ``settings``, with the webhook list checked."""
        secret = settings.secret("alert_webhook_secret")
        return cls(
            interval_s=settings.alert_interval_s,
            webhooks=parse_webhooks(settings.alert_webhooks),
            webhook_secret=secret.encode() if secret else None,
            retries=settings.alert_retries,
            metrics_public=settings.metrics_public,
        )
