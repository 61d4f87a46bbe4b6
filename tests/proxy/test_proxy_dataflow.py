"""Data-flow rules without a server: the policy schema, the upstreams file, and the routing decision."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from steward.assessment import Action, FindingAction
from steward.errors import InputError, PolicyError
from steward.guard import Guard
from steward.policy import parse_policy
from steward.proxy.dataflow import plan_route
from steward.proxy.request import parse_chat_request
from steward.proxy.settings import ProxySettings
from steward.proxy.upstreams import UpstreamConfig, UpstreamTable, load_upstreams_file

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
#: Detect-only (action NONE) entries, so the data-flow rules alone decide what is masked where.
FLOW_POLICY: dict[str, Any] = {
    "name": "flow",
    "sensitive_information": {
        "regexes": [
            {"name": "EMAIL", "pattern": EMAIL, "action": "NONE"},
            {"name": "CONFIDENTIAL", "pattern": r"(?i)\bconfidential\b", "action": "NONE"},
        ]
    },
    "data_flow": [
        {"name": "confidential-stays-local", "types": ["CONFIDENTIAL"], "action": "LOCAL_ONLY"},
        {"name": "pii-masked-outside", "types": ["EMAIL"], "action": "MASK_EXTERNAL"},
    ],
}
LOCAL = UpstreamConfig(
    "onprem", "http://127.0.0.1:1/v1", "local", models=("llama*",), default_model="llama3.1"
)
CLOUD = UpstreamConfig("cloud", "http://127.0.0.1:2/v1", "external", models=("gpt-*",))
BOTH = UpstreamTable((LOCAL, CLOUD), "cloud")


def _request(model: str, *messages: tuple[str, str]) -> Any:
    body = {"model": model, "messages": [{"role": r, "content": c} for r, c in messages]}
    return parse_chat_request(json.dumps(body).encode(), max_bytes=1 << 20)


@pytest.fixture(scope="module")
def guard() -> Guard:
    return Guard(parse_policy(FLOW_POLICY))


# -- the policy schema -----------------------------------------------------------------------


def test_rules_parse_and_round_trip() -> None:
    policy = parse_policy(FLOW_POLICY)
    assert [(r.name, r.action.value) for r in policy.data_flow] == [
        ("confidential-stays-local", "LOCAL_ONLY"),
        ("pii-masked-outside", "MASK_EXTERNAL"),
    ]
    assert parse_policy(policy.to_dict()) == policy
    assert parse_policy({"name": "plain"}).data_flow == []


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ([{"name": "r", "types": ["SECRET_SAUCE"], "action": "LOCAL_ONLY"}], ["'SECRET_SAUCE'", "'r'"]),
        ([{"name": "r", "types": ["EMAIL"], "action": "SEND_ANYWHERE"}], ["data_flow[0].action"]),
        ([{"name": "r", "types": [], "action": "LOCAL_ONLY"}], ["data_flow[0].types"]),
        ([{"name": "r", "types": ["EMAIL", "EMAIL"], "action": "LOCAL_ONLY"}], ["repeated: EMAIL"]),
        (
            [{"name": "r", "types": ["EMAIL"], "action": "LOCAL_ONLY", "upstream": "x"}],
            ["data_flow[0].upstream"],
        ),
        (
            [
                {"name": "r", "types": ["EMAIL"], "action": "LOCAL_ONLY"},
                {"name": "r", "types": ["CONFIDENTIAL"], "action": "LOCAL_ONLY"},
            ],
            ["repeated: r"],
        ),
    ],
)
def test_bad_rules_are_refused_naming_the_field(rules: list[dict[str, Any]], words: list[str]) -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy({**FLOW_POLICY, "data_flow": rules})
    assert "data_flow" in str(info.value)
    for word in words:
        assert word in str(info.value)


def test_a_type_disabled_on_input_is_not_detected() -> None:
    sens = {"pii_entities": [{"type": "PASSWORD", "action": "NONE", "input_enabled": False}]}
    with pytest.raises(PolicyError, match="'PASSWORD', which sensitive_information does not detect"):
        parse_policy(
            {
                "name": "p",
                "sensitive_information": sens,
                "data_flow": [{"name": "r", "types": ["PASSWORD"], "action": "LOCAL_ONLY"}],
            }
        )


# -- the routing decision --------------------------------------------------------------------


def test_confidential_goes_to_the_local_upstream_with_its_default_model(guard: Guard) -> None:
    request = _request("gpt-4o", ("user", "This is CONFIDENTIAL: write to ann@example.net"))
    route = plan_route(guard, request, {}, BOTH)
    assert route.upstream is LOCAL and route.requested is CLOUD
    assert route.rule == "confidential-stays-local"
    assert route.body["model"] == "llama3.1"
    # Local: nothing masked, not even the e-mail a MASK_EXTERNAL rule names.
    assert route.body["messages"][0]["content"] == "This is CONFIDENTIAL: write to ann@example.net"
    record = route.assessment
    assert record.action is Action.GUARDRAIL_INTERVENED
    assert "upstream 'onprem' (local)" in record.action_reason
    assert "'confidential-stays-local' (LOCAL_ONLY) decided" in record.action_reason
    assert {f.type for f in record.findings} == {"CONFIDENTIAL", "EMAIL"}
    assert all(
        f.details["upstream"] == "onprem" and f.details["requested"] == "cloud" for f in record.findings
    )
    assert {f.rule for f in record.findings} == {
        "data_flow[confidential-stays-local]",
        "data_flow[pii-masked-outside]",
    }


def test_pii_is_masked_for_external_and_raw_for_local(guard: Guard) -> None:
    external = plan_route(guard, _request("gpt-4o", ("user", "Mail ann@example.net")), {}, BOTH)
    assert external.upstream is CLOUD
    assert external.body["messages"][0]["content"] == "Mail {EMAIL}"
    assert external.body["model"] == "gpt-4o"
    assert external.masked == ("EMAIL",)
    assert [f.action for f in external.assessment.findings] == [FindingAction.ANONYMIZED]
    assert "masked for the external upstream: EMAIL" in external.assessment.action_reason

    local = plan_route(guard, _request("llama3.1", ("user", "Mail ann@example.net")), {}, BOTH)
    assert local.upstream is LOCAL and local.masked == ()
    assert local.body["messages"][0]["content"] == "Mail ann@example.net"
    assert local.assessment.action is Action.NONE


def test_every_role_is_scanned_not_only_user_text(guard: Guard) -> None:
    request = _request("gpt-4o", ("system", "Confidential playbook."), ("user", "Hello"))
    assert plan_route(guard, request, {}, BOTH).upstream is LOCAL


def test_the_guards_own_masking_is_kept(guard: Guard) -> None:
    request = _request("gpt-4o", ("user", "CONFIDENTIAL plan"))
    route = plan_route(guard, request, {(0, None): "{SOMETHING} plan"}, BOTH)
    # The guard already removed the word: nothing confidential is left to keep local.
    assert route.upstream is CLOUD
    assert route.body["messages"][0]["content"] == "{SOMETHING} plan"


def test_no_local_upstream_blocks_naming_the_rule_not_the_text(guard: Guard) -> None:
    request = _request("gpt-4o", ("user", "CONFIDENTIAL: the merger closes Friday"))
    route = plan_route(guard, request, {}, UpstreamTable((CLOUD,), "cloud"))
    assert route.blocked and route.upstream is None
    assert route.assessment.blocked
    message = route.assessment.output_text or ""
    assert "'confidential-stays-local'" in message and "no local upstream" in message
    assert "merger" not in message and "merger" not in route.assessment.action_reason


def test_nothing_found_keeps_the_upstream_the_model_asked_for(guard: Guard) -> None:
    route = plan_route(guard, _request("mystery-model", ("user", "Hello")), {}, BOTH)
    assert route.upstream is CLOUD  # the default
    assert route.body["model"] == "mystery-model"
    assert route.rule is None and route.assessment.action is Action.NONE
    assert route.assessment.findings == ()


# -- the upstreams file and settings ---------------------------------------------------------


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "upstreams.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


GOOD = """
default: cloud
upstreams:
  - name: onprem
    url: http://127.0.0.1:11434/v1/
    kind: local
    models: ["llama*"]
    default_model: llama3.1
  - name: cloud
    url: https://api.example.com/v1
    kind: external
    api_key_env: CLOUD_KEY
    timeout_s: 30
"""


def test_the_file_is_read_with_keys_from_the_environment_or_a_file(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD)
    settings = ProxySettings.from_env({"STEWARD_PROXY_UPSTREAMS_FILE": path, "CLOUD_KEY": "sk-cloud-secret"})
    table = settings.upstream_table()
    assert table is not None and table.default == "cloud"
    onprem, cloud = table.upstreams
    assert (onprem.url, onprem.kind, cloud.api_key, cloud.timeout_s) == (
        "http://127.0.0.1:11434/v1",
        "local",
        "sk-cloud-secret",
        30,
    )
    assert "sk-cloud-secret" not in repr(settings) and "sk-cloud-secret" not in repr(table)
    key_file = tmp_path / "key"
    key_file.write_text("sk-from-file\n", encoding="utf-8")
    text = GOOD.replace("api_key_env: CLOUD_KEY", f"api_key_file: {key_file}")
    assert load_upstreams_file(_write(tmp_path, text), {}).get("cloud").api_key == "sk-from-file"


def test_the_single_upstream_is_external_unless_marked_local() -> None:
    url = {"STEWARD_UPSTREAM_URL": "http://127.0.0.1:8000/v1"}
    table = ProxySettings.from_env(url).upstream_table()
    assert table is not None and [u.kind for u in table.upstreams] == ["external"]
    table = ProxySettings.from_env({**url, "STEWARD_UPSTREAM_KIND": "LOCAL"}).upstream_table()
    assert table is not None and [u.kind for u in table.upstreams] == ["local"]
    assert ProxySettings.from_env({}).upstream_table() is None


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        (("kind: local", "kind: cloudy"), "upstreams[0].kind", "local"),
        (("url: http://127.0.0.1:11434/v1/", "url: localhost:11434"), "upstreams[0].url", "http://"),
        (("api_key_env: CLOUD_KEY", "api_key: sk-inline"), "upstreams[1]", "api_key_env"),
        (("api_key_env: CLOUD_KEY", "api_key_env: NOT_SET_HERE"), "upstreams[1].api_key_env", "not set"),
        (("api_key_env: CLOUD_KEY", "api_key_file: /nonexistent/key"), "upstreams[1].api_key_file", "cannot"),
        (("timeout_s: 30", "timeout_s: -1"), "upstreams[1].timeout_s", "greater than 0"),
        (("name: cloud", "name: onprem"), "upstreams[1].name", "used twice"),
        (("default: cloud", "default: nowhere"), "default", "nowhere"),
        (("    models:", "    modles:"), "upstreams[0].modles", "unknown field"),
    ],
)
def test_a_bad_file_names_the_field(tmp_path: Path, change: tuple[str, str], field: str, words: str) -> None:
    path = _write(tmp_path, GOOD.replace(*change))
    with pytest.raises(InputError) as info:
        ProxySettings.from_env({"STEWARD_PROXY_UPSTREAMS_FILE": path, "CLOUD_KEY": "sk-cloud-secret"})
    assert info.value.field == field
    assert words in str(info.value)
    assert "STEWARD_PROXY_UPSTREAMS_FILE" in str(info.value)
    assert "sk-inline" not in str(info.value) and "sk-cloud-secret" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("upstreams: [", "not valid YAML"),
        ("- just a list", "mapping"),
        (None, "cannot be read"),
        ("upstreams: []", "upstreams"),
    ],
)
def test_a_broken_file_is_a_clear_error(tmp_path: Path, text: str | None, words: str) -> None:
    path = str(tmp_path / "missing.yaml") if text is None else _write(tmp_path, text)
    with pytest.raises(InputError) as info:
        ProxySettings.from_env({"STEWARD_PROXY_UPSTREAMS_FILE": path})
    assert words in str(info.value)


def test_file_and_single_upstream_variables_clash(tmp_path: Path) -> None:
    env = {"STEWARD_PROXY_UPSTREAMS_FILE": _write(tmp_path, GOOD), "CLOUD_KEY": "k"}
    with pytest.raises(InputError) as info:
        ProxySettings.from_env({**env, "STEWARD_UPSTREAM_URL": "http://127.0.0.1:1/v1"})
    assert info.value.field == "STEWARD_PROXY_UPSTREAMS_FILE" and "STEWARD_UPSTREAM_URL" in str(info.value)
    with pytest.raises(InputError) as info:
        ProxySettings.from_env({"STEWARD_UPSTREAM_KIND": "cloud"})
    assert info.value.field == "STEWARD_UPSTREAM_KIND"
