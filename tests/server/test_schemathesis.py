"""Property-based requests generated from the OpenAPI description: no input may cause a 5xx.

Bounded (a few examples per operation, SQLite only) so it runs in well under a minute. The
proxy's operations are left to its own tests: they call a configured upstream. Driven
through Hypothesis directly (schemathesis's pytest plugin does not load under pytest 9).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from steward.server.app import create_app
from steward.settings import Settings
from steward.store.keys import Role

#: Examples generated per operation.
MAX_EXAMPLES = 10


@pytest.mark.slow
def test_no_generated_request_causes_a_server_error(tmp_path: Path) -> None:
    config = Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", data_dir=tmp_path, public_docs=True)
    app = create_app(config)
    key = app.state.steward.keys.create(Role.ADMIN)
    headers = {"Authorization": f"Bearer {key.bearer}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).exclude(tag="proxy")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15
    failures: list[str] = []

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}"
                )
            elif response.status_code >= 400:
                assert "message" in response.json()

        run()
    app.state.steward.close()
    assert failures == []


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_openapi_description_is_public_only_when_asked(tmp_path: Path, path: str) -> None:
    from fastapi.testclient import TestClient

    config = Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", data_dir=tmp_path, public_docs=True)
    with TestClient(create_app(config)) as client:
        r = client.get(path)
    assert r.status_code == 200
    if path.endswith(".json"):
        assert "/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply" in r.json()["paths"]


def test_openapi_description_needs_a_key_by_default(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", data_dir=tmp_path))
    auditor = app.state.steward.keys.create(Role.AUDITOR)
    with TestClient(app) as client:
        anonymous = client.get("/openapi.json")
        assert anonymous.status_code == 401
        assert "message" in anonymous.json()
        r = client.get("/openapi.json", headers={"Authorization": f"Bearer {auditor.bearer}"})
        assert r.status_code == 200
        assert "/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply" in r.json()["paths"]
        assert client.get("/docs").status_code == 404
        assert client.get("/redoc").status_code == 404
        assert client.get("/health").status_code == 200
