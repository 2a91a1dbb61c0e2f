"""Support of the protocol limit tests: the whole realtime service on a real nats-server, a raw
Pusher WebSocket client that sends exactly what a test wants, and signed HTTP API calls."""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx
import nats
import orjson
import websockets
from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout
from nats.js.errors import NoKeysError
from pydantic import SecretStr

import pusher_signing
from contracts.live import deliver_subject
from realtime.bootstrap import start
from realtime.pusher.channels import is_valid_name
from realtime.settings import AppSettings, RealtimeSettings
from runtime.process import Running
from testkit.nats_server import NatsServer
from testkit.ports import free_port
from testkit.waiting import eventually

APP_ID, KEY, SECRET = "4004", "limits-key", "limits-secret"
PRESENCE_BUCKET = RealtimeSettings().presence_bucket
Frame = dict[str, Any]


def app_settings(**options: Any) -> AppSettings:
    return AppSettings(**{"id": APP_ID, "key": KEY, "secret": SecretStr(SECRET), **options})


@dataclass
class Realtime:
    port: int
    metrics_port: int
    running: Running
    app_ids: list[str]
    # Every channel a client of this instance subscribed to (see `settled`).
    channels: set[str] = field(default_factory=set)

    def client(
        self, key: str = KEY, secret: str = SECRET
    ) -> AbstractAsyncContextManager[RawClient]:
        return raw_client(self.port, key, secret, self.channels)

    async def settled(self, nc: Client) -> None:
        """Wait until the edge has let go of every channel in NATS: no interest subscription
        left, and the presence bucket holding nothing but heartbeats. A stop while its workers
        are still busy with the last clients can hang (see the report of issue 11's hardening:
        a cancelled flush, a swallowed cancellation in the presence watcher)."""

        async def gone(subject: str) -> bool:
            try:  # a request nobody subscribes to is refused at once
                await nc.request(subject, b"", timeout=0.2)
            except NoRespondersError:
                return True
            except NatsTimeout:
                return False
            return False

        for app_id in self.app_ids:
            for channel in filter(is_valid_name, self.channels):  # the others never were
                subject = deliver_subject(app_id, channel)
                await eventually(partial(gone, subject), timeout=10)

        async def only_heartbeats() -> bool:
            bucket = await nc.jetstream().key_value(PRESENCE_BUCKET)
            try:
                keys = await bucket.keys()
            except NoKeysError:
                return True
            return all(key.startswith("i.") for key in keys)

        await eventually(only_heartbeats, timeout=10)

    async def publish(self, body: dict[str, Any]) -> httpx.Response:
        """POST /apps/{id}/events, signed as the Pusher SDKs sign it."""
        path = f"/apps/{APP_ID}/events"
        raw = orjson.dumps(body)
        params = {
            "auth_key": KEY,
            "auth_timestamp": str(int(time.time())),
            "auth_version": "1.0",
            "body_md5": hashlib.md5(raw).hexdigest(),
        }
        params["auth_signature"] = pusher_signing.sign_request(SECRET, "POST", path, params)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.port}") as http:
            return await http.post(
                path, params=params, content=raw, headers={"Content-Type": "application/json"}
            )

    async def metrics(self) -> str:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{self.metrics_port}") as http:
            return (await http.get("/metrics")).text


StartRealtime = Callable[..., Awaitable[Realtime]]


@asynccontextmanager
async def realtime_factory(nats_server: NatsServer) -> AsyncIterator[StartRealtime]:
    """`await start(apps=[...], **settings)`; every instance is stopped at the end."""
    started: list[Realtime] = []

    async def start_one(**settings: Any) -> Realtime:
        apps = settings.setdefault("apps", [app_settings()])
        port, metrics_port = free_port(), free_port()
        running = await start(
            RealtimeSettings(
                nats_url=nats_server.url,
                port=port,
                metrics_port=metrics_port,
                live_app_id=APP_ID,
                drain_seconds=0,
                **settings,
            )
        )
        started.append(Realtime(port, metrics_port, running, [app.id for app in apps]))
        return started[-1]

    nc = await nats.connect(nats_server.url)
    try:
        yield start_one
    finally:
        for realtime in started:
            try:
                await realtime.settled(nc)
            finally:
                await realtime.running.stop()
        await nc.drain()


@dataclass
class RawClient:
    """One Pusher protocol 7 connection; frames are read in order, each at most once."""

    ws: websockets.ClientConnection
    socket_id: str = ""
    key: str = KEY
    secret: str = SECRET
    read: list[Frame] = field(default_factory=list)
    subscribed: set[str] = field(default_factory=set)

    async def send(self, event: str, data: Any, channel: str | None = None) -> None:
        message: dict[str, Any] = {"event": event, "data": data}
        if channel is not None:
            message["channel"] = channel
        await self.ws.send(orjson.dumps(message).decode())

    async def subscribe(
        self, channel: str, *, user_id: str | None = None, signed: bool = True
    ) -> None:
        data: dict[str, Any] = {"channel": channel}
        channel_data = None
        if user_id is not None:
            channel_data = orjson.dumps({"user_id": user_id}).decode()
            data["channel_data"] = channel_data
        if signed:
            data["auth"] = pusher_signing.sign_channel(
                self.key, self.secret, self.socket_id, channel, channel_data
            )
        self.subscribed.add(channel)
        await self.send("pusher:subscribe", data)

    async def next(self, predicate: Callable[[Frame], bool], timeout: float = 10.0) -> Frame:
        """The next frame that matches, skipping others; TimeoutError after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no matching frame in {timeout}s; read {self.read[-10:]}")
            try:
                text = await _recv(self.ws, remaining)
            except TimeoutError:
                continue
            frame: Frame = orjson.loads(text)
            if isinstance(frame.get("data"), str):
                with suppress(orjson.JSONDecodeError):
                    frame["data"] = orjson.loads(frame["data"])
            self.read.append(frame)
            if predicate(frame):
                return frame

    async def answer_to(self, channel: str) -> Frame:
        """subscription_succeeded or an error about `channel` (or a pusher:error)."""
        return await self.next(
            lambda f: (
                f.get("channel") == channel
                or f["event"] == "pusher:error"
                or (f["event"] == "pusher:subscription_error" and f.get("channel") == channel)
            )
        )


async def _recv(ws: websockets.ClientConnection, timeout: float) -> str | bytes:
    return await asyncio.wait_for(ws.recv(), timeout)


@asynccontextmanager
async def raw_client(
    port: int, key: str, secret: str, subscribed: set[str]
) -> AsyncIterator[RawClient]:
    async with websockets.connect(f"ws://127.0.0.1:{port}/app/{key}?protocol=7") as ws:
        client = RawClient(ws, key=key, secret=secret, subscribed=subscribed)
        established = await client.next(lambda f: f["event"] == "pusher:connection_established")
        client.socket_id = established["data"]["socket_id"]
        yield client


def event_is(event: str, channel: str | None = None) -> Callable[[Frame], bool]:
    return lambda f: f["event"] == event and (channel is None or f.get("channel") == channel)
