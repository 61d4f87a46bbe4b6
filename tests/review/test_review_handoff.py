"""Opt-out to a person: the header, the body field and the policy's trigger phrases each open a
``handoff`` item (its own SLA) instead of calling the model; bad values are clear 400s."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from review_helpers import headers

from steward.errors import InputError
from steward.policy.schema import Policy
from steward.proxy.request import parse_chat_request
from steward.review.handoff import (
    HandoffAsk,
    Trigger,
    body_asks,
    handoff_ask,
    header_asks,
    matching_phrase,
)
from steward.server.routers.review import without_handoff

PHRASES = ["talk to a human", "agent please"]
POLICY: dict[str, Any] = {"name": "phrased", "review": {"handoff_phrases": PHRASES}}


def test_phrases_match_whole_words_case_and_accents_folded() -> None:
    assert matching_phrase("Can I TALK to a  Human?!", PHRASES) == "talk to a human"
    assert matching_phrase("I'd like to tälk-to-a-hüman now", PHRASES) == "talk to a human"
    assert matching_phrase("AGENT, please.", PHRASES) == "agent please"
    assert matching_phrase("stalk to a humanoid", PHRASES) is None  # whole words only
    assert matching_phrase("talk to a bot", PHRASES) is None
    assert matching_phrase("anything", ["!!!"]) is None  # a phrase of no words never matches


def test_header_and_body_values_are_checked() -> None:
    assert header_asks("Yes") and not header_asks(None) and not header_asks("0")
    with pytest.raises(InputError, match="x-steward-handoff"):
        header_asks("maybe")
    assert (
        body_asks({"steward_handoff": True})
        and not body_asks({})
        and not body_asks({"steward_handoff": False})
    )
    for bad in ("true", 1, {"a": 1}):
        with pytest.raises(InputError, match="steward_handoff"):
            body_asks({"steward_handoff": bad})


def test_the_trigger_order_is_header_body_phrase_and_bad_values_fail_anyway() -> None:
    both = handoff_ask(
        header="1", body={"steward_handoff": True}, last_user_text="talk to a human", phrases=PHRASES
    )
    assert both == HandoffAsk(Trigger.HEADER)
    assert handoff_ask(
        header=None, body={"steward_handoff": True}, last_user_text="x", phrases=[]
    ) == HandoffAsk(Trigger.BODY)
    phrase = handoff_ask(header=None, body={}, last_user_text="talk to a human", phrases=PHRASES)
    assert phrase == HandoffAsk(Trigger.PHRASE, "talk to a human")
    assert phrase.finding() == {
        "type": "HANDOFF",
        "action": "NONE",
        "trigger": "phrase",
        "phrase": "talk to a human",
    }
    assert handoff_ask(header=None, body={}, last_user_text="hello", phrases=PHRASES) is None
    with pytest.raises(InputError, match="steward_handoff"):
        handoff_ask(header="1", body={"steward_handoff": "yes"}, last_user_text=None, phrases=[])


def test_the_policy_limits_phrases() -> None:
    assert Policy.model_validate(POLICY).review.handoff_phrases == PHRASES
    for bad, problem in (
        ([" "], "phrase 0 is empty"),
        (["x" * 201], "over 200"),
        (["a"] * 101, "at most 100"),
    ):
        with pytest.raises(ValidationError, match=problem):
            Policy.model_validate({"name": "p", "review": {"handoff_phrases": bad}})


def test_the_body_field_never_reaches_the_model() -> None:
    raw = b'{"model": "m", "steward_handoff": false, "messages": [{"role": "user", "content": "hi"}]}'
    chat = parse_chat_request(raw, max_bytes=10_000)
    assert "steward_handoff" not in without_handoff(chat).body
    assert without_handoff(chat).texts == chat.texts
    plain = parse_chat_request(
        b'{"model": "m", "messages": [{"role": "user", "content": "hi"}]}', max_bytes=10_000
    )
    assert without_handoff(plain) is plain


def _guardrail(client: TestClient, keys: dict[str, dict[str, str]]) -> str:
    gid = "h" + uuid.uuid4().hex[:12]
    admin = headers(keys, "admin")
    assert client.post("/v1/guardrails", json={"id": gid, "policy": POLICY}, headers=admin).status_code == 201
    assert client.post(f"/v1/guardrails/{gid}/versions", json={}, headers=admin).status_code == 201
    return gid


@pytest.mark.parametrize(
    ("extra_body", "text", "trigger"),
    [
        ({"steward_handoff": True}, "my refund is late", "body"),
        ({}, "Please let me TALK to a human about my refund", "phrase"),
    ],
)
def test_the_body_field_and_a_policy_phrase_hand_off_to_a_person(
    review_app: TestClient,
    review_keys: dict[str, dict[str, str]],
    extra_body: dict[str, Any],
    text: str,
    trigger: str,
) -> None:
    gid = _guardrail(review_app, review_keys)
    body = {"model": "any", "messages": [{"role": "user", "content": text}], **extra_body}
    # No upstream is configured on this server: only a hand-off can answer 200.
    r = review_app.post(
        "/v1/chat/completions",
        json=body,
        headers={**headers(review_keys, "app"), "x-steward-guardrail": f"{gid}:1"},
    )
    assert r.status_code == 200, r.text
    handoff = r.json()["steward"]["handoff"]
    assert handoff["trigger"] == trigger
    assert r.json()["choices"][0]["message"]["content"].startswith("Your request has been passed to a person")
    item = review_app.get(
        f"/v1/review/items/{handoff['reviewItem']}", headers=headers(review_keys, "reviewer")
    ).json()
    assert (item["reason"], item["text"]) == ("handoff", text)
    assert item["findings"][0]["trigger"] == trigger
    due = datetime.fromisoformat(item["dueAt"]) - datetime.fromisoformat(item["createdAt"])
    assert due == timedelta(hours=4)


def test_a_bad_body_field_is_a_400_naming_it(
    review_app: TestClient, review_keys: dict[str, dict[str, str]]
) -> None:
    gid = _guardrail(review_app, review_keys)
    body = {"model": "any", "messages": [{"role": "user", "content": "hi"}], "steward_handoff": "please"}
    r = review_app.post(
        "/v1/chat/completions",
        json=body,
        headers={**headers(review_keys, "app"), "x-steward-guardrail": f"{gid}:1"},
    )
    assert r.status_code == 400 and "steward_handoff" in r.json()["error"]["message"]
