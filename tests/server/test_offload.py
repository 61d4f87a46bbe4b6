"""The shared runs of blocking work (:class:`steward.server.offload.Coalescer`): one run for
the callers that overlap, its outcome for each even when the caller that started it went away."""

from __future__ import annotations

import asyncio
import threading

import pytest

from steward.server.offload import Coalescer


def test_a_run_whose_starter_is_cancelled_still_answers_the_others_once() -> None:
    entered, release = threading.Event(), threading.Event()
    runs: list[str] = []

    def work() -> str:
        runs.append(threading.current_thread().name)
        entered.set()
        release.wait(10)
        return "answer"

    async def scenario() -> tuple[str, bool, str]:
        shared = Coalescer()
        first = asyncio.create_task(shared.run("k", work))
        try:
            await asyncio.to_thread(entered.wait, 10)
            second = asyncio.create_task(shared.run("k", work))
            await asyncio.sleep(0)  # the second caller joins the run going
            first.cancel()  # its client went away
        finally:
            release.set()
        answer = await second
        with pytest.raises(asyncio.CancelledError):
            await first
        return answer, first.cancelled(), await shared.run("k", work)  # over: runs again

    answer, cancelled, again = asyncio.run(scenario())
    assert (answer, cancelled, again) == ("answer", True, "answer")
    assert len(runs) == 2 and threading.current_thread().name not in runs


def test_a_failed_run_raises_for_each_caller_and_is_not_kept() -> None:
    calls: list[int] = []

    def refuse() -> None:
        calls.append(1)
        raise PermissionError("no")

    async def scenario() -> list[object]:
        shared = Coalescer()
        together = await asyncio.gather(*(shared.run("k", refuse) for _ in range(8)), return_exceptions=True)
        later = await asyncio.gather(shared.run("k", refuse), return_exceptions=True)
        return [*together, *later]

    outcomes = asyncio.run(scenario())
    assert all(isinstance(o, PermissionError) for o in outcomes) and len(outcomes) == 9
    assert len(calls) == 2  # one run for the eight together, one for the caller after
