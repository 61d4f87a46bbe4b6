"""The retention purge on a schedule: an asyncio task inside the server that drops expired text.

Review items keep their text sealed for ``review.retention_days``; ``steward review purge`` drops
it from the command line, and this task does the same every ``STEWARD_REVIEW_PURGE_INTERVAL_S``
seconds (default one hour, at most a week; 0 turns it off), so retention holds without a cron
job. It follows the alert scheduler (:mod:`steward.monitor.scheduler`): the query runs in a
worker thread, a failure is logged by its kind and the loop goes on. With several server
processes each purges; the purge is one idempotent ``UPDATE``, so that costs nothing but a query.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import anyio.to_thread

__all__ = ["PurgeScheduler"]

log = logging.getLogger(__name__)


class PurgeScheduler:
    """Calls ``purge`` (returns how many texts it dropped) every ``interval_s`` seconds."""

    def __init__(self, purge: Callable[[], int], *, interval_s: float) -> None:
        self._purge = purge
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None
        #: Texts dropped since the start, and purges run: what a status page or a test reads.
        self.purged = 0
        self.runs = 0

    @property
    def running(self) -> bool:
        """Whether the loop is scheduled."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the loop on the running event loop (no-op when the interval is 0)."""
        if self.interval_s > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="steward-review-purge")

    async def stop(self) -> None:
        """Stop the loop (a purge in its worker thread finishes on its own)."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def run_once(self) -> int:
        """Purge now; returns the number of texts dropped."""
        dropped = await anyio.to_thread.run_sync(self._purge)
        self.purged += dropped
        self.runs += 1
        if dropped:
            log.info("dropped the text of %d review item(s) past retention", dropped)
        return dropped

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the loop must outlive a failed purge (a database restart)
                log.warning(
                    "review purge failed (%s); next try in %.0f s", type(exc).__name__, self.interval_s
                )
            await asyncio.sleep(self.interval_s)
