"""Pusher's webhook wire format: the body, and the headers that sign it."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import orjson

from contracts.realtime import (
    ChannelLifecycleEvent,
    ChannelOccupied,
    ChannelVacated,
    ClientEventTriggered,
    MemberAdded,
    MemberRemoved,
)
from realtime.webhooks.config import WebhookApp

NAMES: dict[type[ChannelLifecycleEvent], str] = {
    ChannelOccupied: "channel_occupied",
    ChannelVacated: "channel_vacated",
    MemberAdded: "member_added",
    MemberRemoved: "member_removed",
    ClientEventTriggered: "client_event",
}


def webhook_event(event: ChannelLifecycleEvent) -> dict[str, Any]:
    """One entry of the body's `events`, as Pusher names and shapes it."""
    entry: dict[str, Any] = {"name": NAMES[type(event)], "channel": event.channel}
    if isinstance(event, MemberAdded | MemberRemoved):
        entry["user_id"] = event.user_id
    elif isinstance(event, ClientEventTriggered):
        entry |= {"event": event.event, "data": event.data, "socket_id": event.socket_id}
        if event.user_id is not None:  # presence channels only, as Pusher does
            entry["user_id"] = event.user_id
    return entry


def webhook_body(event: ChannelLifecycleEvent) -> bytes:
    # time_ms is when this POST is made: receivers (the pusher SDKs) reject stale bodies,
    # and a retry is a new webhook.
    return orjson.dumps({"time_ms": int(time.time() * 1000), "events": [webhook_event(event)]})


def signed_headers(app: WebhookApp, body: bytes) -> dict[str, str]:
    signature = hmac.new(app.secret.encode(), body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Pusher-Key": app.key,
        "X-Pusher-Signature": signature,
    }
