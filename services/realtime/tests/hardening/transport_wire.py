"""Support of the transport limit tests: a WebSocket client over raw asyncio streams, so a test
sends exactly the bytes it wants (pings without reading, broken frames) and sees every frame
and close code the server answers with."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import struct
from dataclasses import dataclass
from typing import Any

import orjson
from websockets.frames import Close, Frame, Opcode

ServerFrame = tuple[Opcode, bytes]


class Closed(Exception):
    """The server ended the connection: its close code (None without a close frame)."""

    def __init__(self, code: int | None) -> None:
        super().__init__(f"closed with {code}")
        self.code = code


@dataclass
class RawWebSocket:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    channel: str = ""  # the channel a test subscribed it to, if any

    def send_frame(self, opcode: Opcode, payload: bytes, fin: bool = True) -> None:
        self.writer.write(Frame(opcode, payload, fin=fin).serialize(mask=True))

    def send_json(self, message: Any) -> None:
        self.send_frame(Opcode.TEXT, orjson.dumps(message))

    async def frame(self, timeout: float = 10.0) -> ServerFrame:
        """The next frame; `Closed` on a close frame or the end of the stream."""
        try:
            head = await asyncio.wait_for(self.reader.readexactly(2), timeout)
            length = head[1] & 0x7F
            if length == 126:
                (length,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif length == 127:
                (length,) = struct.unpack("!Q", await self.reader.readexactly(8))
            payload = await asyncio.wait_for(self.reader.readexactly(length), timeout)
        except (asyncio.IncompleteReadError, ConnectionError):
            raise Closed(None) from None
        opcode = Opcode(head[0] & 0x0F)
        if opcode is Opcode.CLOSE:
            raise Closed(Close.parse(payload).code if payload else None)
        return opcode, payload

    async def message(self, timeout: float = 10.0) -> dict[str, Any]:
        """The next Pusher message, skipping control frames."""
        while True:
            opcode, payload = await self.frame(timeout)
            if opcode is Opcode.TEXT:
                message: dict[str, Any] = orjson.loads(payload)
                return message

    async def until(self, event: str, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The Pusher messages up to and including the first `event`."""
        seen: list[dict[str, Any]] = []
        while not seen or seen[-1]["event"] != event:
            seen.append(await self.message(timeout))
        return seen

    def abort(self) -> None:
        self.writer.transport.abort()


async def open_stream(
    port: int, receive_buffer: int | None = None
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TCP connection to the server; `receive_buffer` shrinks the kernel's receive buffer
    so that what the client does not read piles up on the server."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    return await asyncio.open_connection(sock=sock, limit=1024 * 1024)


def upgrade_request(path: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


async def open_websocket(
    port: int, key: str, receive_buffer: int | None = None
) -> tuple[RawWebSocket, int]:
    """A WebSocket to /app/{key}, with the HTTP status of its upgrade (101 if accepted)."""
    reader, writer = await open_stream(port, receive_buffer)
    writer.write(upgrade_request(f"/app/{key}?protocol=7&client=js&version=8.4.0"))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    status = int(head.split(b" ", 2)[1])
    return RawWebSocket(reader, writer), status


async def http_exchange(port: int, request: bytes, timeout: float = 10.0) -> bytes:
    """Send raw bytes, return everything the server sends until it closes the connection."""
    reader, writer = await open_stream(port)
    try:
        writer.write(request)
        return await asyncio.wait_for(reader.read(-1), timeout)
    finally:
        writer.transport.abort()


def vm_kib(pid: int, field: str) -> int:
    """A memory figure of a process from /proc/<pid>/status (VmRSS, VmHWM), in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)
