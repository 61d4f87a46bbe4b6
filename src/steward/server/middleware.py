"""Request context at the ASGI level: the headers every answer carries, limits on the body, the
last resort for unexpected errors, and the access log.

Written as plain ASGI (not ``BaseHTTPMiddleware``) because it runs on every request of the hot
path. It wraps the error handlers and the routes, so it sees every answer they give as well as
the ones it writes itself:

* the request id (``x-steward-request-id`` and ``x-amzn-RequestId``) is set here and nowhere
  else, and so are headers that every answer on given paths must carry (the proxy's AI-use
  notice, ``x-ai-disclosure``, on its 401, 403 and 413 answers too);
* the body limit refuses an over-long ``Content-Length`` before reading, and stops a chunked
  body as soon as it passes the limit (an HTTP 413 the error handlers render), so a huge upload
  never reaches memory;
* the body timeout bounds the time from the first read of the body to its last byte: a client
  that declares 100 bytes and sends 10 (or trickles them) gets a 408 and the connection is
  closed, instead of holding it open for ever (uvicorn itself has no such limit);
* an exception nothing else handled becomes a 500 quoting the request id (its type is logged,
  never its message, which may quote request content);
* one access-log line per request on the ``steward.access`` logger (:mod:`steward.server.accesslog`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import anyio
import orjson
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from steward.audit.record import new_request_id
from steward.server.accesslog import log_request

__all__ = ["REQUEST_ID_HEADER", "RequestContextMiddleware"]

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "x-steward-request-id"

#: Extra response headers by exact request path.
PathHeaders = Mapping[str, Sequence[tuple[bytes, bytes]]]


class RequestContextMiddleware:
    """Adds ``x-steward-request-id`` and ``x-amzn-RequestId`` (the id is also in ``request.state.request_id``)
    and ``path_headers``, enforces ``max_body_bytes`` and ``body_timeout_s``, answers unhandled
    errors and logs each request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        body_timeout_s: float = math.inf,
        path_headers: PathHeaders | None = None,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.body_timeout_s = body_timeout_s
        self.path_headers = dict(path_headers or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        # Also as x-amzn-RequestId, which the AWS SDKs report as ResponseMetadata.RequestId.
        headers = [
            (REQUEST_ID_HEADER.encode(), request_id.encode()),
            (b"x-amzn-requestid", request_id.encode()),
            *self.path_headers.get(scope.get("path", ""), ()),
        ]
        status = 0

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                sent = list(message.get("headers", []))
                own = {name.lower() for name, _ in sent}  # a route's own value of a path header wins
                message["headers"] = [*sent, *(h for h in headers if h[0] not in own)]
            await send(message)

        try:
            await self._handle(scope, receive, send_with_id)
        except Exception as exc:
            log.error("request %s failed unexpectedly: %s", request_id, type(exc).__name__)
            if status:  # the answer has begun (a stream): the server can only cut it
                raise
            await self._refuse(
                send_with_id,
                500,
                f"internal error; quote request id {request_id} when reporting it",
                kind=b"InternalServerException",
            )
        finally:
            log_request(scope, status, (time.perf_counter() - started) * 1000, request_id)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self.max_body_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._refuse(send, 400, "the Content-Length header is not a number")
                    return
                if declared > limit:
                    await self._refuse(send, 413, self._too_large(limit))
                    return
        seen = 0
        body_done = False
        deadline: float | None = None
        timeout = self.body_timeout_s

        async def limited_receive() -> Message:
            nonlocal seen, body_done, deadline
            if body_done:  # only a disconnect can follow: no deadline
                return await receive()
            if deadline is None:
                deadline = time.monotonic() + timeout
            with anyio.move_on_after(deadline - time.monotonic()) as waited:
                message = await receive()
            if waited.cancelled_caught:
                # An HTTPException passes through FastAPI's body parsing unchanged.
                raise HTTPException(408, detail=self._too_slow(timeout), headers={"connection": "close"})
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise HTTPException(413, detail=self._too_large(limit))
                body_done = not message.get("more_body", False)
            return message

        await self.app(scope, limited_receive, send)

    @staticmethod
    def _too_large(limit: int) -> str:
        return (
            f"the request body is over the limit of {limit} bytes (set STEWARD_MAX_BODY_BYTES to change it)"
        )

    @staticmethod
    def _too_slow(timeout: float) -> str:
        return (
            f"the request body did not arrive within {timeout:g} seconds "
            "(set STEWARD_BODY_TIMEOUT_S to change it)"
        )

    @staticmethod
    async def _refuse(send: Any, status: int, message: str, *, kind: bytes = b"ValidationException") -> None:
        body = orjson.dumps({"message": message})
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-amzn-errortype", kind),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
