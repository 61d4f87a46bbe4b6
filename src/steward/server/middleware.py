"""Request context at the ASGI level: a request id on every response, and a body-size limit.

Written as plain ASGI (not ``BaseHTTPMiddleware``) because it runs on every request of the
hot path. The body limit refuses an over-long ``Content-Length`` before reading, and stops
a chunked body as soon as it passes the limit (an HTTP 413 the error handlers render), so a huge upload never reaches memory.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from steward.audit.record import new_request_id

__all__ = ["REQUEST_ID_HEADER", "RequestContextMiddleware"]

REQUEST_ID_HEADER = "x-steward-request-id"


class RequestContextMiddleware:
    """Adds ``x-steward-request-id`` and ``x-amzn-RequestId`` (the id is also in ``request.state.request_id``)
    and enforces ``max_body_bytes``."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        # Also as x-amzn-RequestId, which the AWS SDKs report as ResponseMetadata.RequestId.
        headers = [
            (REQUEST_ID_HEADER.encode(), request_id.encode()),
            (b"x-amzn-requestid", request_id.encode()),
        ]

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        limit = self.max_body_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._refuse(send_with_id, 400, "the Content-Length header is not a number")
                    return
                if declared > limit:
                    await self._refuse(send_with_id, 413, self._too_large(limit))
                    return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    # An HTTPException passes through FastAPI's body parsing unchanged.
                    raise HTTPException(413, detail=self._too_large(limit))
            return message

        await self.app(scope, limited_receive, send_with_id)

    @staticmethod
    def _too_large(limit: int) -> str:
        return (
            f"the request body is over the limit of {limit} bytes (set STEWARD_MAX_BODY_BYTES to change it)"
        )

    @staticmethod
    async def _refuse(send: Any, status: int, message: str) -> None:
        body = orjson.dumps({"message": message})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-amzn-errortype", b"ValidationException"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
