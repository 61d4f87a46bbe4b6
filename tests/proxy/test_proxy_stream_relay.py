"""The stream relay without servers: several choices, usage chunks, tool calls, odd chunks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator
from typing import Any

import pytest
from proxy_fakes import TEST_POLICY

from steward.assessment import Assessment
from steward.guard import Guard
from steward.policy import parse_policy
from steward.proxy.chat import ChatProxy, GuardBinding, _StreamRelay
from steward.proxy.request import parse_chat_request
from steward.proxy.settings import ProxySettings

GUARD = Guard(parse_policy(TEST_POLICY))


def chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": choices,
        **extra,
    }


def delta(index: int, content: str | None = None, finish: str | None = None, **more: Any) -> dict[str, Any]:
    d: dict[str, Any] = dict(more)
    if content is not None:
        d["content"] = content
    return {"index": index, "delta": d, "finish_reason": finish}


def relay(chunks: list[dict[str, Any]], **settings: Any) -> tuple[list[Any], list[tuple[str, Assessment]]]:
    audit: list[tuple[str, Assessment]] = []
    request = parse_chat_request(
        json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": "hi"}]}).encode(),
        max_bytes=10_000,
    )
    binding = GuardBinding(GUARD, "test", "1", "rid", lambda a, d: audit.append((d, a)))
    r = _StreamRelay(ChatProxy(ProxySettings(**settings)), request, binding, None, None)

    async def source() -> AsyncGenerator[dict[str, Any], None]:
        for c in chunks[1:]:
            yield c

    async def collect() -> list[Any]:
        out = []
        async for event in r.events(chunks[0], source()):
            payload = event.decode().removeprefix("data: ").strip()
            out.append(payload if payload == "[DONE]" else json.loads(payload))
        return out

    return asyncio.run(collect()), audit


def text_of(events: list[Any], index: int) -> str:
    return "".join(
        c["delta"].get("content") or ""
        for e in events
        if isinstance(e, dict) and "choices" in e
        for c in e["choices"]
        if c["index"] == index
    )


def test_two_choices_are_guarded_separately() -> None:
    a = "Mail a@example.com now."
    b = "Or b@example.com later."
    chunks = [chunk([delta(0, "", role="assistant"), delta(1, "", role="assistant")])]
    for i in range(0, len(a), 2):
        chunks.append(chunk([delta(0, a[i : i + 2]), delta(1, b[i : i + 2])]))
    chunks.append(chunk([delta(0, finish="stop"), delta(1, finish="length")]))
    chunks.append(chunk([], usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}))
    events, audit = relay(chunks, stream_holdback_chars=16, stream_check_chars=1)
    assert text_of(events, 0) == "Mail {EMAIL} now."
    assert text_of(events, 1) == "Or {EMAIL} later."
    finishes = {
        c["index"]: c["finish_reason"] for e in events[:-1] for c in e["choices"] if c["finish_reason"]
    }
    assert finishes == {0: "stop", 1: "length"}
    assert events[-2]["usage"]["total_tokens"] == 3 and events[-2]["choices"] == []
    assert events[-1] == "[DONE]"
    assert [(d, a.action.value) for d, a in audit] == [
        ("out-0", "GUARDRAIL_INTERVENED"),
        ("out-1", "GUARDRAIL_INTERVENED"),
    ]


def test_tool_calls_are_released_whole_and_guarded_when_the_choice_ends() -> None:
    head = [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "f", "arguments": ""}}]
    args = '{"to": "a@example.com"}'
    chunks = [chunk([{**delta(0, None, tool_calls=head), "logprobs": {"content": []}}])]
    chunks += [
        chunk([delta(0, tool_calls=[{"index": 0, "function": {"arguments": args[i : i + 3]}}])])
        for i in range(0, len(args), 3)
    ]
    chunks.append(chunk([delta(0, finish="tool_calls")]))
    events, audit = relay(chunks)
    calls = [
        c["delta"]["tool_calls"]
        for e in events
        if isinstance(e, dict)
        for c in e["choices"]
        if "tool_calls" in c["delta"]
    ]
    assert calls == [
        [
            {
                "index": 0,
                "id": "call_1",
                "type": "function",
                "function": {"name": "f", "arguments": '{"to": "{EMAIL}"}'},
            }
        ]
    ]
    assert all(c["logprobs"] is None for e in events if isinstance(e, dict) for c in e["choices"])
    assert events[-2]["choices"][0]["finish_reason"] == "tool_calls"
    assert [(d, a.action.value) for d, a in audit] == [("out-0-tool-0", "GUARDRAIL_INTERVENED")]


def test_a_stream_that_ends_without_finish_is_flushed() -> None:
    events, _ = relay([chunk([delta(0, "Mail a@exa")]), chunk([delta(0, "mple.com")])])
    assert text_of(events, 0) == "Mail {EMAIL}"
    assert events[-1] == "[DONE]"


@pytest.mark.parametrize(
    "bad", [{"choices": "x"}, {"choices": [5]}, {"choices": [{"index": "0", "delta": {}}]}]
)
def test_malformed_chunks_end_the_stream_with_an_error_event(bad: dict[str, Any]) -> None:
    events, _ = relay([chunk([delta(0, "Hello")]), bad])
    assert "error" in events[-1]
    assert events[-1]["error"]["type"] == "upstream_error"
