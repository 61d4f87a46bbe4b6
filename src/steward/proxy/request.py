"""Reading an OpenAI chat-completions request body, with errors that name the field at fault.

Only what the proxy needs is checked (``model``, ``messages``, ``stream``, the text of each
message); every other parameter (``temperature``, ``tools``, ...) travels upstream untouched,
so the proxy keeps working as the OpenAI API grows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from steward.errors import InputError, InputTooLargeError
from steward.guard import validate_text

__all__ = ["MAX_MESSAGES", "ROLES", "ChatRequest", "MessageText", "parse_chat_request"]

#: Most messages one request may carry.
MAX_MESSAGES = 2048
#: Message roles the OpenAI API defines (``function`` is its deprecated form of ``tool``).
ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})


@dataclass(frozen=True, slots=True)
class MessageText:
    """One piece of text inside the messages: where it is, and who wrote it.

    ``part`` is ``None`` when the message content is a plain string, else the index of the
    text part in the content list.
    """

    message: int
    part: int | None
    role: str
    text: str

    @property
    def field(self) -> str:
        """The JSON path of this text, used in errors and explanations."""
        base = f"messages[{self.message}].content"
        return base if self.part is None else f"{base}[{self.part}].text"


@dataclass(frozen=True, slots=True)
class ChatRequest:
    """A validated request: the body to forward plus the texts found in it."""

    body: dict[str, Any]
    model: str
    stream: bool
    texts: tuple[MessageText, ...]

    def with_texts(self, replacements: dict[tuple[int, int | None], str]) -> dict[str, Any]:
        """A copy of the body with some message texts replaced (the masked ones)."""
        messages = [dict(m) for m in self.body["messages"]]
        for (index, part), text in replacements.items():
            if part is None:
                messages[index]["content"] = text
            else:
                parts = [dict(p) for p in messages[index]["content"]]
                parts[part]["text"] = text
                messages[index]["content"] = parts
        return {**self.body, "messages": messages}


def _decode(raw: bytes, max_bytes: int) -> dict[str, Any]:
    if len(raw) > max_bytes:
        raise InputTooLargeError(field="body", size=len(raw), limit=max_bytes, unit="bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"is not valid UTF-8 (byte {exc.start})", field="body") from None
    if not text.strip():
        raise InputError("is empty; send a JSON object with model and messages", field="body")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})", field="body"
        ) from None
    except RecursionError:
        raise InputError("is nested too deeply", field="body") from None
    if not isinstance(data, dict):
        raise InputError(f"must be a JSON object, not {type(data).__name__}", field="body")
    return data


def _message_texts(index: int, message: Any) -> list[MessageText]:
    where = f"messages[{index}]"
    if not isinstance(message, dict):
        raise InputError(f"must be an object, not {type(message).__name__}", field=where)
    role = message.get("role")
    if not isinstance(role, str) or role not in ROLES:
        raise InputError(f"must be one of {', '.join(sorted(ROLES))}, not {role!r}", field=f"{where}.role")
    content = message.get("content")
    if content is None:
        if role in ("user", "system", "developer"):
            raise InputError("is required for this role", field=f"{where}.content")
        return []
    if isinstance(content, str):
        validate_text(content, field=f"{where}.content")
        return [MessageText(index, None, role, content)]
    if not isinstance(content, list):
        raise InputError(
            f"must be a string or a list of content parts, not {type(content).__name__}",
            field=f"{where}.content",
        )
    texts = []
    for p, part in enumerate(content):
        pwhere = f"{where}.content[{p}]"
        if not isinstance(part, dict) or not isinstance(part.get("type"), str):
            raise InputError("must be an object with a string 'type'", field=pwhere)
        if part["type"] == "text":
            text = validate_text(part.get("text"), field=f"{pwhere}.text")
            texts.append(MessageText(index, p, role, text))
    return texts


def parse_chat_request(raw: bytes, *, max_bytes: int) -> ChatRequest:
    """Validate a chat-completions body; raise :class:`InputError` naming the first bad field."""
    data = _decode(raw, max_bytes)
    model = data.get("model")
    if not isinstance(model, str) or not model:
        raise InputError(f"is required and must be a non-empty string, not {model!r}", field="model")
    stream = data.get("stream", False)
    if stream is None:
        stream = False
    if not isinstance(stream, bool):
        raise InputError(f"must be true or false, not {stream!r}", field="stream")
    messages = data.get("messages")
    if messages is None:
        raise InputError("is required: a non-empty list of messages", field="messages")
    if not isinstance(messages, list):
        raise InputError(f"must be a list of messages, not {type(messages).__name__}", field="messages")
    if not messages:
        raise InputError("must not be empty", field="messages")
    if len(messages) > MAX_MESSAGES:
        raise InputTooLargeError(field="messages", size=len(messages), limit=MAX_MESSAGES, unit="messages")
    texts: list[MessageText] = []
    for i, message in enumerate(messages):
        texts.extend(_message_texts(i, message))
    n = data.get("n", 1)
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 16):
        raise InputError(f"must be a whole number from 1 to 16, not {n!r}", field="n")
    return ChatRequest(body=data, model=model, stream=stream, texts=tuple(texts))
