"""The client side of `bench/rest_to_frame.py`: a lean HTTP/1.1 keep-alive pool for the REST
calls, and an Echo-style Pusher subscriber (a `websockets` client speaking protocol 7) that
authorises its private channel through `POST /broadcasting/auth` as pusher-js does.

The pool writes requests by hand and reads `Content-Length` answers: the load generator shares
two CPUs with the servers it measures, so it should cost them as little as it can.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import orjson
from websockets.asyncio.client import ClientConnection, connect

LIVE_REFRESH_EVENT = "LiveRefreshContextsUpdated"


class HttpError(RuntimeError):
    def __init__(self, status: int, body: bytes) -> None:
        super().__init__(f"HTTP {status}: {body[:300]!r}")
        self.status = status


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.reusable = True
        self.idle_since = time.monotonic()

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                self.reusable = False
            elif name == b"transfer-encoding":
                raise RuntimeError("chunked answers are not expected from these servers")
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    def close(self) -> None:
        self.writer.close()


# uvicorn closes a connection idle for 5 s; one idle longer than this is not reused.
MAX_IDLE_SECONDS = 3.0


class HttpPool:
    """Keep-alive connections to one server; one request in flight per connection."""

    def __init__(self, host: str, port: int, max_connections: int = 512) -> None:
        self.host, self.port = host, port
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(max_connections)

    async def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        if body or method in ("POST", "PUT", "PATCH"):
            lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        async with self._slots:
            connection = await self._acquire()
            try:
                status, answer = await connection.exchange(request)
            except BaseException:
                connection.close()
                raise
            if connection.reusable:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
            return status, answer

    async def json(
        self, method: str, path: str, payload: Any = None, token: str | None = None
    ) -> Any:
        """A JSON call that must succeed; its decoded answer."""
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        body = b"" if payload is None else orjson.dumps(payload)
        status, answer = await self.request(method, path, body, headers)
        if status >= 300:
            raise HttpError(status, answer)
        return orjson.loads(answer) if answer else None

    async def _acquire(self) -> _Connection:
        fresh_after = time.monotonic() - MAX_IDLE_SECONDS
        while self._idle:
            connection = self._idle.pop()
            if connection.idle_since > fresh_after:
                return connection
            connection.close()
        return await self._open()

    async def _open(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return _Connection(reader, writer)

    def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()


@dataclass
class Subscriber:
    """One browser tab: a Pusher connection subscribed to its user's private channel, noting
    when each `LiveRefreshContextsUpdated` frame arrives."""

    channel: str
    frames: list[float] = field(default_factory=list)
    _ws: ClientConnection | None = None
    _reader: asyncio.Task[None] | None = None

    async def open(
        self, ws_url: str, api: HttpPool, api_prefix: str, token: str, timeout: float = 10.0
    ) -> None:
        self._ws = await connect(
            f"{ws_url}?protocol=7&client=js&version=8.4.0&flash=false", compression=None
        )
        established = orjson.loads(await asyncio.wait_for(self._ws.recv(), timeout))
        if established.get("event") != "pusher:connection_established":
            raise RuntimeError(f"unexpected first message: {established}")
        socket_id = orjson.loads(established["data"])["socket_id"]
        form = urlencode({"socket_id": socket_id, "channel_name": self.channel}).encode()
        status, answer = await api.request(
            "POST",
            f"{api_prefix}/broadcasting/auth",
            form,
            {"Authorization": f"Bearer {token}"},
            content_type="application/x-www-form-urlencoded",
        )
        if status != 200:
            raise HttpError(status, answer)
        auth = orjson.loads(answer)["auth"]
        subscribe = {"event": "pusher:subscribe", "data": {"channel": self.channel, "auth": auth}}
        await self._ws.send(orjson.dumps(subscribe).decode())
        while True:
            message = orjson.loads(await asyncio.wait_for(self._ws.recv(), timeout))
            if message.get("event") == "pusher_internal:subscription_succeeded":
                break
            if message.get("event") in ("pusher:error", "pusher:subscription_error"):
                raise RuntimeError(f"subscription refused: {message}")
        self._reader = asyncio.create_task(self._read(self._ws))

    async def _read(self, ws: ClientConnection) -> None:
        async for raw in ws:
            now = time.perf_counter()
            message = orjson.loads(raw)
            event = message.get("event")
            if event == LIVE_REFRESH_EVENT and message.get("channel") == self.channel:
                self.frames.append(now)
            elif event == "pusher:ping":
                await ws.send('{"event":"pusher:pong","data":{}}')

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            await self._ws.close()
