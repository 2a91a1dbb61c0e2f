"""Connecting to NATS the way every service does: never deaf for good.

A service started before NATS waits for it; a connection that drops reconnects forever. Each
wait is an exponential backoff with jitter, so a fleet of services does not hit a returning
server in step, and the logs say so at a bounded rate however long NATS is away.

`BusState` tells the rest of a service when the bus goes and comes back.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import nats
from nats.aio.client import Client, Server
from nats.errors import AuthorizationError

log = logging.getLogger(__name__)

# A listener may be a plain function (run inline) or a coroutine function (run as a task).
BusListener = Callable[[], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Wait `first` seconds, doubling up to `cap`, each wait drawn from its upper half."""

    first: float = 0.1
    cap: float = 2.0

    def delay(self, attempt: int) -> float:
        ceiling = min(self.cap, self.first * 2 ** min(attempt, 30))
        return random.uniform(ceiling / 2, ceiling)


class _Throttle:
    """At most one line per `every` seconds; the lines in between are counted, not written."""

    def __init__(self, every: float) -> None:
        self.every = every
        self._last: float | None = None
        self._quiet = 0

    def warning(self, message: str, *args: object, **extra: Any) -> None:
        self.log(logging.WARNING, message, *args, **extra)

    def error(self, message: str, *args: object, **extra: Any) -> None:
        self.log(logging.ERROR, message, *args, **extra)

    def log(self, level: int, message: str, *args: object, **extra: Any) -> None:
        now = time.monotonic()
        if self._last is not None and now - self._last < self.every:
            self._quiet += 1
            return
        if self._quiet:
            message, args = (
                message + " (%d more like it since the last report)",
                (*args, self._quiet),
            )
        log.log(level, message, *args, extra=extra)
        self._last, self._quiet = now, 0


class BusState:
    """Whether the NATS connection is up, and listeners for when it goes and comes back.

    `on_disconnected` listeners run when an established connection is lost (the client is then
    reconnecting by itself); `on_reconnected` listeners run once it is back, after the client
    has re-sent every subscription it holds to the server, so anything they publish or request
    goes out on the new connection. Neither runs for the final close at stop. A coroutine
    listener runs as its own task (a slow one delays nothing else); a plain function runs
    inline and must be quick. A listener's failure is logged and does not affect the others.
    Registration returns a function that unregisters.
    """

    def __init__(self) -> None:
        self._client: Client | None = None
        self._disconnected: list[BusListener] = []
        self._reconnected: list[BusListener] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.disconnects = 0
        self.reconnects = 0

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    def on_disconnected(self, listener: BusListener) -> Callable[[], None]:
        return _register(self._disconnected, listener)

    def on_reconnected(self, listener: BusListener) -> Callable[[], None]:
        return _register(self._reconnected, listener)

    def _attach(self, client: Client) -> None:
        self._client = client

    def _lost(self) -> None:
        self.disconnects += 1
        self._fire(self._disconnected, "disconnected")

    def _back(self) -> None:
        self.reconnects += 1
        self._fire(self._reconnected, "reconnected")

    def _fire(self, listeners: list[BusListener], what: str) -> None:
        for listener in list(listeners):
            try:
                result = listener()
            except Exception:
                log.exception("a bus %s listener failed", what)
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                task.add_done_callback(_log_failure)


def _register(listeners: list[BusListener], listener: BusListener) -> Callable[[], None]:
    listeners.append(listener)

    def unregister() -> None:
        if listener in listeners:
            listeners.remove(listener)

    return unregister


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("a bus listener failed", exc_info=task.exception())


def inbox_prefix(user: str | None) -> str:
    """Where a user's replies arrive: under its own prefix, which NATS lets only it read."""
    return f"_INBOX.{user}" if user else "_INBOX"


@dataclass(frozen=True, slots=True)
class Credentials:
    """A NATS user and password; the user also names the inbox prefix."""

    user: str
    password: str

    def options(self) -> dict[str, Any]:
        """The keyword arguments of `nats.connect` that log in as this user."""
        return {
            "user": self.user,
            "password": self.password,
            "inbox_prefix": inbox_prefix(self.user),
        }


def _is_refusal(exc: Exception) -> bool:
    """A wrong password, or a permission the user lacks (the client lowercases the latter)."""
    text = str(exc).lower()
    return isinstance(exc, AuthorizationError) or any(
        refusal in text for refusal in ("authorization violation", "permissions violation")
    )


async def connect(
    url: str,
    name: str,
    *,
    credentials: Credentials | None = None,
    bus: BusState | None = None,
    backoff: Backoff = Backoff(),
    log_every: float = 30.0,
    ping_interval: int = 15,
) -> Client:
    """Connect to `url` (several servers: comma-separated), waiting as long as it takes.

    Returns once connected; from then on the client reconnects by itself, forever. A dead link
    that the OS does not report is found by pings within about three `ping_interval`s.
    """
    servers = [part.strip() for part in url.split(",") if part.strip()]
    throttle = _Throttle(log_every)
    refusals = _Throttle(log_every)
    bus = bus or BusState()
    outage_started: list[float] = []

    async def disconnected() -> None:
        if client.is_closed:  # the final close at stop, not an outage
            return
        outage_started[:] = [time.monotonic()]
        log.warning("nats disconnected; reconnecting", extra={"service": name})
        bus._lost()

    async def reconnected() -> None:
        away = time.monotonic() - outage_started[0] if outage_started else 0.0
        log.info("nats reconnected after %.1fs", away, extra={"service": name})
        bus._back()

    async def error(exc: Exception) -> None:
        if _is_refusal(exc):
            # A permission this service lacks (or a wrong password): a deployment error that
            # must be seen, so it is logged at error level, at the same bounded rate.
            refusals.error(
                "nats refused user %s: %s",
                credentials.user if credentials else "(none)",
                exc,
                service=name,
            )
            return
        throttle.warning("nats: %r", exc, service=name)

    def next_server(pool: list[Server], _: dict[str, Any]) -> tuple[Server | None, float]:
        # The least tried server (the pool is shuffled), after a wait that grows with its tries.
        chosen = min(pool, key=lambda server: server.reconnects)
        return chosen, backoff.delay(chosen.reconnects)

    await _wait_for_a_server(servers, name, backoff, throttle)
    client: Client = await nats.connect(
        servers,
        name=name,
        allow_reconnect=True,
        max_reconnect_attempts=-1,
        # Only for the rare server that vanishes between the wait above and the connect.
        reconnect_time_wait=int(backoff.cap) or 1,
        reconnect_to_server_handler=next_server,
        ping_interval=ping_interval,
        max_outstanding_pings=2,
        disconnected_cb=disconnected,
        reconnected_cb=reconnected,
        error_cb=error,
        **(credentials.options() if credentials else {}),
    )
    bus._attach(client)
    return client


async def close(client: Client) -> None:
    """Drain when connected (what was received is handled, what was published goes out);
    otherwise just close, which also ends the reconnecting."""
    if client.is_closed:
        return
    if client.is_connected:
        await client.drain()
    else:
        await client.close()


async def _wait_for_a_server(
    servers: list[str], name: str, backoff: Backoff, throttle: _Throttle
) -> None:
    """Until one of `servers` greets with its INFO line: NATS up and accepting clients."""
    started = time.monotonic()
    attempt = 0
    while True:
        for server in servers:
            if await _greets(server):
                if attempt:
                    log.info(
                        "nats reachable after %.1fs",
                        time.monotonic() - started,
                        extra={"service": name},
                    )
                return
        throttle.warning("nats unreachable at %s; waiting for it", ",".join(servers), service=name)
        await asyncio.sleep(backoff.delay(attempt))
        attempt += 1


async def _greets(server: str, timeout: float = 2.0) -> bool:
    parts = urlsplit(server if "://" in server else f"nats://{server}")
    if parts.scheme not in ("nats", "tls"):
        return True  # (WebSocket URLs) nothing to probe: the client's own loop waits
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname or "localhost", parts.port or 4222), timeout
        )
    except (OSError, TimeoutError):
        return False
    try:
        line = await asyncio.wait_for(reader.readline(), timeout)
        return line.startswith(b"INFO")
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
