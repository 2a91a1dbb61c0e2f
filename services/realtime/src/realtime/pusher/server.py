"""One TCP port: plain HTTP parsed with h11, WebSocket upgrades run by websockets' Sans-I/O.

Each TCP connection is one asyncio `Protocol`. A WebSocket upgrade is accepted only as the first
request of a connection (browsers and pusher-js always open a fresh one). Idle connections are
checked by one sweeper task, not a timer per connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import h11
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from realtime.pusher import wire
from realtime.pusher.config import ServerConfig
from realtime.pusher.connection import (
    APP_NOT_FOUND,
    NO_PROTOCOL,
    OVER_CAPACITY,
    RECONNECT,
    UNSUPPORTED_PROTOCOL,
    PusherConnection,
)
from realtime.pusher.http_api import HttpApi, HttpResponse, Readiness
from realtime.pusher.hub import Hub

log = logging.getLogger("realtime.pusher.server")
MAX_HTTP_BODY = 1024 * 1024
CLOSE_GRACE_S = 2.0
SUPPORTED_PROTOCOLS = range(5, 8)


@dataclass(eq=False)
class _Shared:
    hub: Hub
    config: ServerConfig
    api: HttpApi
    sockets: set[_ConnectionProtocol] = field(default_factory=set)  # open Pusher sessions
    every: set[_ConnectionProtocol] = field(default_factory=set)  # every TCP connection
    tasks: set[asyncio.Task[None]] = field(default_factory=set)


class _ConnectionProtocol(asyncio.Protocol):
    def __init__(self, shared: _Shared) -> None:
        self.shared = shared
        self.transport: asyncio.Transport | None = None
        self.http = h11.Connection(h11.SERVER, max_incomplete_event_size=16 * 1024)
        self.raw = bytearray()  # the first request's bytes, replayed into ServerProtocol
        self.first = True
        self.busy = False
        self.request: h11.Request | None = None
        self.body = bytearray()
        self.ws: ServerProtocol | None = None
        self.pusher: PusherConnection | None = None
        self.fragments: bytearray | None = None
        self.abort_timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.shared.every.add(self)

    def data_received(self, data: bytes) -> None:
        if self.ws is not None:
            self.ws.receive_data(data)
            self._ws_events()
            return
        if self.first:
            self.raw += data
        try:
            self.http.receive_data(data)
        except h11.RemoteProtocolError:
            self._close_transport()
            return
        self._http_events()

    def eof_received(self) -> bool | None:
        if self.ws is not None:
            self.ws.receive_eof()
            self._flush()
        else:
            with contextlib.suppress(h11.RemoteProtocolError):
                self.http.receive_data(b"")
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        if self.abort_timer is not None:
            self.abort_timer.cancel()
        self.shared.every.discard(self)
        self._forget()

    # -- HTTP -----------------------------------------------------------------------------

    def _http_events(self) -> None:
        while not self.busy:
            try:
                event = self.http.next_event()
            except h11.RemoteProtocolError:
                self._respond_now(HttpResponse(400, b'{"error":"Bad request"}'), close=True)
                return
            if event is h11.NEED_DATA or event is h11.PAUSED:
                return
            if isinstance(event, h11.Request):
                if self.first and _is_upgrade(event):
                    self._upgrade()
                    return
                self.request, self.body = event, bytearray()
            elif isinstance(event, h11.Data):
                self.body += event.data
                if len(self.body) > MAX_HTTP_BODY:
                    self._respond_now(HttpResponse(413, b'{"error":"Body too large"}'), True)
                    return
            elif isinstance(event, h11.EndOfMessage):
                self.first, self.raw, self.busy = False, bytearray(), True
                task = asyncio.ensure_future(self._answer())
                self.shared.tasks.add(task)
                task.add_done_callback(self.shared.tasks.discard)
            elif isinstance(event, h11.ConnectionClosed):
                self._close_transport()
                return

    async def _answer(self) -> None:
        assert self.request is not None
        try:
            response = await self.shared.api.handle(
                self.request.method.decode(), self.request.target.decode(), bytes(self.body)
            )
        except Exception:
            log.exception("HTTP handler failed")
            response = HttpResponse(500, b'{"error":"Internal error"}')
        self._respond_now(response, close=False)

    def _respond_now(self, response: HttpResponse, close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        headers = [
            ("content-type", response.content_type),
            ("content-length", str(len(response.body))),
        ]
        if close:
            headers.append(("connection", "close"))
        try:
            out = self.http.send(h11.Response(status_code=response.status, headers=headers))
            out = (out or b"") + (self.http.send(h11.Data(data=response.body)) or b"")
            out += self.http.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError:
            self._close_transport()
            return
        self.transport.write(out)
        if close or self.http.our_state is h11.MUST_CLOSE:
            self._close_transport()
            return
        try:
            self.http.start_next_cycle()
        except h11.LocalProtocolError:
            self._close_transport()
            return
        self.busy = False
        self._http_events()

    # -- WebSocket ------------------------------------------------------------------------

    def _upgrade(self) -> None:
        shared = self.shared
        ws = self.ws = ServerProtocol(max_size=shared.config.max_frame_bytes)
        ws.receive_data(bytes(self.raw))
        self.raw = bytearray()
        events = ws.events_received()
        request = events[0] if events else None
        if not isinstance(request, Request):
            self._flush()
            self._close_transport()
            return
        url = urlsplit(request.path)
        key = url.path[len("/app/") :] if url.path.startswith("/app/") else None
        if not key or "/" in key:
            ws.send_response(ws.reject(404, "Not found: connect to /app/{key}\n"))
            self._flush()
            return
        response = ws.accept(request)
        ws.send_response(response)
        self._flush()
        if response.status_code != 101:
            return
        app = shared.hub.apps.by_key(key)
        version = parse_qs(url.query).get("protocol", [""])[0]
        refusal: tuple[int, str] | None = None
        if app is None:
            refusal = (APP_NOT_FOUND, f"App key {key} does not exist")
        elif not version:
            refusal = (NO_PROTOCOL, "No protocol version supplied")
        elif not version.isdigit() or int(version) not in SUPPORTED_PROTOCOLS:
            refusal = (UNSUPPORTED_PROTOCOL, f"Unsupported protocol version {version}")
        if refusal is not None or app is None:
            code, message = refusal or (APP_NOT_FOUND, "")
            shared.hub.metrics.auth_failures.labels(str(code)).inc()
            self.write(wire.event_frame("pusher:error", {"code": code, "message": message}))
            self.close(code, message)
            return
        self.pusher = PusherConnection(shared.hub, app, shared.config, self)
        shared.sockets.add(self)
        shared.hub.metrics.connections.inc()
        self.pusher.start()
        self._handle_frames(events[1:])

    def _ws_events(self) -> None:
        assert self.ws is not None
        self._handle_frames(self.ws.events_received())
        self._flush()

    def _handle_frames(self, frames: Sequence[object]) -> None:
        for frame in frames:
            if not isinstance(frame, Frame) or self.pusher is None:
                continue
            if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
                if frame.fin:
                    self.pusher.on_message(frame.data)
                else:
                    self.fragments = bytearray(frame.data)
            elif frame.opcode is Opcode.CONT and self.fragments is not None:
                self.fragments += frame.data
                if len(self.fragments) > self.shared.config.max_frame_bytes:
                    self.close(1009, "Message too big")
                elif frame.fin:
                    message, self.fragments = bytes(self.fragments), None
                    self.pusher.on_message(message)
            else:  # ping (answered by websockets), pong, close
                self.pusher.last_seen = time.monotonic()
                self.pusher.ping_sent_at = None

    def _flush(self) -> None:
        if self.ws is None or self.transport is None:
            return
        for chunk in self.ws.data_to_send():
            if chunk:
                self.transport.write(chunk)
            else:
                self._close_transport()
        if self.ws.state is State.CLOSED:
            self._close_transport()
        elif self.ws.close_expected() and self.abort_timer is None:
            self.abort_timer = asyncio.get_running_loop().call_later(CLOSE_GRACE_S, self._abort)

    # -- Link -----------------------------------------------------------------------------

    def write(self, frame: bytes) -> None:
        transport = self.transport
        if self.ws is None or transport is None or self.ws.state is not State.OPEN:
            return
        transport.write(frame)
        if transport.get_write_buffer_size() > self.shared.config.max_write_buffer_bytes:
            # Never re-enter the hub while it iterates its subscribers.
            asyncio.get_running_loop().call_soon(self.close, OVER_CAPACITY, "Client too slow")

    def close(self, code: int, reason: str) -> None:
        if self.ws is not None and self.ws.state is State.OPEN:
            self.ws.send_close(code, reason)
            self._flush()
        self._forget()

    # -- teardown -------------------------------------------------------------------------

    def _forget(self) -> None:
        if self.pusher is not None and self in self.shared.sockets:
            self.shared.sockets.discard(self)
            self.shared.hub.metrics.connections.dec()
            self.pusher.closed()

    def _close_transport(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()
            if self.abort_timer is None:
                self.abort_timer = asyncio.get_running_loop().call_later(CLOSE_GRACE_S, self._abort)

    def _abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


def _is_upgrade(request: h11.Request) -> bool:
    for name, value in request.headers:
        if name == b"upgrade" and value.lower() == b"websocket":
            return True
    return False


class RunningServer:
    """A started server: `port` to reach it, `close()` to stop it."""

    def __init__(self, server: asyncio.Server, shared: _Shared, sweeper: asyncio.Task[None]):
        self._server, self._shared, self._sweeper = server, shared, sweeper
        sockname = server.sockets[0].getsockname()
        self.host: str = sockname[0]
        self.port: int = sockname[1]

    @property
    def hub(self) -> Hub:
        return self._shared.hub

    @property
    def connection_count(self) -> int:
        return len(self._shared.sockets)

    async def close(self) -> None:
        """Stop listening and tell clients to reconnect (4200), then drop every socket."""
        self._sweeper.cancel()
        self._server.close()
        for socket in list(self._shared.sockets):
            socket.close(RECONNECT, "Server shutting down")
        await asyncio.sleep(0)
        for connection in list(self._shared.every):
            connection._close_transport()
        with contextlib.suppress(asyncio.CancelledError):
            await self._sweeper
        await self._server.wait_closed()


async def _sweep(shared: _Shared) -> None:
    while True:
        await asyncio.sleep(shared.config.sweep_interval)
        now = time.monotonic()
        for socket in list(shared.sockets):
            if socket.pusher is not None:
                socket.pusher.check_idle(now)


async def start_server(
    hub: Hub,
    config: ServerConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    readiness: Readiness | None = None,
) -> RunningServer:
    """Serve the Pusher protocol, the Pusher HTTP API and ops endpoints on one port."""
    config = config or ServerConfig()
    shared = _Shared(hub, config, HttpApi(hub, config, readiness))
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _ConnectionProtocol(shared), host, port)
    sweeper = asyncio.create_task(_sweep(shared), name="pusher-idle-sweeper")
    running = RunningServer(server, shared, sweeper)
    log.info("pusher server listening", extra={"host": running.host, "port": running.port})
    return running
