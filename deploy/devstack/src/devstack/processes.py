"""A child process that the stack supervises: started, watched, restarted after a crash."""

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger("devstack")


class ManagedProcess:
    def __init__(
        self, name: str, argv: list[str], env: Mapping[str, str], pid_file: Path | None = None
    ) -> None:
        self.name = name
        self.pid_file = pid_file
        self.argv = argv
        self.env = dict(env)
        self.process: asyncio.subprocess.Process | None = None
        self._stopping = False
        self._watcher: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._stopping = False
        await self._spawn()
        self._watcher = asyncio.create_task(self._watch(), name=f"watch:{self.name}")

    async def _spawn(self) -> None:
        self.process = await asyncio.create_subprocess_exec(*self.argv, env=self.env)
        if self.pid_file is not None:
            self.pid_file.write_text(f"{self.process.pid}\n")

    async def _watch(self) -> None:
        backoff = 0.5
        while not self._stopping:
            assert self.process is not None
            code = await self.process.wait()
            if self._stopping:
                return
            if code == 0:
                # A clean exit (e.g. an operator's SIGTERM) is a stop, not a crash.
                log.warning("%s stopped", self.name)
                print(f"devstack: {self.name} stopped", file=sys.stderr)
                return
            log.error("%s exited with %s; restarting in %.1fs", self.name, code, backoff)
            print(f"devstack: {self.name} crashed (exit {code}); restarting", file=sys.stderr)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 10.0)
            if not self._stopping:
                await self._spawn()

    async def stop(self, timeout: float = 10.0) -> None:
        self._stopping = True
        if self._watcher:
            self._watcher.cancel()
        process = self.process
        if process is None or process.returncode is not None:
            return
        os.kill(process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout)
        except TimeoutError:
            os.kill(process.pid, signal.SIGKILL)
            await process.wait()


async def run_once(name: str, argv: list[str], env: Mapping[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(*argv, env=dict(env))
    if await process.wait() != 0:
        raise RuntimeError(f"{name} failed with exit code {process.returncode}")
