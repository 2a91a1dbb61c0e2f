"""Channel names: validity rules and the kind a name's prefix gives it."""

from __future__ import annotations

import re
from enum import StrEnum

MAX_NAME_LENGTH = 164
SERVER_TO_USER_PREFIX = "#server-to-user-"
# Matched whole (fullmatch): `$` would also accept a trailing newline, which NATS refuses.
_SOCKET_ID = re.compile(r"[0-9]+\.[0-9]+")
_NAME = re.compile(r"[A-Za-z0-9_\-=@,.;]+")


class ChannelKind(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    ENCRYPTED = "private-encrypted"
    PRESENCE = "presence"
    SERVER_TO_USER = "server-to-user"


def is_valid_name(name: object) -> bool:
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME_LENGTH:
        return False
    if name.startswith(SERVER_TO_USER_PREFIX):
        return len(name) > len(SERVER_TO_USER_PREFIX) and bool(
            _NAME.fullmatch(name[len(SERVER_TO_USER_PREFIX) :])
        )
    return bool(_NAME.fullmatch(name))


def is_valid_socket_id(socket_id: object) -> bool:
    """Two ASCII decimal numbers joined by a dot, as the server hands them out."""
    return (
        isinstance(socket_id, str)
        and len(socket_id) <= 64
        and bool(_SOCKET_ID.fullmatch(socket_id))
    )


def kind_of(name: str) -> ChannelKind:
    if name.startswith("private-encrypted-"):
        return ChannelKind.ENCRYPTED
    if name.startswith("private-"):
        return ChannelKind.PRIVATE
    if name.startswith("presence-"):
        return ChannelKind.PRESENCE
    if name.startswith(SERVER_TO_USER_PREFIX):
        return ChannelKind.SERVER_TO_USER
    return ChannelKind.PUBLIC


def needs_signature(kind: ChannelKind) -> bool:
    return kind in (ChannelKind.PRIVATE, ChannelKind.ENCRYPTED, ChannelKind.PRESENCE)


def accepts_client_events(kind: ChannelKind) -> bool:
    # Encrypted channels would need the server to encrypt; pusher-js refuses them too.
    return kind in (ChannelKind.PRIVATE, ChannelKind.PRESENCE)


def server_to_user_channel(user_id: str) -> str:
    return f"{SERVER_TO_USER_PREFIX}{user_id}"
