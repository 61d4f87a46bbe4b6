from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from steward.errors import ThrottledError
from steward.server.app import create_app
from steward.server.ratelimit import RateLimiter
from steward.settings import Settings
from steward.store.keys import Role


def test_bucket_allows_the_burst_then_the_rate() -> None:
    limiter = RateLimiter(2.0, burst=3)
    for _ in range(3):
        limiter.check("k", now=100.0)
    with pytest.raises(ThrottledError, match="retry in 0.50 s"):
        limiter.check("k", now=100.0)
    limiter.check("other", now=100.0)  # buckets are per key
    limiter.check("k", now=100.5)  # half a second refills one token at 2/s
    with pytest.raises(ThrottledError):
        limiter.check("k", now=100.5)


def test_zero_rate_means_no_limit() -> None:
    limiter = RateLimiter(0.0)
    for _ in range(1000):
        limiter.check("k", now=1.0)


def test_over_the_limit_is_429_throttling(db_url: str, server_data_dir: Path) -> None:
    settings = Settings(database_url=db_url, data_dir=server_data_dir, rate_limit=0.001, rate_burst=2)
    app = create_app(settings)
    with TestClient(app) as client:
        key = app.state.steward.keys.create(Role.AUDITOR)
        headers = {"Authorization": f"Bearer {key.bearer}"}
        assert [client.get("/v1/guardrails", headers=headers).status_code for _ in range(2)] == [200, 200]
        r = client.get("/v1/guardrails", headers=headers)
        assert r.status_code == 429
        assert r.headers["x-amzn-errortype"] == "ThrottlingException"
        assert "requests per second" in r.json()["message"]
