"""The proxy's upstreams: several model servers, each marked ``local`` or ``external``.

One upstream is configured by ``STEWARD_UPSTREAM_URL`` (and ``STEWARD_UPSTREAM_KIND``,
``external`` unless said otherwise, so data-flow rules never trust an unmarked server).
Several come from a small YAML file named by ``STEWARD_PROXY_UPSTREAMS_FILE``::

    default: cloud                       # the upstream for models no upstream lists
    upstreams:
      - name: onprem
        url: http://127.0.0.1:11434/v1
        kind: local
        models: ["llama*"]               # fnmatch patterns of the model names it serves
        default_model: llama3.1          # sent when a rule reroutes a request here
      - name: cloud
        url: https://api.example.com/v1
        kind: external
        api_key_env: CLOUD_API_KEY       # or api_key_file: /run/secrets/cloud-key
        timeout_s: 30

A request names its preferred upstream through its ``model``; data-flow rules
(:mod:`steward.proxy.dataflow`) may override that choice. API keys come only from an
environment variable or a file, never from the YAML itself, and never appear in a repr,
a log or an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from steward.errors import InputError
from steward.validation import validation_problems

__all__ = [
    "UPSTREAMS_FILE_VAR",
    "UpstreamConfig",
    "UpstreamTable",
    "check_url",
    "load_upstreams_file",
]

#: The variable that names the upstreams file.
UPSTREAMS_FILE_VAR = "STEWARD_PROXY_UPSTREAMS_FILE"
#: Largest upstreams file read.
UPSTREAMS_FILE_MAX_BYTES = 64 << 10
#: Largest API key file read.
KEY_FILE_MAX_BYTES = 16 << 10
#: Most upstreams in one file.
UPSTREAMS_MAX = 32
Kind = Literal["local", "external"]


def check_url(url: str, *, field: str) -> str:
    """``url`` without its trailing slash, if it is an http(s) URL with a host; else an error naming ``field``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InputError(
            f"must be an http:// or https:// URL such as http://127.0.0.1:8000/v1, not {url!r}", field=field
        )
    return url.rstrip("/")


@dataclass(frozen=True, slots=True)
class UpstreamConfig:
    """One upstream model server."""

    name: str
    url: str
    kind: Kind = "external"
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 60.0
    #: fnmatch patterns of the model names this upstream serves (a request naming one prefers it).
    models: tuple[str, ...] = ()
    #: The model sent when a request is rerouted here and names a model this upstream does not list.
    default_model: str | None = None

    @property
    def local(self) -> bool:
        """Whether requests may reach this upstream whatever data-flow rules say."""
        return self.kind == "local"

    def serves(self, model: str) -> bool:
        """Whether ``model`` matches one of :attr:`models`."""
        return any(fnmatchcase(model, pattern) for pattern in self.models)

    def model_for(self, model: str) -> str:
        """The model name to send here for a request that asked for ``model``."""
        if self.serves(model) or self.default_model is None:
            return model
        return self.default_model


@dataclass(frozen=True, slots=True)
class UpstreamTable:
    """Every configured upstream and the default one; picks by model name."""

    upstreams: tuple[UpstreamConfig, ...]
    default: str

    def __post_init__(self) -> None:
        if self.default not in {u.name for u in self.upstreams}:
            raise InputError(f"names no configured upstream: {self.default!r}", field="default")

    def get(self, name: str) -> UpstreamConfig:
        """The upstream called ``name``."""
        return next(u for u in self.upstreams if u.name == name)

    def preferred(self, model: str) -> UpstreamConfig:
        """The first upstream whose ``models`` match ``model``, else the default one."""
        for upstream in self.upstreams:
            if upstream.serves(model):
                return upstream
        return self.get(self.default)

    def first_local(self) -> UpstreamConfig | None:
        """The first upstream marked ``local``, if any."""
        return next((u for u in self.upstreams if u.local), None)


# -- the file ---------------------------------------------------------------------------------


class _UpstreamEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_\-.]+$")
    url: str = Field(min_length=1, max_length=2000)
    kind: Kind
    api_key_env: str | None = Field(default=None, min_length=1, max_length=200)
    api_key_file: str | None = Field(default=None, min_length=1, max_length=4096)
    timeout_s: float = Field(default=60.0, gt=0, le=3600)
    models: list[str] = Field(default_factory=list, max_length=200)
    default_model: str | None = Field(default=None, min_length=1, max_length=200)

    @model_validator(mode="before")
    @classmethod
    def _no_inline_key(cls, data: Any) -> Any:
        if isinstance(data, dict) and "api_key" in data:
            raise ValueError(
                "api_key must not be written in this file: name an environment variable (api_key_env) "
                "or a file (api_key_file) that holds it"
            )
        return data

    @model_validator(mode="after")
    def _one_key_source(self) -> _UpstreamEntry:
        if self.api_key_env is not None and self.api_key_file is not None:
            raise ValueError("set api_key_env or api_key_file, not both")
        return self


class _UpstreamsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    upstreams: list[_UpstreamEntry] = Field(min_length=1, max_length=UPSTREAMS_MAX)
    default: str | None = None


def _problem(path: str, message: str, origin: str) -> InputError:
    return InputError(f"{message} (in {origin})", field=path)


def _read_key(entry: _UpstreamEntry, index: int, env: Mapping[str, str], origin: str) -> str | None:
    where = f"upstreams[{index}]"
    if entry.api_key_env is not None:
        value = env.get(entry.api_key_env)
        if not value:
            raise _problem(
                f"{where}.api_key_env", f"names {entry.api_key_env}, which is not set or is empty", origin
            )
        return value.strip()
    if entry.api_key_file is not None:
        path = Path(entry.api_key_file)
        try:
            if path.stat().st_size > KEY_FILE_MAX_BYTES:
                raise _problem(f"{where}.api_key_file", f"is over {KEY_FILE_MAX_BYTES} bytes", origin)
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise _problem(
                f"{where}.api_key_file", f"cannot be read: {exc.strerror or type(exc).__name__}", origin
            ) from None
        except UnicodeDecodeError:
            raise _problem(f"{where}.api_key_file", "is not UTF-8 text", origin) from None
        if not value:
            raise _problem(f"{where}.api_key_file", "is empty", origin)
        return value
    return None


def load_upstreams_file(path: str, environ: Mapping[str, str] | None = None) -> UpstreamTable:
    """Read and check the upstreams file; every error names the field at fault and the file."""
    env = os.environ if environ is None else environ
    origin = f"{UPSTREAMS_FILE_VAR}={path}"
    file = Path(path)
    try:
        if file.stat().st_size > UPSTREAMS_FILE_MAX_BYTES:
            raise InputError(f"is over {UPSTREAMS_FILE_MAX_BYTES} bytes: {path}", field=UPSTREAMS_FILE_VAR)
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(
            f"cannot be read: {path} ({exc.strerror or type(exc).__name__})", field=UPSTREAMS_FILE_VAR
        ) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"is not UTF-8 (byte {exc.start}): {path}", field=UPSTREAMS_FILE_VAR) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InputError(f"is not valid YAML{where}: {path}", field=UPSTREAMS_FILE_VAR) from None
    if not isinstance(data, dict):
        raise InputError(
            f"must hold a mapping with an 'upstreams' list, not {type(data).__name__}: {path}",
            field=UPSTREAMS_FILE_VAR,
        )
    try:
        parsed = _UpstreamsFile.model_validate(data)
    except ValidationError as exc:
        path_, message = validation_problems(exc.errors(include_url=False))[0]
        raise _problem(path_ or "(file)", message, origin) from None
    names = [e.name for e in parsed.upstreams]
    for i, name in enumerate(names):
        if names.index(name) != i:
            raise _problem(f"upstreams[{i}].name", f"{name!r} is used twice", origin)
    configs = []
    for i, entry in enumerate(parsed.upstreams):
        try:
            url = check_url(entry.url, field=f"upstreams[{i}].url")
        except InputError as exc:
            raise _problem(exc.field or "", exc.message.partition(": ")[2], origin) from None
        configs.append(
            UpstreamConfig(
                name=entry.name,
                url=url,
                kind=entry.kind,
                api_key=_read_key(entry, i, env, origin),
                timeout_s=entry.timeout_s,
                models=tuple(entry.models),
                default_model=entry.default_model,
            )
        )
    default = parsed.default or configs[0].name
    if default not in names:
        raise _problem("default", f"names no upstream in the file: {default!r}", origin)
    return UpstreamTable(tuple(configs), default)
