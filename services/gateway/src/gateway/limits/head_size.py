"""431 for a request head (request line and headers) larger than `max_header_bytes`.

uvicorn's httptools protocol sets no bound on a head: llhttp leaves that to its embedder, and
httptools gathers a header's value until it ends. This protocol counts the URL and each header
as the parser hands them over, and, for a head still incomplete, the bytes received so far; past
the limit it answers 431 and closes, so at most the limit plus one read is held.
"""

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _HeadTooLarge(Exception):
    pass


class _HeadSizeLimitedProtocol(HttpToolsProtocol):
    max_head_bytes = 16 * 1024
    _parsed_bytes = 0  # URL and headers of the current head, as parsed
    _received_bytes = 0  # bytes received while the current head is incomplete
    _head_complete = False
    _head_too_large = False

    def on_message_begin(self) -> None:
        self._parsed_bytes = self._received_bytes = 0
        self._head_complete = False
        super().on_message_begin()

    def on_url(self, url: bytes) -> None:
        self._count(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value))
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._head_complete = True
        super().on_headers_complete()

    def _count(self, size: int) -> None:
        self._parsed_bytes += size
        if self._parsed_bytes > self.max_head_bytes:
            self._head_too_large = True
            raise _HeadTooLarge  # stops the parser; uvicorn answers its error below

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head_complete or self.transport.is_closing():
            return
        self._received_bytes += len(data)
        if self._received_bytes > self.max_head_bytes:
            self._head_too_large = True
            self.send_400_response("")

    def send_400_response(self, msg: str) -> None:
        if not self._head_too_large:
            super().send_400_response(msg)
            return
        if self.cycle is None or self.cycle.response_complete:
            body = json.dumps(
                {"detail": f"request headers larger than {self.max_head_bytes} bytes"}
            ).encode()
            head = [b"HTTP/1.1 431 Request Header Fields Too Large\r\n"]
            defaults = self.server_state.default_headers
            head += [name + b": " + value + b"\r\n" for name, value in defaults]
            head += [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(body)).encode() + b"\r\n",
                b"connection: close\r\n\r\n",
            ]
            self.transport.write(b"".join(head) + body)
        # else a pipelined request's answer is still being written: no room for one of ours.
        self.transport.close()


def head_size_limited(max_head_bytes: int) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol, refusing heads past `max_head_bytes`."""
    return type(
        "HeadSizeLimitedProtocol", (_HeadSizeLimitedProtocol,), {"max_head_bytes": max_head_bytes}
    )
