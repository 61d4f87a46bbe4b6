"""Running a guard without stalling the event loop on long texts.

Short texts are checked right on the event loop: a thread hop costs more than the check.
A long text (the default policy spends ~20 ms per 1,000 characters) goes to a worker
thread, so the process keeps answering other requests and health checks meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import anyio.to_thread

__all__ = ["OFFLOAD_MIN_CHARS", "run_guard"]

#: Texts at least this long are checked in a worker thread.
OFFLOAD_MIN_CHARS = 8_000

T = TypeVar("T")


async def run_guard(size: int, work: Callable[[], T]) -> T:
    """``work()`` inline for small inputs, in a worker thread for ``size`` >= :data:`OFFLOAD_MIN_CHARS`."""
    if size < OFFLOAD_MIN_CHARS:
        return work()
    return await anyio.to_thread.run_sync(work)
