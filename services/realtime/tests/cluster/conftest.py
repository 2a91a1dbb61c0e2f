"""Realtime across instances: a three-node NATS cluster on loopback, realtime instances on its
nodes (in this process, or one in a process of its own, to be killed), a webhook receiver, and
real pusher-js clients; timings are short so that graces and expiries pass quickly."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import pusher
import pytest
from pydantic import SecretStr

from realtime.bootstrap import start
from realtime.settings import AppSettings, RealtimeSettings, WebhookSettings
from runtime.process import Running
from testkit.echo import EchoClient, matching
from testkit.http_server import Answer, Incoming, LoopbackHttpServer
from testkit.nats_cluster import NatsCluster
from testkit.ports import free_port
from testkit.pusher_auth import AuthEndpoint
from testkit.waiting import eventually

APP_ID, KEY, SECRET = "3003", "cluster-key", "cluster-secret"  # the Python SDK wants numeric ids
QUICK = {
    "presence_replicas": 3,
    "presence_heartbeat_seconds": 0.3,
    "presence_instance_ttl_seconds": 2,
    "presence_removal_grace_seconds": 1.0,
    "lifecycle_grace_seconds": 1.0,
    "drain_seconds": 0.2,
}


@dataclass
class Receiver:
    """A webhook endpoint that records every event it is sent."""

    events: list[dict[str, Any]] = field(default_factory=list)
    _server: LoopbackHttpServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.port}/webhooks"

    def facts(self, channel: str) -> list[tuple[str, str | None]]:
        return [(e["name"], e.get("user_id")) for e in self.events if e["channel"] == channel]

    async def has(self, channel: str, *facts: tuple[str, str | None]) -> bool:
        seen = self.facts(channel)
        return all(fact in seen for fact in facts)

    async def start(self) -> None:
        self._server = LoopbackHttpServer(self._answer)
        await self._server.start()

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    def _answer(self, incoming: Incoming) -> Answer:
        self.events.extend(json.loads(incoming.body)["events"])
        return Answer(200)


@dataclass
class Instance:
    """One realtime instance on one NATS node, in this process or in its own."""

    port: int
    running: Running | None = None
    process: asyncio.subprocess.Process | None = None

    def sdk(self) -> pusher.Pusher:
        return pusher.Pusher(
            app_id=APP_ID, key=KEY, secret=SECRET, host="127.0.0.1", port=self.port, ssl=False
        )

    async def query(self, call: str, *args: Any) -> Any:
        """One call of the official Python SDK against this instance."""
        return await asyncio.to_thread(getattr(self.sdk(), call), *args)

    async def stop(self) -> None:
        """A clean stop, as on SIGTERM: drain, then close."""
        if self.running is not None:
            await self.running.stop()
            self.running = None

    async def kill(self) -> None:
        """SIGKILL: nothing is cleaned up."""
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await asyncio.wait_for(self.process.wait(), 10)


StartInstance = Callable[..., Awaitable[Instance]]
# The service as `python -m runtime realtime` runs it (settings from the environment), on the
# default event loop.
RUN = (
    "from realtime.bootstrap import SERVICE; from runtime.process import run_service; "
    "run_service('realtime', lambda: SERVICE.start(SERVICE.settings()))"
)


@pytest.fixture
def nats_cluster(tmp_path: Path) -> Iterator[NatsCluster]:
    with NatsCluster(tmp_path / "nats") as cluster:
        yield cluster


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    await receiver.start()
    yield receiver
    await receiver.close()


@pytest.fixture
async def auth() -> AsyncIterator[AuthEndpoint]:
    async with AuthEndpoint(APP_ID, KEY, SECRET) as endpoint:
        yield endpoint


def settings_for(node: str, receiver: Receiver, **overrides: Any) -> RealtimeSettings:
    hook = WebhookSettings.model_validate({"url": receiver.url})
    app = AppSettings(id=APP_ID, key=KEY, secret=SecretStr(SECRET), webhooks=[hook])
    values = {"port": free_port(), "apps": [app], "live_app_id": APP_ID, **QUICK, **overrides}
    return RealtimeSettings.model_validate({"NATS_URL": node, **values})


@pytest.fixture
async def instance(nats_cluster: NatsCluster, receiver: Receiver) -> AsyncIterator[StartInstance]:
    """`await instance(i)` starts realtime in this process on NATS node i; with
    `own_process=True` in a process of its own, so that it can be killed."""
    started: list[Instance] = []

    async def begin(node: int, own_process: bool = False, **overrides: Any) -> Instance:
        settings = settings_for(nats_cluster.nodes[node].url, receiver, **overrides)
        if not own_process:
            started.append(Instance(settings.port, running=await start(settings)))
            return started[-1]
        env = {**os.environ, "NATS_URL": settings.nats_url}
        for name, value in settings.model_dump(mode="json", exclude={"nats_url"}).items():
            env[f"REALTIME_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
        env["REALTIME_APPS"] = json.dumps(
            [{"id": APP_ID, "key": KEY, "secret": SECRET, "webhooks": [{"url": receiver.url}]}]
        )
        process = await asyncio.create_subprocess_exec(sys.executable, "-c", RUN, env=env)
        started.append(Instance(settings.port, process=process))
        await eventually(lambda: ready(settings.port), timeout=30)
        return started[-1]

    yield begin
    for each in started:
        await each.kill()
        await each.stop()


async def ready(port: int) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        async with httpx.AsyncClient() as client:
            return (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200
    return False


class Reachable(Protocol):
    """An instance, or a load balancer in front of some."""

    @property
    def port(self) -> int: ...


Clients = Callable[..., Awaitable[EchoClient]]


@pytest.fixture
async def client(auth: AuthEndpoint) -> AsyncIterator[Clients]:
    """`await client(instance, "alice")`: a connected pusher-js client of that user."""
    started: list[EchoClient] = []

    async def connect(on: Reachable, user: str, name: str | None = None) -> EchoClient:
        started.append(await EchoClient.start(name or user))
        await started[-1].connect(on.port, KEY, auth=auth, user_id=user)
        return started[-1]

    yield connect
    for each in started:
        await each.close()


async def join(client: EchoClient, room: str) -> set[str]:
    """Join presence-{room}; the ids of the members it is told of."""
    await client.subscribe("join", room, events=["Marker"])
    here = await client.wait_for(matching(type="here", channel=f"presence-{room}"))
    return {member["id"] for member in here["members"]}


def leaving(user: str) -> Callable[[dict[str, Any]], bool]:
    return lambda seen: seen.get("type") == "leaving" and seen["member"]["id"] == user


def joining(user: str) -> Callable[[dict[str, Any]], bool]:
    return lambda seen: seen.get("type") == "joining" and seen["member"]["id"] == user
