"""One TCP port: plain HTTP parsed with h11, WebSocket upgrades run by websockets' Sans-I/O.

Each TCP connection is one asyncio `Protocol`. A WebSocket upgrade is accepted only as the first
request of a connection (browsers and pusher-js always open a fresh one). Idle connections and
unfinished requests are checked by one sweeper task, not a timer per connection.

Every byte written to a client goes through `_out`, which drops a client whose unsent output
passes `max_write_buffer_bytes`: Pusher frames, websockets' pongs and close frames, HTTP answers.
Metrics have a listener of their own (`metrics_port`), never the public one.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast
from urllib.parse import parse_qs, urlsplit

import h11
from websockets.frames import Frame, Opcode
from websockets.http11 import Request
from websockets.protocol import State
from websockets.server import ServerProtocol

from realtime.pusher import wire
from realtime.pusher.admission import Admission, Refusal
from realtime.pusher.config import ServerConfig
from realtime.pusher.connection import (
    APP_NOT_FOUND,
    NO_PROTOCOL,
    OVER_CAPACITY,
    RECONNECT,
    UNSUPPORTED_PROTOCOL,
    PusherConnection,
)
from realtime.pusher.control_frames import RateLimitedServerProtocol
from realtime.pusher.http_api import HttpApi, HttpHandler, HttpResponse, MetricsEndpoint, Readiness
from realtime.pusher.hub import Hub

log = logging.getLogger("realtime.pusher.server")
MAX_HTTP_BODY = 1024 * 1024
CLOSE_GRACE_S = 2.0
SUPPORTED_PROTOCOLS = range(5, 8)
# A drain closes its connections in slices at most this far apart.
DRAIN_SLICE_S = 0.05
# A connection refused for the caps gets this long to send the request its refusal answers.
REFUSED_GRACE_S = 2.0
RETRY_AFTER_S = 5
# Pusher's "other errors" range: a message refused, the connection stays.
MESSAGE_REFUSED = 4300


@dataclass(eq=False)
class _Shared:
    """What the connections of one listener share."""

    hub: Hub
    config: ServerConfig
    api: HttpHandler
    admission: Admission
    upgrades: bool = True  # whether WebSocket upgrades are served (not on the metrics port)
    sockets: set[_ConnectionProtocol] = field(default_factory=set)  # open Pusher sessions
    every: set[_ConnectionProtocol] = field(default_factory=set)  # every TCP connection
    unupgraded: set[_ConnectionProtocol] = field(default_factory=set)  # plain HTTP so far
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    draining: bool = False


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
        self.address = ""
        self.refusal: Refusal | None = None  # set when over a cap: answered, then closed
        # The current request must be complete by then (monotonic); None while it is answered.
        self.deadline: float | None = None
        self.received = False  # bytes of a request not answered yet
        self.dropped = False  # cut for its behaviour: nothing more is read or written
        self.lingering = False  # an HTTP connection closing: its input is read and discarded
        self.output_full = False  # the transport asked to pause writing
        self.reading = True

    # -- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport, though uvloop's is no subclass of asyncio.Transport.
        self.transport = cast(asyncio.Transport, transport)
        shared = self.shared
        shared.every.add(self)
        shared.unupgraded.add(self)
        peer = transport.get_extra_info("peername")
        self.address = str(peer[0]) if isinstance(peer, tuple) and peer else ""
        self.refusal = shared.admission.admit(self.address)
        grace = shared.config.http_request_timeout
        if self.refusal is not None:
            shared.hub.metrics.refused_connections.labels(self.refusal.reason).inc()
            grace = min(grace, REFUSED_GRACE_S)
        self.deadline = time.monotonic() + grace

    def data_received(self, data: bytes) -> None:
        if self.dropped or self.lingering:
            return
        if self.ws is not None:
            self.ws.receive_data(data)
            self._ws_events()
            return
        self.received = True
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
        self.shared.unupgraded.discard(self)
        if self.refusal is None:
            self.shared.admission.release(self.address)
        self._forget()

    def pause_writing(self) -> None:
        # An HTTP client not reading its answers gets no more of them until it does.
        self.output_full = True
        self._update_reading()

    def resume_writing(self) -> None:
        self.output_full = False
        self._update_reading()

    def _update_reading(self) -> None:
        """Read unless an HTTP request is being answered or its answers are not being read
        (WebSocket input is always read: closes and pongs must get through)."""
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        http_held = self.ws is None and not self.lingering and (self.busy or self.output_full)
        wanted = not self.dropped and not http_held
        if wanted != self.reading:
            self.reading = wanted
            if wanted:
                transport.resume_reading()
            else:
                transport.pause_reading()

    def check_deadline(self, now: float) -> None:
        """Close a connection whose request (or upgrade) is not complete in time: 408 if it
        began one."""
        if self.ws is not None or self.deadline is None or now < self.deadline:
            return
        if self.transport is None or self.transport.is_closing():
            return
        self.deadline = None
        self.shared.hub.metrics.dropped_connections.labels("request_timeout").inc()
        if self.received:
            body = b'{"error":"Request not complete in time"}'
            self._out(
                b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\n"
                b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(body), body)
            )
        self._close_transport()

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
                if self.first and self.shared.upgrades and _is_upgrade(event):
                    self._upgrade()
                    return
                if self.refusal is not None:
                    self._refuse_request(self.refusal)
                    return
                self.request, self.body = event, bytearray()
            elif isinstance(event, h11.Data):
                self.body += event.data
                if len(self.body) > MAX_HTTP_BODY:
                    self._respond_now(HttpResponse(413, b'{"error":"Body too large"}'), True)
                    return
            elif isinstance(event, h11.EndOfMessage):
                self.first, self.raw, self.busy = False, bytearray(), True
                self.deadline = None
                self._update_reading()
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

    def _refuse_request(self, refusal: Refusal) -> None:
        body = wire.json_string({"error": refusal.message}).encode()
        headers = (("retry-after", str(RETRY_AFTER_S)),)
        self._respond_now(HttpResponse(refusal.status, body, headers=headers), close=True)

    def _respond_now(self, response: HttpResponse, close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        headers = [
            ("content-type", response.content_type),
            ("content-length", str(len(response.body))),
            *response.headers,
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
        if not self._out(out):
            return
        if close or self.http.our_state is h11.MUST_CLOSE:
            self._close_transport()
            return
        try:
            self.http.start_next_cycle()
        except h11.LocalProtocolError:
            self._close_transport()
            return
        self.busy, self.received = False, False
        self.deadline = time.monotonic() + self.shared.config.http_request_timeout
        self._update_reading()
        self._http_events()

    # -- WebSocket ------------------------------------------------------------------------

    def _upgrade(self) -> None:
        shared = self.shared
        shared.unupgraded.discard(self)
        self.deadline = None
        ws = self.ws = RateLimitedServerProtocol(
            max_size=shared.config.max_frame_bytes,
            control_frames_per_second=shared.config.max_control_frames_per_second,
        )
        self._update_reading()
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
        if shared.draining:  # accepted before the listener closed, upgraded since
            self.close(RECONNECT, "Server draining")
            return
        if self.refusal is not None:  # pusher-js backs off, then tries again
            refused = {"code": OVER_CAPACITY, "message": self.refusal.message}
            self.write(wire.event_frame("pusher:error", refused))
            self.close(OVER_CAPACITY, self.refusal.message)
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
                    self._deliver(frame.data)
                else:
                    self.fragments = bytearray(frame.data)
            elif frame.opcode is Opcode.CONT and self.fragments is not None:
                self.fragments += frame.data
                if len(self.fragments) > self.shared.config.max_frame_bytes:
                    self.close(1009, "Message too big")
                elif frame.fin:
                    message, self.fragments = bytes(self.fragments), None
                    self._deliver(message)
            else:  # ping (answered by websockets), pong, close
                self.pusher.last_seen = time.monotonic()
                self.pusher.ping_sent_at = None
        ws = self.ws
        if isinstance(ws, RateLimitedServerProtocol) and ws.flooded and self.pusher is not None:
            self.shared.hub.metrics.dropped_connections.labels("control_frames").inc()
            self.close(OVER_CAPACITY, "Too many WebSocket pings")
            self.dropped = True  # its close reply is not waited for: cut after the grace
            self._update_reading()

    def _deliver(self, message: bytes | bytearray | memoryview) -> None:
        """One client message to its session: refused if nested too deeply; whatever it
        raises ends as a pusher:error, never as a dropped socket (closing would have pusher-js
        reconnect and send it again)."""
        pusher = self.pusher
        if pusher is None:
            return
        if isinstance(message, memoryview):
            message = message.tobytes()
        limit = self.shared.config.max_json_depth
        if wire.nested_deeper_than(message, limit):
            pusher.last_seen, pusher.ping_sent_at = time.monotonic(), None
            refused = {"code": MESSAGE_REFUSED, "message": f"Nested deeper than {limit} levels"}
            self.shared.hub.metrics.frames_out.inc()
            self.write(wire.event_frame("pusher:error", refused))
            return
        try:
            pusher.on_message(message)
        except Exception:  # a bug, logged as one; the client is told, and kept
            log.exception("client message failed", extra=pusher.log_extra)
            failed = {"code": MESSAGE_REFUSED, "message": "The message could not be handled"}
            self.write(wire.event_frame("pusher:error", failed))

    def _flush(self) -> None:
        if self.ws is None or self.transport is None:
            return
        for chunk in self.ws.data_to_send():
            if not chunk:
                self._close_transport()
            elif not self._out(chunk):
                break
        if self.ws.state is State.CLOSED:
            self._close_transport()
        elif self.ws.close_expected() and self.abort_timer is None:
            self.abort_timer = asyncio.get_running_loop().call_later(CLOSE_GRACE_S, self._abort)

    # -- Link -----------------------------------------------------------------------------

    def write(self, frame: bytes) -> None:
        if self.ws is None or self.ws.state is not State.OPEN:
            return
        self._out(frame)

    def _out(self, data: bytes) -> bool:
        """Write, unless the client lets its unsent output grow past the limit: then it is
        dropped (False), and nothing more is read from or written to it."""
        transport = self.transport
        if transport is None or self.dropped or self.lingering:
            return False
        transport.write(data)
        if transport.get_write_buffer_size() <= self.shared.config.max_write_buffer_bytes:
            return True
        self.dropped = True
        self._update_reading()
        self.shared.hub.metrics.dropped_connections.labels("slow_reader").inc()
        # Never re-enter the hub while it iterates its subscribers.
        asyncio.get_running_loop().call_soon(self._drop_slow)
        return False

    def _drop_slow(self) -> None:
        """Close 4100 past the full buffer (a client merely slow may still read it), then cut
        the connection if it is not gone within the close grace."""
        transport = self.transport
        if self.ws is not None and self.ws.state is State.OPEN and transport is not None:
            self.ws.send_close(OVER_CAPACITY, "Client too slow")
            for chunk in self.ws.data_to_send():
                if chunk and not transport.is_closing():
                    transport.write(chunk)
        self._forget()
        self._close_transport()

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
            # The client closing first (a page unloading, pusher.disconnect()) read what it
            # wanted; a lost network, or a close we began, may have left frames unread.
            clean = self.ws is not None and bool(self.ws.close_rcvd_then_sent)
            self.pusher.closed(clean=clean)

    def _close_transport(self, linger: bool = True) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            return
        if linger and self.ws is None and not self.lingering and transport.can_write_eof():
            # The client may still be sending (a body, a trickled request): closing at once
            # would reset the connection, and it could lose the answer. Shut down writing,
            # discard what it sends until it closes, cut it after the grace.
            self.lingering, self.deadline = True, None
            transport.write_eof()
            self._update_reading()
        else:
            transport.close()
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
    """A started server: `port` to reach it, `drain(seconds)` or `close()` to stop it;
    `metrics_port` serves GET /metrics when it was asked for."""

    def __init__(
        self,
        server: asyncio.Server,
        shared: _Shared,
        sweeper: asyncio.Task[None],
        metrics: tuple[asyncio.Server, _Shared] | None = None,
    ):
        self._server, self._shared, self._sweeper = server, shared, sweeper
        self._metrics = metrics
        sockname = server.sockets[0].getsockname()
        self.host: str = sockname[0]
        self.port: int = sockname[1]
        self.metrics_port: int | None = (
            metrics[0].sockets[0].getsockname()[1] if metrics is not None else None
        )

    @property
    def hub(self) -> Hub:
        return self._shared.hub

    @property
    def connection_count(self) -> int:
        return len(self._shared.sockets)

    @property
    def draining(self) -> bool:
        return self._shared.draining

    async def drain(self, seconds: float) -> None:
        """Hand every client over to the other instances without a herd, then close.

        The listener closes at once (new connections are refused; `/readyz` answers 503 on the
        connections already open, a load balancer's keep-alive probe among them). The open
        Pusher connections are then closed with 4200 in equal slices spread over `seconds`:
        pusher-js reconnects at once on 4200, so its reconnections arrive elsewhere as a steady
        stream. Returns after `seconds` (at once if there was no connection).
        """
        shared = self._shared
        shared.draining = True
        self._server.close()
        sockets = list(shared.sockets)
        log.info("draining", extra={"connections": len(sockets), "seconds": seconds})
        loop = asyncio.get_running_loop()
        start = loop.time()
        seconds = max(0.0, seconds)
        count = len(sockets)
        slices = max(1, min(count, math.ceil(seconds / DRAIN_SLICE_S)))
        for index in range(slices if count else 0):
            await asyncio.sleep(max(0.0, start + index * seconds / slices - loop.time()))
            for socket in sockets[index * count // slices : (index + 1) * count // slices]:
                if socket in shared.sockets:
                    socket.close(RECONNECT, "Server draining")
        if count:
            # The last slice's closing handshakes complete before close() cuts what is left.
            await asyncio.sleep(max(0.0, start + seconds - loop.time()))
        await self.close()

    async def close(self) -> None:
        """Stop listening and tell clients to reconnect (4200), then drop every socket."""
        self._sweeper.cancel()
        self._server.close()
        if self._metrics is not None:
            self._metrics[0].close()
        for socket in list(self._shared.sockets):
            socket.close(RECONNECT, "Server shutting down")
        await asyncio.sleep(0)
        listeners = [self._shared] + ([self._metrics[1]] if self._metrics is not None else [])
        for shared in listeners:
            for connection in list(shared.every):
                connection._close_transport(linger=False)
        with contextlib.suppress(asyncio.CancelledError):
            await self._sweeper
        await self._server.wait_closed()
        if self._metrics is not None:
            await self._metrics[0].wait_closed()


async def _sweep(listeners: Sequence[_Shared], interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        now = time.monotonic()
        for shared in listeners:
            for socket in list(shared.sockets):
                if socket.pusher is not None:
                    socket.pusher.check_idle(now)
            for connection in list(shared.unupgraded):
                connection.check_deadline(now)


async def start_server(
    hub: Hub,
    config: ServerConfig | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    readiness: Readiness | None = None,
    metrics_host: str = "127.0.0.1",
    metrics_port: int | None = None,
) -> RunningServer:
    """Serve the Pusher protocol, the Pusher HTTP API and ops endpoints on one port, and GET
    /metrics on `metrics_port` (0: a free one; None: not at all)."""
    config = config or ServerConfig()

    async def ready() -> bool:  # not while draining: a load balancer stops sending clients
        if shared.draining:
            return False
        result = readiness() if readiness is not None else True
        return bool(await result) if inspect.isawaitable(result) else bool(result)

    def caps() -> Admission:
        return Admission(config.max_connections, config.max_connections_per_address)

    shared = _Shared(hub, config, HttpApi(hub, config, ready), caps())
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _ConnectionProtocol(shared), host, port)
    metrics: tuple[asyncio.Server, _Shared] | None = None
    if metrics_port is not None:
        ops = _Shared(hub, config, MetricsEndpoint(hub.metrics), caps(), upgrades=False)
        try:
            listener = await loop.create_server(
                lambda: _ConnectionProtocol(ops), metrics_host, metrics_port
            )
            metrics = (listener, ops)
        except OSError:
            # Clients matter more than metrics: serve them, and say so loudly.
            log.error(
                "metrics listener not started: %s:%s unavailable",
                metrics_host,
                metrics_port,
                exc_info=True,
            )
    listeners = [shared] + ([metrics[1]] if metrics is not None else [])
    sweeper = asyncio.create_task(
        _sweep(listeners, config.sweep_interval), name="pusher-idle-sweeper"
    )
    running = RunningServer(server, shared, sweeper, metrics)
    log.info(
        "pusher server listening",
        extra={"host": running.host, "port": running.port, "metrics_port": running.metrics_port},
    )
    return running
