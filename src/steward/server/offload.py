"""Keeping blocking work off the event loop, and doing it once for concurrent askers.

Short texts are checked right on the event loop: a thread hop costs more than the check.
A long text (the default policy spends ~20 ms per 1,000 characters) goes to a worker
thread, so the process keeps answering other requests and health checks meanwhile.

:class:`Coalescer` is for blocking work whose answer concurrent requests share: a bearer
token's scrypt check (tens of milliseconds, seconds on a loaded machine), a key record's
database read, the read of a request id that feedback names. It runs in a worker thread,
for the same reason, and once per key however many requests ask at the same time: without
it, 64 first requests naming one new token or one request id paid 64 checks or reads, each
holding a worker thread. Only requests that overlap share: the next one runs the work again
(callers keep their own memory of answers, with their own rules for forgetting them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Hashable
from functools import partial
from typing import Any, TypeVar, cast

import anyio.to_thread

__all__ = ["OFFLOAD_MIN_CHARS", "Coalescer", "run_guard"]

#: Texts at least this long are checked in a worker thread.
OFFLOAD_MIN_CHARS = 8_000

T = TypeVar("T")


async def run_guard(size: int, work: Callable[[], T]) -> T:
    """``work()`` inline for small inputs, in a worker thread for ``size`` >= :data:`OFFLOAD_MIN_CHARS`."""
    if size < OFFLOAD_MIN_CHARS:
        return work()
    return await anyio.to_thread.run_sync(work)


class Coalescer:
    """Runs blocking work in a worker thread, once for all the callers that ask with the same
    key while it runs; each gets its value, or its exception raised.

    The run is a task of its own on the event loop (the server's one loop), which every caller
    awaits through :func:`asyncio.shield`: a caller cancelled meanwhile (its client went away)
    stops waiting, and the others still get the run's outcome, not a second run.
    """

    def __init__(self) -> None:
        self._flights: dict[Hashable, asyncio.Task[Any]] = {}

    async def run(self, key: Hashable, work: Callable[[], T]) -> T:
        """``work()`` in a worker thread, or the outcome of the run for ``key`` already going."""
        flight = self._flights.get(key)
        if flight is None:
            flight = asyncio.get_running_loop().create_task(anyio.to_thread.run_sync(work))
            self._flights[key] = flight
            flight.add_done_callback(partial(self._landed, key))
        return cast(T, await asyncio.shield(flight))

    def _landed(self, key: Hashable, flight: asyncio.Task[Any]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]  # the next caller runs the work again
        if not flight.cancelled():
            flight.exception()  # retrieved: a refusal nobody waits for any more is no error to log
