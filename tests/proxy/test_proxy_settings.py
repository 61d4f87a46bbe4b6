"""Proxy settings from the environment: defaults, parsing, and errors naming the variable."""

from __future__ import annotations

import pytest

from steward.errors import InputError
from steward.proxy.settings import DEFAULT_DISCLOSURE_NOTICE, ProxySettings


def test_defaults() -> None:
    settings = ProxySettings.from_env({})
    assert settings.upstream_url is None
    assert settings.guardrail_id == "default"
    assert settings.guardrail_version is None
    assert (settings.stream_holdback_chars, settings.stream_check_chars) == (200, 32)
    assert settings.disclosure_notice == DEFAULT_DISCLOSURE_NOTICE
    assert settings.disclosure_prepend is False
    assert settings.allow_guardrail_header is True


def test_every_variable_is_read() -> None:
    settings = ProxySettings.from_env(
        {
            "STEWARD_UPSTREAM_URL": "http://127.0.0.1:8000/v1/",
            "STEWARD_UPSTREAM_API_KEY": "sk-secret",
            "STEWARD_UPSTREAM_TIMEOUT_S": "2.5",
            "STEWARD_PROXY_GUARDRAIL": "support-bot",
            "STEWARD_PROXY_GUARDRAIL_VERSION": "3",
            "STEWARD_PROXY_ALLOW_GUARDRAIL_HEADER": "no",
            "STEWARD_STREAM_HOLDBACK_CHARS": "64",
            "STEWARD_STREAM_CHECK_CHARS": "8",
            "STEWARD_DISCLOSURE_NOTICE": "",
            "STEWARD_DISCLOSURE_PREPEND": "true",
            "STEWARD_PROXY_MAX_BODY_BYTES": "4096",
        }
    )
    assert settings.upstream_url == "http://127.0.0.1:8000/v1"
    assert settings.upstream_api_key == "sk-secret"
    assert settings.upstream_timeout_s == 2.5
    assert (settings.guardrail_id, settings.guardrail_version) == ("support-bot", "3")
    assert settings.allow_guardrail_header is False
    assert (settings.stream_holdback_chars, settings.stream_check_chars) == (64, 8)
    assert settings.disclosure_notice == ""  # an empty notice turns disclosure off
    assert settings.disclosure_prepend is True
    assert settings.max_body_bytes == 4096
    assert "sk-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STEWARD_UPSTREAM_URL", "ftp://example.com"),
        ("STEWARD_UPSTREAM_URL", "localhost:8000"),
        ("STEWARD_UPSTREAM_TIMEOUT_S", "soon"),
        ("STEWARD_UPSTREAM_TIMEOUT_S", "0"),
        ("STEWARD_STREAM_HOLDBACK_CHARS", "-1"),
        ("STEWARD_STREAM_HOLDBACK_CHARS", "1000000"),
        ("STEWARD_STREAM_CHECK_CHARS", "0"),
        ("STEWARD_DISCLOSURE_PREPEND", "maybe"),
        ("STEWARD_DISCLOSURE_NOTICE", "two\nlines"),
        ("STEWARD_DISCLOSURE_NOTICE", "an AI 🤖"),
        ("STEWARD_PROXY_MAX_BODY_BYTES", "10"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(InputError) as info:
        ProxySettings.from_env({name: value})
    assert info.value.field == name
    assert str(info.value).startswith(name)
