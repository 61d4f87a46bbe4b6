"""Engines: where the per-batch function runs. All yield results in chunk order.

- ``local`` (the default): this process when ``workers`` is 1, otherwise a pool of worker
  processes (``spawn``: a worker never inherits the driver's threads or a half-initialised model runtime). At most
  ``2 × workers`` chunks are in flight, so memory is bounded however large the file.
- ``ray``: Ray Data (``pip install 'steward[ray]'``) runs the same function in a pool of actors,
  each building the guard once; on a laptop it starts a local Ray, on a cluster it joins the one
  ``RAY_ADDRESS`` names. Chunks travel as JSON text in windows of
  :data:`RAY_WINDOW_PER_WORKER` per worker, so the driver's memory is bounded here too, and the
  order of results is the order of chunks.

Both engines return exactly what :func:`~steward.datascan.batch.process_batch` returns in this
process; tests hold them to it.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from steward.datascan.batch import (
    BatchConfig,
    RowCells,
    RowResult,
    decode_results,
    decode_rows,
    encode_results,
    encode_rows,
    process_batch,
)
from steward.errors import DetectorUnavailableError, InputError, StewardError

__all__ = ["ENGINES", "WORKERS_MAX", "default_workers", "run_batches"]

ENGINES = ("local", "ray")
WORKERS_MAX = 256
#: Chunks handed to Ray at once, per worker: each window is one Ray Data job whose actors build
#: the guard once (seconds with the learned models), so windows are large; 32 chunks of 500 rows
#: of about 1 kB is some 16 MB per worker held by the driver.
RAY_WINDOW_PER_WORKER = 32

Job = tuple[Any, list[RowCells]]  # (the caller's tag for the chunk, its rows)


def default_workers() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run_batches(
    jobs: Iterable[Job], config: BatchConfig, *, engine: str = "local", workers: int | None = None
) -> Iterator[tuple[Any, list[RowResult]]]:
    """``(tag, results)`` for every job, in the order of ``jobs``."""
    if engine not in ENGINES:
        raise InputError(f"must be one of {', '.join(ENGINES)}, not {engine!r}", field="engine")
    n = default_workers() if workers is None else workers
    if not 1 <= n <= WORKERS_MAX:
        raise InputError(f"must be between 1 and {WORKERS_MAX}", field="workers")
    if engine == "ray":
        return _ray(jobs, config, n if workers is not None else None)
    if n == 1:
        return ((tag, process_batch(config, rows)) for tag, rows in jobs)
    return _pool(jobs, config, n)


_CONFIG: BatchConfig | None = None


def _init_worker(config: BatchConfig) -> None:
    global _CONFIG
    _CONFIG = config


def _work(rows: list[RowCells]) -> list[RowResult]:
    assert _CONFIG is not None, "the worker was not initialised"
    return process_batch(_CONFIG, rows)


def _pool(jobs: Iterable[Job], config: BatchConfig, workers: int) -> Iterator[tuple[Any, list[RowResult]]]:
    context = multiprocessing.get_context("spawn")
    pending: deque[tuple[Any, Future[list[RowResult]]]] = deque()
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(config,)
    ) as pool:
        try:
            for tag, rows in jobs:
                pending.append((tag, pool.submit(_work, rows)))
                if len(pending) >= 2 * workers:
                    done_tag, future = pending.popleft()
                    yield done_tag, future.result()
            while pending:
                done_tag, future = pending.popleft()
                yield done_tag, future.result()
        except BrokenProcessPool:
            raise StewardError(
                "a worker process died (out of memory, or killed); try fewer --workers or a smaller --chunk-rows"
            ) from None
        finally:
            for _, future in pending:
                future.cancel()


class _RayChecker:
    """A Ray Data actor: builds the guard once, then checks one chunk per call."""

    def __init__(self, config: BatchConfig) -> None:
        self.config = config

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        out = [encode_results(process_batch(self.config, decode_rows(str(text)))) for text in batch["rows"]]
        return {"i": list(batch["i"]), "results": out}


def _ray(
    jobs: Iterable[Job], config: BatchConfig, workers: int | None
) -> Iterator[tuple[Any, list[RowResult]]]:
    try:
        import ray
        import ray.data
    except ImportError as exc:
        raise DetectorUnavailableError("the ray engine needs Ray Data: pip install 'steward[ray]'") from exc
    if not ray.is_initialized():
        address = os.environ.get("RAY_ADDRESS")
        if address:
            ray.init(address=address, log_to_driver=False)
        else:  # a local instance on loopback: nothing reaches the network
            ray.init(
                num_cpus=workers,
                include_dashboard=False,
                log_to_driver=False,
                _node_ip_address="127.0.0.1",
            )
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True
    context.enable_progress_bars = False
    if workers is None:
        workers = int(ray.available_resources().get("CPU", 1))  # type: ignore[no-untyped-call]
    size = max(1, workers)
    window: list[Job] = []

    def flush() -> Iterator[tuple[Any, list[RowResult]]]:
        items = [{"i": i, "rows": encode_rows(rows)} for i, (_, rows) in enumerate(window)]
        dataset = ray.data.from_items(items).map_batches(
            _RayChecker,
            fn_constructor_kwargs={"config": config},
            batch_size=1,
            concurrency=min(size, len(items)),
            num_cpus=1,
        )
        done: dict[int, list[RowResult]] = {}
        for row in dataset.iter_rows():
            done[int(row["i"])] = decode_results(str(row["results"]))
        for i, (tag, _) in enumerate(window):
            yield tag, done[i]

    for job in jobs:
        window.append(job)
        if len(window) >= size * RAY_WINDOW_PER_WORKER:
            yield from flush()
            window = []
    if window:
        yield from flush()
