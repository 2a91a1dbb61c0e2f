"""A steady stream of REST mutations for fault tests: each POST carries its own
`Idempotency-Key` and is retried with that key (transport error, 5xx, a 409 for a key still
held by a request a killed gateway never finished) until it commits or the stream's deadline
passes, so what committed is known exactly even while services die under it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRY_PAUSE = 0.2  # between two tries of one change: a restart takes seconds, not milliseconds


@dataclass
class Change:
    key: str  # the Idempotency-Key, also what the body names the change by
    body: dict[str, Any]
    attempts: int = 0
    answer: dict[str, Any] | None = None  # the 2xx body once committed
    failures: list[str] = field(default_factory=list)  # why earlier tries did not commit

    @property
    def committed(self) -> bool:
        return self.answer is not None


class MutationStream:
    """`count` POSTs to `path`, `workers` at a time, `interval` apart per worker.

    `on_commit` runs after each commit with the number committed so far (a test kills a
    service from there, so the kill lands while other changes are in flight)."""

    def __init__(
        self,
        api: httpx.AsyncClient,
        path: str,
        headers: dict[str, str],
        bodies: list[tuple[str, dict[str, Any]]],
        *,
        workers: int = 2,
        interval: float = 0.15,
        deadline_seconds: float = 60.0,
        on_commit: Callable[[int], None] | None = None,
    ) -> None:
        self.api, self.path, self.headers = api, path, headers
        self.changes = [Change(key, body) for key, body in bodies]
        self.workers, self.interval = workers, interval
        self.deadline = time.monotonic() + deadline_seconds
        self.on_commit = on_commit
        self._next = 0

    @property
    def committed(self) -> list[Change]:
        return [c for c in self.changes if c.committed]

    async def run(self) -> None:
        await asyncio.gather(*(self._worker() for _ in range(self.workers)))

    async def _worker(self) -> None:
        while self._next < len(self.changes) and time.monotonic() < self.deadline:
            change = self.changes[self._next]
            self._next += 1
            await self._commit(change)
            await asyncio.sleep(self.interval)

    async def _commit(self, change: Change) -> None:
        headers = {**self.headers, "Idempotency-Key": change.key}
        while time.monotonic() < self.deadline:
            change.attempts += 1
            try:
                answer = await self.api.post(self.path, headers=headers, json=change.body)
            except httpx.TransportError as exc:
                change.failures.append(type(exc).__name__)
            else:
                if answer.is_success:
                    change.answer = answer.json()
                    if self.on_commit is not None:
                        self.on_commit(len(self.committed))
                    return
                if answer.status_code < 500 and answer.status_code != 409:
                    raise AssertionError(f"{change.key}: refused for good: {answer.text}")
                change.failures.append(f"{answer.status_code} {answer.text[:120]}")
            await asyncio.sleep(RETRY_PAUSE)
