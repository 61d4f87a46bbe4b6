"""Building the JSON bodies of OpenAI's chat API: completions, stream chunks, errors, SSE lines.

Kept apart from the proxy's logic so the wire format lives in one place and every answer
Steward writes itself (a blocked request, an error) has exactly the shape a client expects.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

__all__ = ["DONE", "chunk", "completion", "error_body", "sse"]

#: The last event of every OpenAI stream.
DONE = b"data: [DONE]\n\n"


def _completion_id() -> str:
    return "chatcmpl-steward-" + uuid.uuid4().hex


def error_body(message: str, *, type_: str, code: str, param: str | None = None) -> dict[str, Any]:
    """OpenAI's error envelope: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def completion(
    *, model: str, content: str, finish_reason: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """A one-choice ``chat.completion`` written by Steward itself (the upstream was not asked)."""
    body: dict[str, Any] = {
        "id": _completion_id(),
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "logprobs": None,
                "finish_reason": finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
    }
    if extra:
        body.update(extra)
    return body


def chunk(
    *,
    completion_id: str | None,
    model: str,
    created: int | None = None,
    index: int = 0,
    delta: dict[str, Any],
    finish_reason: str | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` with a single choice."""
    body: dict[str, Any] = {
        "id": completion_id or _completion_id(),
        "object": "chat.completion.chunk",
        "created": int(time.time()) if created is None else created,
        "model": model,
        "choices": [{"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}],
    }
    if extra:
        body.update(extra)
    return body


def sse(data: dict[str, Any]) -> bytes:
    """One server-sent event carrying ``data`` as JSON."""
    return b"data: " + json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n\n"
