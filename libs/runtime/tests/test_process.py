"""Stopping a service: graceful tasks finish their step, others are cancelled, nothing hangs."""

import asyncio

import pytest

from runtime.process import Running


async def test_a_graceful_task_finishes_its_step_and_others_are_cancelled() -> None:
    running = Running("svc")
    stop_asked = asyncio.Event()
    steps: list[str] = []

    async def relay() -> None:
        await stop_asked.wait()
        await asyncio.sleep(0)  # the step in hand completes after the request to stop
        steps.append("finished its step")

    async def listener() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            steps.append("cancelled")
            raise

    running.spawn(relay(), "relay", stop=stop_asked.set)
    running.spawn(listener(), "listener")
    await asyncio.sleep(0)
    await running.stop()
    assert sorted(steps) == ["cancelled", "finished its step"]


async def test_closers_run_in_reverse_and_a_hanging_one_is_given_up() -> None:
    running = Running("svc", grace_seconds=0.2)
    closed: list[str] = []

    async def first() -> None:
        closed.append("first")

    async def hangs() -> None:
        await asyncio.Event().wait()

    async def last() -> None:
        closed.append("last")

    running.closers += [first, hangs, last]
    await asyncio.wait_for(running.stop(), 5)
    assert closed == ["last", "first"]


async def test_a_graceful_task_that_ignores_the_request_is_cancelled_after_the_grace() -> None:
    running = Running("svc", grace_seconds=0.1)

    async def stubborn() -> None:
        await asyncio.Event().wait()

    running.spawn(stubborn(), "stubborn", stop=lambda: None)
    await asyncio.wait_for(running.stop(), 5)
    assert all(task.done() for task in running.tasks)


async def test_a_job_runs_to_its_end_or_is_cancelled_by_stop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    running = Running("svc")
    done: list[str] = []
    endless = asyncio.Event()

    async def chore() -> None:
        done.append("chore")

    async def broken() -> None:
        raise RuntimeError("seed refused")

    async def waits() -> None:
        try:
            await endless.wait()
        except asyncio.CancelledError:
            done.append("cancelled")
            raise

    for job, name in ((chore(), "chore"), (broken(), "broken"), (waits(), "waits")):
        running.run_once(job, name)
    await asyncio.sleep(0.01)
    assert done == ["chore"]
    # A job's end is not a background task's end: nothing asks the service to stop.
    assert running.tasks == []
    assert "svc:broken failed" in caplog.text
    await asyncio.wait_for(running.stop(), 5)
    assert done == ["chore", "cancelled"]


async def test_drains_run_first_while_tasks_still_run_and_have_their_own_time_limit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    running = Running("svc", grace_seconds=0.2)
    order: list[str] = []

    async def serving() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            order.append("task cancelled")
            raise

    async def hand_over() -> None:
        await asyncio.sleep(0.3)  # longer than grace_seconds, within its own window
        order.append("drained" if not running.tasks[0].done() else "drained too late")

    async def hangs() -> None:
        await asyncio.Event().wait()

    async def closer() -> None:
        order.append("closed")

    running.spawn(serving(), "serving")
    running.closers.append(closer)
    running.drain_first(hand_over, seconds=0.3)
    running.drain_first(hangs, seconds=0.1)
    await asyncio.wait_for(running.stop(), 5)

    assert order == ["drained", "task cancelled", "closed"]
    assert "error while draining svc" in caplog.text  # the hanging one was given up on
