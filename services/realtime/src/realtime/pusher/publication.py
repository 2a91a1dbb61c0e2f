"""One event published on one channel: the value that travels from publisher to hub to sockets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Publication:
    """`event` with its JSON string `data`, for every subscriber of `channel` but one.

    The same fields as the NATS `ChannelFrame`, without pydantic: the Pusher server knows no
    contracts, and the NATS fan-out converts at its boundary.
    """

    app_id: str
    channel: str
    event: str
    data: str
    # The sender of a client event, or the socket id an HTTP publish asked to exclude.
    except_socket_id: str | None = None
    # Set on client events of presence channels: the sender's user id travels in the frame.
    user_id: str | None = None
