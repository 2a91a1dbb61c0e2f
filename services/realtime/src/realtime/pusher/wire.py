"""Pusher messages as bytes: JSON built once with orjson, wrapped once in a server frame."""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

import orjson
from websockets.frames import Frame, Opcode


def text_frame(payload: bytes) -> bytes:
    """An unmasked, uncompressed server text frame, ready for `transport.write`."""
    return Frame(Opcode.TEXT, payload).serialize(mask=False)


def message(
    event: str, data: Any = None, channel: str | None = None, user_id: str | None = None
) -> bytes:
    """A Pusher message; channel events carry `data` as a JSON string, pusher: events as-is."""
    body: dict[str, Any] = {"event": event}
    if channel is not None:
        body["channel"] = channel
    if data is not None:
        body["data"] = data
    if user_id is not None:
        body["user_id"] = user_id
    return orjson.dumps(body)


def event_frame(
    event: str, data: Any = None, channel: str | None = None, user_id: str | None = None
) -> bytes:
    return text_frame(message(event, data, channel, user_id))


def json_string(value: Any) -> str:
    return orjson.dumps(value).decode()


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"?', re.DOTALL)
# Keeps only brackets, as signed steps: an opening one 1, a closing one -1 (0xFF).
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def nested_deeper_than(payload: bytes | bytearray, limit: int) -> bool:
    """Whether JSON text nests arrays and objects more than `limit` levels (brackets inside
    strings do not count); cheap for the usual message, which has fewer brackets than that."""
    if payload.count(b"[") + payload.count(b"{") <= limit:
        return False
    brackets = _JSON_STRING.sub(b"", payload).translate(_STEPS, _NOT_BRACKETS)
    return max(accumulate(memoryview(brackets).cast("b")), default=0) > limit
