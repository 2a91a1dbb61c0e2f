"""Pusher messages as bytes: JSON built once with orjson, wrapped once in a server frame."""

from __future__ import annotations

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
