"""Subscription and sign-in authorisations: `"<key>:<hex hmac>"` over what the client sends, and
the per-channel key of a `private-encrypted-` channel."""

import base64
import hashlib

from pusher_signing.digest import hmac_hex, same


def sign_channel(
    key: str, secret: str, socket_id: str, channel: str, channel_data: str | None = None
) -> str:
    """The `auth` of a private-, presence- or private-encrypted- subscription. A presence
    signature covers `channel_data`, the exact JSON string sent along."""
    message = f"{socket_id}:{channel}" + ("" if channel_data is None else f":{channel_data}")
    return f"{key}:{hmac_hex(secret, message)}"


def sign_user(key: str, secret: str, socket_id: str, user_data: str) -> str:
    """The `auth` of `pusher:signin`; `user_data` is the exact JSON string sent along."""
    return f"{key}:{hmac_hex(secret, f'{socket_id}::user::{user_data}')}"


def verify_channel(
    key: str,
    secret: str,
    socket_id: str,
    channel: str,
    auth: object,
    channel_data: str | None = None,
) -> bool:
    return same(auth, sign_channel(key, secret, socket_id, channel, channel_data))


def verify_user(key: str, secret: str, socket_id: str, auth: object, user_data: str) -> bool:
    return same(auth, sign_user(key, secret, socket_id, user_data))


def shared_secret(master_key: bytes, channel: str) -> str:
    """The base64 key clients decrypt a `private-encrypted-` channel with (servers never do),
    derived from the app's 32-byte encryption master key."""
    return base64.b64encode(hashlib.sha256(channel.encode() + master_key).digest()).decode()
