"""A tiny real HTTP/1.1 server on loopback for tests: one request per connection, answered by a
plain function. It stands in for the backends our services call (auth endpoints, webhooks)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus

import h11


@dataclass(frozen=True)
class Incoming:
    method: str
    target: str
    headers: dict[str, str]  # names in lower case
    body: bytes


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    content_type: str = "application/json"


Handler = Callable[[Incoming], Answer | Awaitable[Answer]]


class LoopbackHttpServer:
    def __init__(self, handler: Handler, port: int = 0) -> None:
        self._handler = handler
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, h11.ProtocolError):
            incoming = await _read_request(reader)
            if incoming is not None:
                answer = self._handler(incoming)
                if not isinstance(answer, Answer):
                    answer = await answer
                writer.write(_render(answer))
                await writer.drain()
        writer.close()


async def _read_request(reader: asyncio.StreamReader) -> Incoming | None:
    conn = h11.Connection(h11.SERVER)
    request: h11.Request | None = None
    body = b""
    while True:
        event = conn.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            conn.receive_data(data)
            if not data:
                return None
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage) and request is not None:
            headers = {k.decode().lower(): v.decode() for k, v in request.headers}
            return Incoming(request.method.decode(), request.target.decode(), headers, body)
        else:
            return None


def _render(answer: Answer) -> bytes:
    head = (
        f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}\r\n"
        f"content-type: {answer.content_type}\r\n"
        f"content-length: {len(answer.body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + answer.body
