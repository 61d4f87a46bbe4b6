"""The upstream client on its own: errors name the problem and never the credentials."""

from __future__ import annotations

import asyncio
import socket

import pytest

from loopback_servers import Upstream
from steward.errors import UpstreamError, UpstreamTimeoutError
from steward.proxy.settings import ProxySettings
from steward.proxy.upstream import UpstreamClient, safe_url


def test_safe_url_drops_credentials_and_query() -> None:
    assert (
        safe_url("https://user:pw@api.example.com:8443/v1/chat?key=secret#x")
        == "https://api.example.com:8443/v1/chat"
    )


def test_api_key_is_sent_as_bearer(upstream: Upstream) -> None:
    client = UpstreamClient(ProxySettings(upstream_url=upstream.url, upstream_api_key="sk-test"))

    async def go() -> None:
        try:
            await client.complete({"model": "say:plain", "messages": [{"role": "user", "content": "hi"}]})
        finally:
            await client.aclose()

    upstream.clear()
    asyncio.run(go())
    assert upstream.chat_requests()[0]["headers"]["authorization"] == "Bearer sk-test"


def test_stream_yields_chunks_until_done(upstream: Upstream) -> None:
    client = UpstreamClient(ProxySettings(upstream_url=upstream.url))

    async def go() -> list[str]:
        try:
            body = {"model": "say:plain:5", "stream": True, "messages": [{"role": "user", "content": "hi"}]}
            return [c["choices"][0]["delta"].get("content") or "" async for c in client.stream(body)]
        finally:
            await client.aclose()

    assert "".join(asyncio.run(go())) == "The capital of France is Paris."


def test_no_upstream_and_refused_connections_are_upstream_errors() -> None:
    async def call(client: UpstreamClient) -> None:
        try:
            await client.models()
        finally:
            await client.aclose()

    with pytest.raises(UpstreamError, match="STEWARD_UPSTREAM_URL"):
        asyncio.run(call(UpstreamClient(ProxySettings())))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(UpstreamError, match="cannot connect") as info:
        asyncio.run(call(UpstreamClient(ProxySettings(upstream_url=f"http://u:pw@127.0.0.1:{port}/v1?k=1"))))
    assert "pw" not in str(info.value)


def test_time_out_is_its_own_error(upstream: Upstream) -> None:
    client = UpstreamClient(ProxySettings(upstream_url=upstream.url, upstream_timeout_s=0.2))

    async def go() -> None:
        try:
            await client.complete({"model": "slow:1", "messages": []})
        finally:
            await client.aclose()

    with pytest.raises(UpstreamTimeoutError, match=r"within 0\.2 s"):
        asyncio.run(go())
