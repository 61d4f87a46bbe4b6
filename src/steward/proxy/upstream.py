"""The one client that talks to the configured upstream model server (any OpenAI-compatible API).

Every failure becomes an :class:`~steward.errors.UpstreamError` (or its time-out subclass)
whose message says what went wrong and where, without the API key or any URL credentials,
so the proxy can answer the caller with a clear 502 or 504 instead of a stack trace.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from steward.errors import UpstreamError, UpstreamRejectedError, UpstreamTimeoutError
from steward.proxy.settings import ProxySettings
from steward.proxy.upstreams import UpstreamConfig

__all__ = ["RELAYED_STATUSES", "UpstreamClient", "safe_url"]

#: Most bytes of an upstream's error body quoted back to the caller.
_QUOTE_MAX = 300
#: Upstream statuses that are the caller's to fix, passed on as they are (a bad model name or
#: parameter, a body too large, a rate limit). Any other error status, 401 and 403 included
#: (Steward's upstream key is wrong, not the caller's), becomes a 502.
RELAYED_STATUSES = frozenset({400, 404, 413, 422, 429})
#: Largest non-streamed upstream answer accepted.
RESPONSE_MAX_BYTES = 16 << 20
#: Longest single line of an upstream stream.
STREAM_LINE_MAX_CHARS = 1 << 20


def safe_url(url: str) -> str:
    """``url`` without user name, password, query or fragment: fit for an error message."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _parse_url(url: str) -> httpx.URL | None:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return None
    return parsed if parsed.scheme in ("http", "https") and parsed.host else None


def _origin(url: httpx.URL) -> tuple[str, str, int]:
    """Scheme, host and port (the default one filled in): what must match to be the same server."""
    port = url.port if url.port is not None else (443 if url.scheme == "https" else 80)
    return url.scheme, url.host.lower(), port


def _origin_text(url: httpx.URL) -> str:
    scheme, host, port = _origin(url)
    return f"{scheme}://{host}:{port}"


def _quote_error(response: httpx.Response, body: bytes) -> str:
    """The upstream's own error message if it sent one, else the start of its body."""
    try:
        data = json.loads(body)
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        if isinstance(message, str) and message:
            return message[:_QUOTE_MAX]
    except (ValueError, UnicodeDecodeError):
        pass
    text = body[:_QUOTE_MAX].decode("utf-8", "replace").strip()
    return text or response.reason_phrase


class UpstreamClient:
    """Calls ``/chat/completions`` and ``/models`` on the upstream, streaming or not.

    One :class:`httpx.AsyncClient` (a connection pool) is kept per event loop, so a server
    reuses connections while tests that start and stop loops never share one.
    """

    def __init__(self, settings: ProxySettings, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.settings = settings
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Where the time-out is set, named in a time-out error.
        self.timeout_setting = "STEWARD_UPSTREAM_TIMEOUT_S"

    @classmethod
    def for_upstream(cls, settings: ProxySettings, upstream: UpstreamConfig) -> UpstreamClient:
        """A client for one upstream of an upstreams file (its URL, key and time-out)."""
        own = dataclasses.replace(
            settings,
            upstream_url=upstream.url,
            upstream_api_key=upstream.api_key,
            upstream_timeout_s=upstream.timeout_s,
            upstreams=None,
        )
        client = cls(own)
        client.timeout_setting = f"timeout_s of upstream {upstream.name!r}"
        return client

    @property
    def configured(self) -> bool:
        """Whether an upstream URL was set."""
        return self.settings.upstream_url is not None

    def _http(self) -> httpx.AsyncClient:
        if self.settings.upstream_url is None:
            raise UpstreamError(
                "no upstream is configured: set STEWARD_UPSTREAM_URL to an OpenAI-compatible /v1 URL"
            )
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop or self._client.is_closed:
            headers = {"accept": "application/json"}
            if self.settings.upstream_api_key:
                headers["authorization"] = f"Bearer {self.settings.upstream_api_key}"
            self._client = httpx.AsyncClient(
                base_url=self.settings.upstream_url + "/",
                headers=headers,
                timeout=httpx.Timeout(self.settings.upstream_timeout_s),
                transport=self._transport,
                follow_redirects=False,
            )
            self._loop = loop
        return self._client

    async def aclose(self) -> None:
        """Close the connection pool (on server shutdown)."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _where(self, path: str) -> str:
        return safe_url(f"{self.settings.upstream_url}/{path}")

    def _failure(self, exc: httpx.HTTPError, path: str) -> UpstreamError:
        where = self._where(path)
        if isinstance(exc, httpx.TimeoutException):
            return UpstreamTimeoutError(
                f"the upstream at {where} did not answer within {self.settings.upstream_timeout_s:g} s "
                f"({self.timeout_setting})"
            )
        if isinstance(exc, httpx.ConnectError):
            return UpstreamError(
                f"cannot connect to the upstream at {where}: is it running? ({type(exc).__name__})"
            )
        return UpstreamError(f"the connection to the upstream at {where} failed: {type(exc).__name__}")

    async def _raise_for_status(self, response: httpx.Response, path: str) -> None:
        status = response.status_code
        if status < 400:
            return
        body = await response.aread()
        message = (
            f"the upstream at {self._where(path)} answered HTTP {status}: {_quote_error(response, body)}"
        )
        if status in RELAYED_STATUSES:
            raise UpstreamRejectedError(message, status=status)
        raise UpstreamError(message)

    async def _get_json(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        client = self._http()
        try:
            request = client.build_request(method, path, json=body)
            response = await client.send(request, stream=True)
            try:
                await self._raise_for_status(response, path)
                raw = bytearray()
                async for piece in response.aiter_bytes():
                    raw += piece
                    if len(raw) > RESPONSE_MAX_BYTES:
                        raise UpstreamError(f"the upstream's answer is over {RESPONSE_MAX_BYTES} bytes")
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise self._failure(exc, path) from None
        try:
            data = json.loads(bytes(raw))
        except (ValueError, UnicodeDecodeError):
            raise UpstreamError(f"the upstream at {self._where(path)} answered with malformed JSON") from None
        if not isinstance(data, dict):
            raise UpstreamError(
                f"the upstream at {self._where(path)} answered with JSON that is not an object"
            )
        return data

    async def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``/chat/completions`` (not streamed) and return the decoded answer."""
        data = await self._get_json("POST", "chat/completions", body)
        if not isinstance(data.get("choices"), list):
            raise UpstreamError(
                f"the upstream at {self._where('chat/completions')} answered without a 'choices' list"
            )
        return data

    async def models(self) -> dict[str, Any]:
        """GET ``/models``."""
        return await self._get_json("GET", "models")

    async def generate_images(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST ``/images/generations`` and return the decoded answer (it must hold a ``data`` list)."""
        data = await self._get_json("POST", "images/generations", body)
        if not isinstance(data.get("data"), list):
            raise UpstreamError(
                f"the upstream at {self._where('images/generations')} answered without a 'data' list"
            )
        return data

    async def fetch_image(self, url: str, *, max_bytes: int) -> bytes:
        """GET an image the upstream answered by URL, only from the upstream's own host.

        Any other host is network use nobody configured, so it is refused with a message saying
        to ask for ``response_format: b64_json``; redirects are not followed for the same reason.
        """
        own, wanted = httpx.URL(self.settings.upstream_url or ""), _parse_url(url)
        if wanted is None or _origin(wanted) != _origin(own):
            shown = safe_url(url) if wanted is not None else "a malformed URL"
            raise UpstreamError(
                f"the upstream answered an image URL on {shown}, not on its own host "
                f"{_origin_text(own)}: Steward fetches images only from the configured upstream "
                "(ask for response_format b64_json)"
            )
        client = self._http()
        try:
            response = await client.send(client.build_request("GET", wanted), stream=True)
            try:
                if response.status_code >= 400:
                    raise UpstreamError(
                        f"the upstream's image at {safe_url(url)} answered HTTP {response.status_code}"
                    )
                raw = bytearray()
                async for piece in response.aiter_bytes():
                    raw += piece
                    if len(raw) > max_bytes:
                        raise UpstreamError(
                            f"the upstream's image at {safe_url(url)} is over {max_bytes} bytes"
                        )
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise self._failure(exc, "images/generations") from None
        return bytes(raw)

    async def stream(self, body: dict[str, Any]) -> AsyncGenerator[dict[str, Any], None]:
        """POST a streamed ``/chat/completions``; yield each chunk's JSON until ``[DONE]``.

        The request is sent and its status checked before the first chunk is yielded, so a
        refused connection or an HTTP error surfaces on the first ``__anext__`` and the proxy
        can still answer with a proper error status.
        """
        path = "chat/completions"
        client = self._http()
        try:
            request = client.build_request("POST", path, json=body, headers={"accept": "text/event-stream"})
            response = await client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise self._failure(exc, path) from None
        try:
            await self._raise_for_status(response, path)
            kind = response.headers.get("content-type", "")
            if not kind.startswith("text/event-stream"):
                raise UpstreamError(
                    f"the upstream at {self._where(path)} answered a streamed request with "
                    f"{kind or 'no content type'}, not an event stream"
                )
            async for line in response.aiter_lines():
                if len(line) > STREAM_LINE_MAX_CHARS:
                    raise UpstreamError(
                        f"the upstream's stream has a line over {STREAM_LINE_MAX_CHARS} characters"
                    )
                if not line.startswith("data:"):
                    continue  # blank separators, comments, event names, ids
                payload = line[5:].strip()
                if payload == "[DONE]":
                    return
                try:
                    data = json.loads(payload)
                except ValueError:
                    raise UpstreamError(
                        f"the upstream at {self._where(path)} streamed malformed JSON"
                    ) from None
                if not isinstance(data, dict):
                    raise UpstreamError(
                        f"the upstream at {self._where(path)} streamed JSON that is not an object"
                    )
                if "error" in data:
                    message = (
                        data["error"].get("message") if isinstance(data["error"], dict) else data["error"]
                    )
                    raise UpstreamError(
                        f"the upstream reported an error mid-stream: {str(message)[:_QUOTE_MAX]}"
                    )
                yield data
        except httpx.HTTPError as exc:
            raise self._failure(exc, path) from None
        finally:
            await response.aclose()
