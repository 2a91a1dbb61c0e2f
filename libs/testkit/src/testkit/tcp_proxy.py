"""A loopback TCP proxy that can play a client losing its network: cut every live connection
abruptly and refuse new ones until it is back online."""

from __future__ import annotations

import asyncio
import contextlib


class FlakyNetwork:
    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.online = True
        self._server: asyncio.Server | None = None
        self._links: set[asyncio.StreamWriter] = set()
        self._clients: set[asyncio.StreamWriter] = set()
        # Server sides of silently dropped links: left open, fed nothing, read into the void.
        self._black_holes: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()

    async def start(self) -> FlakyNetwork:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def go_offline(self, silently: bool = False) -> None:
        """Drop every connection without a close handshake, and refuse new ones.

        `silently`: only the client sees its connection drop; the server's side stays open and
        hears nothing more, as when a phone loses its network, until the server's own ping
        finds it dead.
        """
        self.online = False
        for writer in list(self._links):
            if silently and writer not in self._clients:
                self._black_holes.add(writer)
            else:
                writer.transport.abort()
        self._links.clear()
        self._clients.clear()

    def go_online(self) -> None:
        self.online = True

    async def close(self) -> None:
        self.go_offline()
        for writer in self._black_holes:
            writer.transport.abort()
        for pump in list(self._pumps):
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.online:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.transport.abort()
            return
        self._links |= {writer, up_writer}
        self._clients.add(writer)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            pump = asyncio.create_task(self._pump(source, sink))
            self._pumps.add(pump)
            pump.add_done_callback(self._pumps.discard)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                if sink not in self._black_holes:
                    sink.write(data)
                    await sink.drain()
        if sink not in self._black_holes:
            sink.transport.abort()
        self._links.discard(sink)
