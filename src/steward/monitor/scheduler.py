"""The alert scheduler: an asyncio task inside the server that evaluates rules and sends alerts.

Every ``interval_s`` it evaluates the rules in a worker thread (the queries must not hold
the event loop), then starts one delivery task per fired alert that names a webhook, so a
slow receiver delays neither requests nor the next evaluation. A failure is logged by its
kind and the loop goes on. With several server processes each runs its own scheduler;
the conditional update in :meth:`~steward.store.monitor.AlertStore.claim_firing` lets one
of them fire a given alert. Each tick first rolls up the audit trail's settled hours
(:mod:`steward.store.rollups`); two processes rolling one hour at once cannot both write it
(the hour's mark is a primary key written in the same transaction: the second one fails and
rolls back, and is logged).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import anyio.to_thread

from steward.monitor.alerts import evaluate_all, event_to_dict
from steward.monitor.settings import MonitorSettings
from steward.monitor.webhooks import deliver
from steward.store.models.monitor import AlertEventRow
from steward.store.monitor import AlertStore
from steward.store.rollups import roll_pending

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

__all__ = ["AlertScheduler"]

log = logging.getLogger(__name__)


class AlertScheduler:
    """Runs :func:`~steward.monitor.alerts.evaluate_all` on a schedule and delivers what fires."""

    def __init__(self, sessions: sessionmaker[Session], settings: MonitorSettings) -> None:
        self._sessions = sessions
        self._store = AlertStore(sessions)
        self._settings = settings
        self._task: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        self.evaluations = 0
        self.rolled_hours = 0

    def start(self) -> None:
        """Start the loop on the running event loop (no-op when the interval is 0)."""
        if self._settings.interval_s > 0 and self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop(), name="steward-alerts")

    async def stop(self) -> None:
        """Stop evaluating; deliveries still in flight are cancelled (their alerts stay stored as pending)."""
        tasks = [t for t in (self._task, *self._deliveries) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None

    async def run_once(self, now: datetime | None = None) -> list[AlertEventRow]:
        """Evaluate every rule now and start the deliveries; returns the alerts fired."""
        when = now or datetime.now(UTC)
        try:  # the hourly rollups reports read: settled hours since the last one, a bounded batch per tick
            self.rolled_hours += await anyio.to_thread.run_sync(lambda: roll_pending(self._sessions, when))
        except Exception as exc:  # reports fall back to the records; rules are still evaluated
            log.warning("audit rollup failed (%s); next try at the next evaluation", type(exc).__name__)
        fired = await anyio.to_thread.run_sync(evaluate_all, self._store, self._sessions, when)
        for event in fired:
            url = self._settings.webhooks.get(event.webhook or "")
            secret = self._settings.webhook_secret
            if url is None or secret is None:
                continue
            task = asyncio.get_running_loop().create_task(self._send(event, url, secret))
            self._deliveries.add(task)
            task.add_done_callback(self._deliveries.discard)
        self.evaluations += 1
        return fired

    async def drain(self) -> None:
        """Wait for the deliveries in flight (tests and shutdown use it)."""
        while self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)

    async def _send(self, event: AlertEventRow, url: str, secret: bytes) -> None:
        payload: dict[str, Any] = {
            k: v for k, v in event_to_dict(event).items() if k not in ("delivery", "attempts", "lastError")
        }
        result = await deliver(
            url,
            payload,
            secret=secret,
            retries=self._settings.retries,
            backoff_s=self._settings.backoff_s,
        )
        try:
            await anyio.to_thread.run_sync(
                lambda: self._store.record_delivery(
                    event.id, delivered=result.delivered, attempts=result.attempts, error=result.error
                )
            )
        except Exception as exc:  # the alert went out (or not); only its stored state is stale
            log.warning("could not store the delivery state of alert %s (%s)", event.id, type(exc).__name__)

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._settings.interval_s)
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the loop must outlive a failed evaluation
                log.warning(
                    "alert evaluation failed (%s); next try in %.0f s",
                    type(exc).__name__,
                    self._settings.interval_s,
                )
