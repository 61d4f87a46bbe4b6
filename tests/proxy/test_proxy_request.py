"""Reading chat-completions bodies: what is extracted, what is refused, and how it is named."""

from __future__ import annotations

import json

import pytest

from steward.errors import InputError, InputTooLargeError
from steward.proxy.request import MAX_MESSAGES, parse_chat_request


def parse(body: object, *, max_bytes: int = 1 << 20) -> object:
    return parse_chat_request(json.dumps(body).encode(), max_bytes=max_bytes)


def test_texts_are_found_in_strings_and_parts_and_the_rest_is_kept() -> None:
    request = parse_chat_request(
        json.dumps(
            {
                "model": "m",
                "temperature": 0.2,
                "tools": [{"type": "function", "function": {"name": "f"}}],
                "messages": [
                    {"role": "system", "content": "Be nice."},
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "look"},
                            {"type": "image_url", "image_url": {"url": "data:,"}},
                            {"type": "text", "text": "here"},
                        ],
                    },
                    {"role": "assistant", "content": None, "tool_calls": []},
                    {"role": "tool", "tool_call_id": "1", "content": "result"},
                ],
            }
        ).encode(),
        max_bytes=4096,
    )
    assert request.model == "m" and request.stream is False
    assert [(t.field, t.role, t.text) for t in request.texts] == [
        ("messages[0].content", "system", "Be nice."),
        ("messages[1].content[0].text", "user", "look"),
        ("messages[1].content[2].text", "user", "here"),
        ("messages[3].content", "tool", "result"),
    ]
    body = request.with_texts({(1, 2): "{EMAIL}", (3, None): "masked"})
    assert body["messages"][1]["content"][2]["text"] == "{EMAIL}"
    assert body["messages"][1]["content"][1]["type"] == "image_url"
    assert body["messages"][3]["content"] == "masked"
    assert body["temperature"] == 0.2 and body["tools"] == request.body["tools"]
    # The original body is not changed.
    assert request.body["messages"][1]["content"][2]["text"] == "here"


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"model": "m", "messages": [{"role": "user", "content": "hi"}], "n": 0}, "n", "1 to 16"),
        ({"model": "", "messages": [{"role": "user", "content": "hi"}]}, "model", "non-empty"),
        ({"model": "m", "messages": [5]}, "messages[0]", "object"),
        ({"model": "m", "messages": [{"role": "user"}]}, "messages[0].content", "required"),
        ({"model": "m", "messages": [{"role": "user", "content": [5]}]}, "messages[0].content[0]", "type"),
        (
            {"model": "m", "messages": [{"role": "user", "content": "x" * 200_001}]},
            "messages[0].content",
            "limit",
        ),
    ],
)
def test_bad_bodies_name_the_field(body: object, field: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        parse(body, max_bytes=1 << 22)
    assert info.value.field == field
    assert words in str(info.value)


def test_limits() -> None:
    with pytest.raises(InputTooLargeError, match="over the limit of 100 bytes"):
        parse({"model": "m", "messages": [{"role": "user", "content": "x" * 200}]}, max_bytes=100)
    many = [{"role": "user", "content": "x"}] * (MAX_MESSAGES + 1)
    with pytest.raises(InputTooLargeError, match="messages"):
        parse({"model": "m", "messages": many}, max_bytes=1 << 22)
    with pytest.raises(InputError, match="nested too deeply|not valid JSON"):
        parse_chat_request(b"[" * 100_000, max_bytes=1 << 20)
    with pytest.raises(InputError, match="empty"):
        parse_chat_request(b"  ", max_bytes=100)
