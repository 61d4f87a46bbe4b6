"""The OpenAPI description tells the truth: schemathesis with every check against a real server.

``st run`` (all four phases: examples, coverage, fuzzing, stateful) with all checks over the
guardrail API — ApplyGuardrail, check, guardrails, keys, audit, health — with an admin key. It
used to find 62 problems: undocumented status codes (a 422 documented, 400/401/403/404/409/413
answered), request schemas looser than validation (ids, alias names, version references, pack
names, "policy or pack"), ``application/yaml`` undocumented, 405 answers whose ``Allow`` named
only one route's methods. Bounded to a few examples per operation and a fixed seed (about 15 s).

Some checks are off where JSON Schema cannot say what the server checks, each named below.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from live_server import serve_in_thread

from steward.server.app import create_app
from steward.settings import Settings
from steward.store.keys import Role

#: The operations under test, by tag (the proxy, governance, review and monitoring have their own).
TAGS = ("bedrock", "check", "guardrails", "keys", "audit", "meta")

CONFIG = """
# 408, 409 and 413 refuse a request as surely as a 400 does.
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "408", "409", "413", "429"]

# 'since' must not be after 'until': a rule between two parameters, which JSON Schema cannot state.
[[operations]]
include-name = "GET /v1/audit"
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "GET /v1/audit/export"
checks.positive_data_acceptance.enabled = false

# 'after' must be the cursor of a previous page, i.e. name a stored row (store/paging.py answers any
# other with a 400 naming it): a rule about the stored data, which JSON Schema cannot state.
[[operations]]
include-name = "GET /v1/guardrails"
checks.positive_data_acceptance.enabled = false
[[operations]]
include-name = "GET /v1/guardrails/{guardrail_id}/versions"
checks.positive_data_acceptance.enabled = false
# A policy document is validated by steward.policy: rules across fields (a review band's low under
# its high), ISO 639 codes, regex safety, and pydantic's lax reading of its booleans and numbers.
[[operations]]
include-name = "POST /v1/check"
checks.negative_data_rejection.enabled = false
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "POST /v1/guardrails"
checks.negative_data_rejection.enabled = false
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "PUT /v1/guardrails/{guardrail_id}"
checks.negative_data_rejection.enabled = false
checks.positive_data_acceptance.enabled = false
"""


@pytest.mark.slow
def test_schemathesis_with_all_checks_finds_nothing(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", data_dir=tmp_path, public_docs=True)
    app = create_app(settings)
    admin = app.state.steward.keys.create(Role.ADMIN)
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG, encoding="utf-8")
    with serve_in_thread(app) as base:
        command = [
            str(Path(sys.executable).parent / "st"),
            "--config-file",
            str(config),
            "run",
            f"{base}/openapi.json",
            "--header",
            f"Authorization: Bearer {admin.bearer}",
            "--max-examples",
            "5",
            "--seed",
            "1",
            "--workers",
            "1",
            "--suppress-health-check",
            "all",
            "--no-color",
        ]
        for tag in TAGS:
            command += ["--include-tag", tag]
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path
        )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    tested = re.search(r"Tested: (\d+)", output)
    assert tested is not None and int(tested.group(1)) >= 20, output[-3000:]  # the selection is not empty
