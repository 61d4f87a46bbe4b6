"""Data-flow routing in the real server, between two fake upstreams that record what they received.

``onprem`` is marked local and ``cloud`` external; the guardrail ``flow`` keeps CONFIDENTIAL
text off external upstreams and masks e-mail addresses before them. Every test checks the
bodies the fakes actually received, streamed and not, and the audit record of the route.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from proxy_fakes import EMAIL_PATTERN, Steward

from loopback_servers import Upstream, running_upstream
from steward.cli import main
from steward.errors import InputError
from steward.policy import parse_policy
from steward.server.app import create_app
from steward.settings import Settings
from steward.store.db import make_engine, session_factory
from steward.store.guardrails import GuardrailStore

pytestmark = pytest.mark.timeout(60)

FLOW_POLICY: dict[str, Any] = {
    "name": "proxy-flow",
    "sensitive_information": {
        "regexes": [
            {"name": "EMAIL", "pattern": EMAIL_PATTERN, "action": "NONE"},
            {"name": "CONFIDENTIAL", "pattern": r"(?i)\bconfidential\b", "action": "NONE"},
            {"name": "LAUNCH_CODE", "pattern": r"(?i)launch code \d+", "action": "BLOCK"},
        ]
    },
    "data_flow": [
        {"name": "confidential-stays-local", "types": ["CONFIDENTIAL"], "action": "LOCAL_ONLY"},
        {"name": "pii-masked-outside", "types": ["EMAIL"], "action": "MASK_EXTERNAL"},
    ],
}
CLOUD_KEY = "sk-cloud-test-secret"
RAW_EMAIL = "ann@example.net"


@pytest.fixture(scope="module")
def two() -> Iterator[tuple[Upstream, Upstream]]:
    """``(local, external)`` fake upstreams."""
    with running_upstream() as local, running_upstream() as external:
        yield local, external


@pytest.fixture(scope="module")
def flow_guardrail(seeded: tuple[Settings, str]) -> str:
    settings, _ = seeded
    engine = make_engine(settings.database_url)
    try:
        guardrails = GuardrailStore(session_factory(engine))
        guardrails.create("flow", parse_policy(FLOW_POLICY))
        guardrails.create_version("flow", description="v1")
    finally:
        engine.dispose()
    return "flow"


def _file(tmp: Path, local: Upstream | None, external: Upstream) -> str:
    lines = ["default: cloud", "upstreams:"]
    if local is not None:
        lines += [
            "  - name: onprem",
            f"    url: {local.url}",
            "    kind: local",
            '    models: ["llama*"]',
            "    default_model: llama3.1",
        ]
    lines += [
        "  - name: cloud",
        f"    url: {external.url}",
        "    kind: external",
        "    api_key_env: TEST_CLOUD_KEY",
        '    models: ["gpt-*"]',
    ]
    path = tmp / ("both.yaml" if local is not None else "external-only.yaml")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def start(
    steward_factory: Callable[..., Steward],
    flow_guardrail: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[..., Steward]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TEST_CLOUD_KEY", CLOUD_KEY)

        def begin(upstreams_file: str | None = None, **env: Any) -> Steward:
            if upstreams_file is not None:
                env = {"STEWARD_UPSTREAM_URL": "", "STEWARD_PROXY_UPSTREAMS_FILE": upstreams_file, **env}
            return steward_factory(STEWARD_PROXY_GUARDRAIL=flow_guardrail, **env)

        yield begin


@pytest.fixture(scope="module")
def routed(
    start: Callable[..., Steward], two: tuple[Upstream, Upstream], tmp_path_factory: pytest.TempPathFactory
) -> Steward:
    local, external = two
    return start(_file(tmp_path_factory.mktemp("flow"), local, external))


def _chat(
    steward: Steward, model: str, messages: list[dict[str, str]], stream: bool
) -> tuple[str, httpx.Response]:
    """The answer's text (joined from the events when streamed) and the response."""
    body = {"model": model, "messages": messages, "stream": stream}
    headers = {"authorization": f"Bearer {steward.key}"}
    with httpx.Client(base_url=steward.v1, timeout=10) as http:
        response = http.post("/chat/completions", json=body, headers=headers)
    assert response.status_code == 200, response.text
    if not stream:
        return response.json()["choices"][0]["message"]["content"], response
    text = ""
    for line in response.text.splitlines():
        if line.startswith("data: ") and line != "data: [DONE]":
            for choice in json.loads(line[6:]).get("choices", []):
                text += choice.get("delta", {}).get("content") or ""
    return text, response


def _route_record(steward: Steward, response: httpx.Response) -> dict[str, Any]:
    request_id = response.headers["x-steward-request-id"]
    records = {r["requestId"].removeprefix(request_id): r for r in steward.audit(request_id)}
    return records["-route"]


def _received(upstream: Upstream) -> list[dict[str, Any]]:
    return [r["body"] for r in upstream.chat_requests()]


@pytest.fixture
def fresh(two: tuple[Upstream, Upstream]) -> tuple[Upstream, Upstream]:
    for upstream in two:
        upstream.clear()
    return two


@pytest.mark.parametrize("stream", [False, True])
def test_confidential_never_reaches_the_external_upstream(
    routed: Steward, fresh: tuple[Upstream, Upstream], stream: bool
) -> None:
    local, external = fresh
    messages = [{"role": "user", "content": f"CONFIDENTIAL: the merger plan, mail {RAW_EMAIL}"}]
    text, response = _chat(routed, "gpt-4o", messages, stream)
    assert _received(external) == []
    [sent] = _received(local)
    assert sent["model"] == "llama3.1"  # the local upstream's model, not the one asked for
    assert sent["messages"][0]["content"] == messages[0]["content"]  # as sent: local may see it
    assert "merger plan" in text  # the fake echoes what it received
    record = _route_record(routed, response)
    assert record["action"] == "GUARDRAIL_INTERVENED"
    assert "upstream 'onprem' (local)" in record["actionReason"]
    assert "'confidential-stays-local'" in record["actionReason"]
    details = {f["type"]: f["details"] for f in record["findings"]}
    assert details["CONFIDENTIAL"]["upstream"] == "onprem" and details["CONFIDENTIAL"]["requested"] == "cloud"
    assert "merger" not in str(record)  # the audit trail keeps no raw text


@pytest.mark.parametrize("stream", [False, True])
def test_pii_is_masked_for_the_external_upstream(
    routed: Steward, fresh: tuple[Upstream, Upstream], stream: bool
) -> None:
    local, external = fresh
    _, response = _chat(
        routed, "gpt-4o", [{"role": "user", "content": f"Please mail {RAW_EMAIL} today"}], stream
    )
    assert _received(local) == []
    [request] = external.chat_requests()
    assert request["body"]["messages"][0]["content"] == "Please mail {EMAIL} today"
    assert RAW_EMAIL not in str(request["body"])
    assert request["body"]["model"] == "gpt-4o"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["authorization"] == f"Bearer {CLOUD_KEY}"  # its own key, from the env
    record = _route_record(routed, response)
    assert "masked for the external upstream: EMAIL" in record["actionReason"]
    assert [(f["type"], f["action"]) for f in record["findings"]] == [("EMAIL", "ANONYMIZED")]


@pytest.mark.parametrize("stream", [False, True])
def test_pii_goes_raw_to_the_local_upstream_the_model_names(
    routed: Steward, fresh: tuple[Upstream, Upstream], stream: bool
) -> None:
    local, external = fresh
    _, response = _chat(routed, "llama3.1", [{"role": "user", "content": f"Please mail {RAW_EMAIL}"}], stream)
    assert _received(external) == []
    [request] = local.chat_requests()
    assert request["body"]["messages"][0]["content"] == f"Please mail {RAW_EMAIL}"
    assert "authorization" not in {k.lower() for k in request["headers"]}  # no key configured for it
    record = _route_record(routed, response)
    assert record["action"] == "NONE" and "upstream 'onprem' (local)" in record["actionReason"]


def test_a_confidential_system_prompt_is_kept_local_too(
    routed: Steward, fresh: tuple[Upstream, Upstream]
) -> None:
    local, external = fresh
    messages = [
        {"role": "system", "content": "Confidential pricing rules apply."},
        {"role": "user", "content": "What is the price?"},
    ]
    _chat(routed, "gpt-4o", messages, False)
    assert _received(external) == [] and len(_received(local)) == 1


def test_a_plain_request_goes_where_its_model_asks(routed: Steward, fresh: tuple[Upstream, Upstream]) -> None:
    local, external = fresh
    _, response = _chat(routed, "gpt-4o-mini", [{"role": "user", "content": "Hello"}], False)
    assert _received(local) == [] and _received(external)[0]["model"] == "gpt-4o-mini"
    record = _route_record(routed, response)
    assert record["action"] == "NONE" and record["findings"] == []
    assert "upstream 'cloud' (external)" in record["actionReason"]


def test_the_guard_still_blocks_before_any_routing(routed: Steward, fresh: tuple[Upstream, Upstream]) -> None:
    local, external = fresh
    text, _ = _chat(routed, "llama3.1", [{"role": "user", "content": "the launch code 12345"}], False)
    assert text == parse_policy(FLOW_POLICY).blocked_input_message
    assert _received(local) == [] and _received(external) == []


@pytest.mark.parametrize("stream", [False, True])
def test_no_local_upstream_blocks_confidential_clearly(
    start: Callable[..., Steward],
    two: tuple[Upstream, Upstream],
    tmp_path_factory: pytest.TempPathFactory,
    stream: bool,
) -> None:
    _, external = two
    external.clear()
    steward = start(_file(tmp_path_factory.mktemp("flow-ext"), None, external))
    messages = [{"role": "user", "content": "CONFIDENTIAL: the merger plan"}]
    text, response = _chat(steward, "gpt-4o", messages, stream)
    assert _received(external) == []
    assert "data-flow rule 'confidential-stays-local'" in text and "no local upstream" in text
    assert "merger" not in text
    assert response.headers["x-steward-guardrail-action"] == "GUARDRAIL_INTERVENED"
    record = _route_record(steward, response)
    assert record["action"] == "GUARDRAIL_INTERVENED"
    assert [f["action"] for f in record["findings"]] == ["BLOCKED"]
    # Not confidential: it still goes out, its e-mail masked.
    _chat(steward, "gpt-4o", [{"role": "user", "content": f"mail {RAW_EMAIL}"}], stream)
    assert _received(external)[-1]["messages"][0]["content"] == "mail {EMAIL}"


def test_the_single_upstream_variables_take_a_kind(
    start: Callable[..., Steward], two: tuple[Upstream, Upstream]
) -> None:
    local, _ = two
    local.clear()
    unmarked = start(STEWARD_UPSTREAM_URL=local.url)  # external unless marked
    text, _ = _chat(unmarked, "echo", [{"role": "user", "content": "CONFIDENTIAL note"}], False)
    assert "no local upstream" in text and _received(local) == []
    marked = start(STEWARD_UPSTREAM_URL=local.url, STEWARD_UPSTREAM_KIND="local")
    _chat(marked, "echo", [{"role": "user", "content": f"CONFIDENTIAL note for {RAW_EMAIL}"}], False)
    assert _received(local)[-1]["messages"][0]["content"] == f"CONFIDENTIAL note for {RAW_EMAIL}"


def test_models_lists_every_upstream(routed: Steward, fresh: tuple[Upstream, Upstream]) -> None:
    with httpx.Client(base_url=routed.v1, timeout=10) as http:
        response = http.get("/models", headers={"authorization": f"Bearer {routed.key}"})
    assert response.status_code == 200
    assert [m["id"] for m in response.json()["data"]] == ["fake-model"]  # the same id from both, once
    assert all(len([r for r in u.requests if r["path"].endswith("/models")]) == 1 for u in fresh)


def test_a_bad_configuration_stops_the_start_naming_the_field(
    seeded: tuple[Settings, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, _ = seeded
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "upstreams:\n  - name: x\n    url: http://127.0.0.1:1/v1\n    kind: nearby\n", encoding="utf-8"
    )
    monkeypatch.delenv("STEWARD_UPSTREAM_URL", raising=False)
    monkeypatch.setenv("STEWARD_PROXY_UPSTREAMS_FILE", str(bad))
    with pytest.raises(InputError) as info:
        create_app(settings, prepare=False)
    assert info.value.field == "upstreams[0].kind"
    # `steward serve` refuses before it migrates or listens: exit code 5, the field named.
    monkeypatch.setenv("STEWARD_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(main, ["serve", "--port", "1"], env=dict(os.environ))
    assert result.exit_code == 5, result.output
    assert "upstreams[0].kind" in result.output and "Traceback" not in result.output


def test_an_upstream_failure_names_that_upstreams_setting(
    start: Callable[..., Steward], two: tuple[Upstream, Upstream], tmp_path: Path
) -> None:
    local, external = two
    path = Path(_file(tmp_path, local, external))
    path.write_text(path.read_text(encoding="utf-8") + "    timeout_s: 0.2\n", encoding="utf-8")
    steward = start(str(path))
    headers = {"authorization": f"Bearer {steward.key}"}
    body = {"model": "slow:1", "messages": [{"role": "user", "content": "hi"}]}  # no pattern: the default
    with httpx.Client(base_url=steward.v1, timeout=10) as http:
        response = http.post("/chat/completions", json=body, headers=headers)
    assert response.status_code == 504
    assert "timeout_s of upstream 'cloud'" in response.json()["error"]["message"]
    assert CLOUD_KEY not in response.text
