"""How the OpenAI-compatible proxy behaves: its part of :class:`steward.settings.Settings`.

The variables (``STEWARD_UPSTREAM_*``, ``STEWARD_PROXY_*``, ``STEWARD_STREAM_*``,
``STEWARD_DISCLOSURE_*``) are fields of the one settings object, typed and bounded there (the
table is :mod:`steward.settings`'s docstring and docs/proxy.md). What only the proxy knows is
checked here: the upstream URL's form, and the upstreams file
(``STEWARD_PROXY_UPSTREAMS_FILE``, :mod:`steward.proxy.upstreams`), which replaces the
``STEWARD_UPSTREAM_*`` variables and may not be combined with them.

The upstream is the only place the proxy sends anything, and only because a user named it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from steward.errors import InputError
from steward.proxy.upstreams import (
    UPSTREAMS_FILE_VAR,
    UpstreamConfig,
    UpstreamTable,
    check_url,
    load_upstreams_file,
)
from steward.settings import DEFAULT_DISCLOSURE_NOTICE, Settings

__all__ = ["DEFAULT_DISCLOSURE_NOTICE", "ProxySettings"]

#: The variables the upstreams file replaces.
_SINGLE_UPSTREAM = {
    "upstream_url": "STEWARD_UPSTREAM_URL",
    "upstream_api_key": "STEWARD_UPSTREAM_API_KEY",
    "upstream_kind": "STEWARD_UPSTREAM_KIND",
}


def _upstreams(settings: Settings, environ: Mapping[str, str] | None) -> UpstreamTable | None:
    path = settings.proxy_upstreams_file
    if path is None:
        return None
    for name, variable in _SINGLE_UPSTREAM.items():
        if name in settings.model_fields_set:
            raise InputError(
                f"and {variable} are both set: the file lists every upstream, so unset {variable}",
                field=UPSTREAMS_FILE_VAR,
            )
    return load_upstreams_file(str(path), environ)


@dataclass(frozen=True, slots=True)
class ProxySettings:
    """The proxy's settings; build with :meth:`from_env`, or directly in tests."""

    upstream_url: str | None = None
    upstream_api_key: str | None = field(default=None, repr=False)
    upstream_timeout_s: float = 60.0
    guardrail_id: str = "default"
    guardrail_version: str | None = None
    allow_guardrail_header: bool = True
    stream_holdback_chars: int = 200
    #: Every 32 characters by default (see :attr:`steward.settings.Settings.stream_check_chars`).
    stream_check_chars: int = 32
    disclosure_notice: str = DEFAULT_DISCLOSURE_NOTICE
    disclosure_prepend: bool = False
    max_body_bytes: int = 1 << 20
    #: Mask personal data in system, developer and assistant messages too (``STEWARD_PROXY_MASK_ROLES``).
    mask_all_roles: bool = True
    #: ``local`` or ``external``: the kind of the one upstream of ``STEWARD_UPSTREAM_URL``.
    upstream_kind: str = "external"
    #: Several upstreams (``STEWARD_PROXY_UPSTREAMS_FILE``); None: the one of ``STEWARD_UPSTREAM_URL``.
    upstreams: UpstreamTable | None = None

    def __post_init__(self) -> None:
        if self.upstream_url is not None:
            object.__setattr__(
                self, "upstream_url", check_url(self.upstream_url, field="STEWARD_UPSTREAM_URL")
            )

    def upstream_table(self) -> UpstreamTable | None:
        """Every upstream the proxy may call: the file's, or the one of ``STEWARD_UPSTREAM_URL`` (None: none)."""
        if self.upstreams is not None:
            return self.upstreams
        if self.upstream_url is None:
            return None
        single = UpstreamConfig(
            name="default",
            url=self.upstream_url,
            kind="local" if self.upstream_kind == "local" else "external",
            api_key=self.upstream_api_key,
            timeout_s=self.upstream_timeout_s,
        )
        return UpstreamTable((single,), "default")

    @classmethod
    def from_settings(cls, settings: Settings, environ: Mapping[str, str] | None = None) -> ProxySettings:
        """The proxy's part of ``settings``; the upstreams file, if one is named, is read now (the
        variables its ``api_key_env`` entries name are read from ``environ``, by default the
        process environment)."""
        return cls(
            upstream_url=settings.upstream_url,
            upstream_api_key=settings.secret("upstream_api_key"),
            upstream_timeout_s=settings.upstream_timeout_s,
            guardrail_id=settings.proxy_guardrail,
            guardrail_version=settings.proxy_guardrail_version,
            allow_guardrail_header=settings.proxy_allow_guardrail_header,
            stream_holdback_chars=settings.stream_holdback_chars,
            stream_check_chars=settings.stream_check_chars,
            disclosure_notice=settings.disclosure_notice,
            disclosure_prepend=settings.disclosure_prepend,
            max_body_bytes=settings.proxy_max_body_bytes,
            mask_all_roles=settings.proxy_mask_roles == "all",
            upstream_kind=settings.upstream_kind,
            upstreams=_upstreams(settings, environ),
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ProxySettings:
        """Read every proxy variable from ``environ`` (the process environment by default)."""
        return cls.from_settings(Settings.from_env(environ=environ), environ)
