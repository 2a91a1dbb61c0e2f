"""Drive a real browser-side client (pusher-js 8 + laravel-echo 2 in Node) from asyncio tests.

Each `EchoClient` is one `node tests/node/client.mjs` process: commands go in as JSON lines,
observations come back as JSON lines. `wait_for` consumes observations in order, with a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

NODE_DIR = Path(__file__).resolve().parents[4] / "tests" / "node"
Observation = dict[str, Any]
Predicate = Callable[[Observation], bool]


def matching(**fields: Any) -> Predicate:
    """A predicate: every given field equals the observation's."""
    return lambda seen: all(seen.get(k) == v for k, v in fields.items())


class EchoClient:
    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process, self.name = process, name
        self.observations: list[Observation] = []
        self._consumed: set[int] = set()
        self._changed = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())

    @classmethod
    async def start(cls, name: str = "client") -> EchoClient:
        process = await asyncio.create_subprocess_exec(
            "node",
            str(NODE_DIR / "client.mjs"),
            cwd=NODE_DIR,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            # stderr is inherited: pytest captures it and shows it with a failure
        )
        return cls(process, name)

    async def send(self, cmd: str, **fields: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"cmd": cmd, **fields}).encode() + b"\n")
        await self.process.stdin.drain()

    async def connect(
        self,
        port: int,
        key: str,
        *,
        auth: Any = None,
        user_id: str | None = None,
        headers: dict[str, str] | None = None,
        options: dict[str, Any] | None = None,
    ) -> str:
        """Connect and return the socket id; `auth` is a `testkit.pusher_auth.AuthEndpoint`."""
        all_headers = dict(headers or {})
        if user_id is not None:
            all_headers["Authorization"] = f"Bearer {user_id}"
        await self.send(
            "connect",
            host="127.0.0.1",
            port=port,
            key=key,
            authEndpoint=auth.channel_auth_url if auth else "http://127.0.0.1:9/none",
            userAuthEndpoint=auth.user_auth_url if auth else "http://127.0.0.1:9/none",
            headers=all_headers,
            options=options or {},
        )
        connected = await self.wait_for(matching(type="connected"))
        return str(connected["socket_id"])

    async def subscribe(
        self,
        kind: str,
        name: str,
        *,
        events: list[str] | None = None,
        whispers: list[str] | None = None,
    ) -> None:
        await self.send(
            "subscribe", kind=kind, name=name, events=events or [], whispers=whispers or []
        )

    async def wait_for(self, predicate: Predicate, timeout: float = 10.0) -> Observation:
        """The first not yet consumed observation that matches; TimeoutError after `timeout`."""
        deadline = time.monotonic() + timeout
        async with self._changed:
            while True:
                for index, seen in enumerate(self.observations):
                    if index not in self._consumed and predicate(seen):
                        self._consumed.add(index)
                        return seen
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._reader.done():
                    raise TimeoutError(
                        f"{self.name}: no matching observation in {timeout}s; "
                        f"saw {self.observations[-15:]}"
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), remaining)

    def seen(self, predicate: Predicate) -> list[Observation]:
        """Every observation so far that matches (for asserting something did NOT happen)."""
        return [o for o in self.observations if predicate(o)]

    async def _read(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            with contextlib.suppress(json.JSONDecodeError):
                observation = json.loads(line)
                async with self._changed:
                    self.observations.append(observation)
                    self._changed.notify_all()
        async with self._changed:
            self._changed.notify_all()

    async def close(self, timeout: float = 5.0) -> None:
        """Ask the client to exit; kill it (only this process) if it does not."""
        if self.process.returncode is None:
            with contextlib.suppress(ConnectionError):
                await self.send("exit")
            try:
                await asyncio.wait_for(self.process.wait(), timeout)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
