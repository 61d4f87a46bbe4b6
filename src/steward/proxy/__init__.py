"""The OpenAI-compatible guarding proxy: guard the prompt, call any LLM, guard the answer.

* :mod:`~steward.proxy.settings` — ``STEWARD_UPSTREAM_*``, hold-back and disclosure settings;
* :mod:`~steward.proxy.request` — validating a chat-completions body;
* :mod:`~steward.proxy.conversation` — which messages are checked, and how;
* :mod:`~steward.proxy.upstream` — the HTTP client for the upstream, with clear errors;
* :mod:`~steward.proxy.upstreams` — several upstreams, each ``local`` or ``external`` (``STEWARD_PROXY_UPSTREAMS_FILE``);
* :mod:`~steward.proxy.dataflow` — the policy's data-flow rules pick the upstream, mask or block;
* :mod:`~steward.proxy.holdback` — guarding a streamed answer with a bounded hold-back window;
* :mod:`~steward.proxy.chat` — the request flow; :mod:`~steward.proxy.openai_format` — wire shapes.

The HTTP routes are in :mod:`steward.server.routers.proxy`.
"""

from __future__ import annotations

from steward.proxy.chat import ChatProxy, GuardBinding
from steward.proxy.holdback import Release, StreamGuard
from steward.proxy.settings import ProxySettings
from steward.proxy.upstream import UpstreamClient

__all__ = ["ChatProxy", "GuardBinding", "ProxySettings", "Release", "StreamGuard", "UpstreamClient"]
