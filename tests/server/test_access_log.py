"""One access-log line per request: method, route template, status, duration, request id and key
id — never the body, the text, the path as sent or the query string."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from server_helpers import apply_body

from steward.server.accesslog import ACCESS_LOGGER

_EMAIL = "jane.doe@example.com"
_LINE = re.compile(
    r"method=(?P<method>\S+) route=(?P<route>\S+) status=(?P<status>\d+) ms=(?P<ms>\d+\.\d) "
    r"request_id=(?P<rid>[0-9a-f]{32}) key=(?P<key>\S+)"
)


@pytest.fixture
def access_lines(caplog: pytest.LogCaptureFixture) -> Callable[[], list[re.Match[str]]]:
    caplog.set_level(logging.INFO, logger=ACCESS_LOGGER)

    def lines() -> list[re.Match[str]]:
        found = []
        for record in caplog.records:
            if record.name == ACCESS_LOGGER:
                match = _LINE.fullmatch(record.getMessage())
                assert match is not None, record.getMessage()
                found.append(match)
        return found

    return lines


def test_a_request_with_an_email_is_logged_without_it(
    client: TestClient,
    app_key: dict[str, str],
    caplog: pytest.LogCaptureFixture,
    access_lines: Callable[[], list[re.Match[str]]],
) -> None:
    r = client.post(
        "/v1/check",
        params={"note": _EMAIL},
        json={"text": f"mail {_EMAIL}", "pack": "pii-mask"},
        headers=app_key,
    )
    assert r.status_code == 200, r.text
    assert _EMAIL not in r.text  # the pack masks it: the answer itself does not quote it
    [line] = access_lines()
    assert line["method"] == "POST" and line["route"] == "/v1/check" and line["status"] == "200"
    assert line["rid"] == r.headers["x-steward-request-id"]
    assert line["key"] == app_key["Authorization"].split()[1].split(".")[0]
    assert "jane" not in caplog.text and "example.com" not in caplog.text


def test_the_route_template_is_logged_not_the_path(
    client: TestClient,
    app_key: dict[str, str],
    new_guardrail: Callable[..., str],
    access_lines: Callable[[], list[re.Match[str]]],
) -> None:
    gid = new_guardrail()
    r = client.post(f"/guardrail/{gid}/version/1/apply", json=apply_body(f"hi {_EMAIL}"), headers=app_key)
    assert r.status_code == 200, r.text
    [line] = [m for m in access_lines() if m["rid"] == r.headers["x-steward-request-id"]]
    assert line["route"] == "/guardrail/{guardrailIdentifier}/version/{guardrailVersion}/apply"
    assert gid not in line.string


@pytest.mark.parametrize(
    ("method", "path", "status", "route"),
    [
        ("GET", "/v1/guardrails", 401, "/v1/guardrails"),  # no key: logged with key "-"
        ("GET", f"/no/such/{_EMAIL}", 404, "-"),  # no route: nothing of the path
        ("DELETE", "/health", 405, "/health"),  # the path matched, the method did not
    ],
)
def test_refusals_are_logged_too(
    client: TestClient,
    access_lines: Callable[[], list[re.Match[str]]],
    method: str,
    path: str,
    status: int,
    route: str,
) -> None:
    r = client.request(method, path)
    assert r.status_code == status
    [line] = access_lines()
    assert (line["status"], line["route"], line["key"]) == (str(status), route, "-")
    assert _EMAIL not in line.string
