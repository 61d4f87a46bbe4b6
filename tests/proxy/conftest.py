"""Fixtures for the proxy tests: the fake upstream and Steward proxies, on real loopback servers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from tests.proxy.fakes import Steward, Upstream, build_test_app, make_handler, serve

from steward.assessment import Assessment
from steward.proxy.settings import ProxySettings


@pytest.fixture(scope="session")
def upstream() -> Iterator[Upstream]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(Upstream(url="")))
    state = Upstream(url=f"http://127.0.0.1:{server.server_address[1]}/v1")
    server.RequestHandlerClass = make_handler(state)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def steward_factory(upstream: Upstream) -> Iterator[Callable[..., Steward]]:
    """Start Steward proxies with given settings (the upstream URL is filled in); stopped at the end."""
    stack: list[Any] = []

    def start(**overrides: Any) -> Steward:
        values: dict[str, Any] = {
            "upstream_url": upstream.url,
            "guardrail_id": "test",
            "upstream_timeout_s": 5.0,
        }
        values.update(overrides)
        audit: list[tuple[str, str, Assessment]] = []
        ctx = serve(build_test_app(ProxySettings(**values), audit))
        url = ctx.__enter__()
        stack.append(ctx)
        return Steward(url, audit)

    yield start
    for ctx in reversed(stack):
        ctx.__exit__(None, None, None)


@pytest.fixture(scope="module")
def steward(steward_factory: Callable[..., Steward]) -> Steward:
    """A proxy with default settings in front of the fake upstream."""
    return steward_factory()
