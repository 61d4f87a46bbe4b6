"""Engines: where the per-batch function runs. All yield results in chunk order.

Two kinds of job: :func:`run_batches` sends rows and gets back each row's results (the Ray
engine, and a scrub with pseudonyms, whose masking must happen in one process in row order);
:func:`run_chunks` sends a small description of a chunk to a *chunk work* (a scan's or a
scrub's), which reads the chunk, checks it with the per-batch function and sums or writes it
where it runs, so that only counts come back and the driver of a pool is nearly idle.

- ``local`` (the default): this process when ``workers`` is 1, otherwise a pool of worker
  processes. Workers never inherit a driver's threads or a half-initialised model runtime: they
  are forked from the driver itself when it has neither (a command-line run, the common case),
  otherwise from a fresh server process that has only imported the per-batch module and the PII
  recognizers, or spawned where there is no such server (:func:`_context`). At most
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
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Protocol

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

__all__ = ["ENGINES", "WORKERS_MAX", "Check", "ChunkWork", "default_workers", "run_batches", "run_chunks"]

ENGINES = ("local", "ray")
WORKERS_MAX = 256
#: Chunks handed to Ray at once, per worker: each window is one Ray Data job whose actors build
#: the guard once (seconds with the learned models), so windows are large; 32 chunks of 500 rows
#: of about 1 kB is some 16 MB per worker held by the driver.
RAY_WINDOW_PER_WORKER = 32

Job = tuple[Any, list[RowCells]]  # (the caller's tag for the chunk, its rows)
#: The per-batch function as a chunk work calls it: rows in, results out.
Check = Callable[[Sequence[RowCells]], list[RowResult]]


class ChunkWork(Protocol):
    """What :func:`run_chunks` runs per chunk, where the chunk is checked: picklable, with its config."""

    @property
    def config(self) -> BatchConfig: ...

    def __call__(self, item: Any, check: Check, /) -> Any: ...


@dataclass(frozen=True)
class _Batch:
    """The per-batch function bound to a configuration (looked up when called, so tests can
    replace ``engines.process_batch``)."""

    config: BatchConfig

    def __call__(self, rows: Sequence[RowCells]) -> list[RowResult]:
        return process_batch(self.config, rows)


@dataclass(frozen=True)
class _Chunk:
    """A chunk work with the per-batch function handed to it: a task of one argument for the pool."""

    work: ChunkWork

    def __call__(self, item: Any) -> Any:
        return self.work(item, _Batch(self.work.config))


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
    return _pool(jobs, _Batch(config), n)


def run_chunks(
    jobs: Iterable[tuple[Any, Any]], work: ChunkWork, *, workers: int | None = None
) -> Iterator[tuple[Any, Any]]:
    """``(tag, work(item))`` for every ``(tag, item)`` of ``jobs``, in order, on the local engine:
    in this process when ``workers`` is 1, else in a pool that holds at most 2 items per worker."""
    n = default_workers() if workers is None else workers
    if not 1 <= n <= WORKERS_MAX:
        raise InputError(f"must be between 1 and {WORKERS_MAX}", field="workers")
    task = _Chunk(work)
    if n == 1:
        return ((tag, task(item)) for tag, item in jobs)
    return _pool(jobs, task, n)


#: What a pool worker runs for each job (:class:`_Batch` or :class:`_Chunk`), set when it starts.
_TASK: Callable[[Any], Any] | None = None


def _init_worker(task: Callable[[Any], Any], environ: dict[str, str], cwd: str) -> None:
    """Take the driver's task (and with it the configuration), and its environment and folder as they are now.

    A forked worker starts with the fork server's, which are those of the moment the server
    started (the first pool of this process); a spawned one with the driver's at its start.
    Settings (``STEWARD_*``) are read when the guard is built, so either way it sees the
    driver's current ones.
    """
    global _TASK
    _TASK = task
    if dict(os.environ) != environ:
        os.environ.clear()
        os.environ.update(environ)
    if os.getcwd() != cwd:
        os.chdir(cwd)


def _work(item: Any) -> Any:
    assert _TASK is not None, "the worker was not initialised"
    return _TASK(item)


#: What the fork server imports once, so that its workers start with it: the per-batch function,
#: everything it imports and the PII recognizers (:mod:`steward.datascan.warm`), but no model
#: runtime (models load when a worker builds its guard).
_PRELOAD = ["steward.datascan.warm"]

#: Libraries that start threads of their own in native code (a model runtime's thread pools, a
#: cluster client), which ``threading`` does not see and a forked child would inherit stopped
#: mid-work. A driver that imported one forks no workers itself.
_THREADED_RUNTIMES = ("onnxruntime", "torch", "ray", "grpc")


def _fork_from_driver() -> bool:
    """Whether the workers can be forked from this process directly: it runs no other Python
    thread and has imported no library of :data:`_THREADED_RUNTIMES`.

    Why: a fork server is a second interpreter that imports Steward before the first worker
    can start (about 0.7 CPU-seconds, measured, while the driver waits), which is most of what a
    pool costs to start and what keeps a short scan on two cores from twice one core's speed.
    A command-line scan's driver has only imported Steward, read its policy and opened its
    input, so a child forked from it starts with all of that and nothing unsafe; the numpy
    BLAS pool, its only native thread, is stopped before a fork and restarted after it, as for
    the fork server. Anything else (a server's event loop, a notebook with a model loaded, a
    test run) gets the fork server.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    if threading.active_count() != 1:
        return False
    return not any(name in sys.modules for name in _THREADED_RUNTIMES)


def _context() -> multiprocessing.context.BaseContext:
    """``fork`` when :func:`_fork_from_driver`, else ``forkserver`` with :data:`_PRELOAD`
    imported, else ``spawn``.

    A spawned worker starts a Python interpreter, imports Steward and compiles the PII
    recognizers' patterns (about 0.4 CPU-seconds) before building its guard; forked from the
    server, which did that once, it starts in a few milliseconds (measured: starting 2 workers
    took 0.6 CPU-seconds in all instead of 1.1). The server is a fresh, single-purpose process
    started the way a spawned worker is, so a worker still inherits nothing of the driver
    (threads, a model runtime, open files, state changed since start-up); it takes the driver's
    current environment and folder in :func:`_init_worker`. The server's only other thread is
    the BLAS library's pool (numpy), which that library stops before a fork and restarts after
    it. The server serves every pool of this process; one already started by other code keeps
    its own preload (workers then import what they need, as spawned ones do).
    """
    if _fork_from_driver():
        return multiprocessing.get_context("fork")
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(_PRELOAD)
    return context


def _pool(
    jobs: Iterable[tuple[Any, Any]], task: Callable[[Any], Any], workers: int
) -> Iterator[tuple[Any, Any]]:
    context = _context()
    pending: deque[tuple[Any, Future[Any]]] = deque()
    with ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_init_worker,
        initargs=(task, dict(os.environ), os.getcwd()),
    ) as pool:
        try:
            for tag, item in jobs:
                pending.append((tag, pool.submit(_work, item)))
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
