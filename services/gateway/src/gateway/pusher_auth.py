"""Signing Pusher channel and user authorisations, as a Pusher app backend does."""

import base64
import hashlib
import hmac

import orjson


def _sign(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def channel_auth(
    key: str, secret: str, socket_id: str, channel: str, channel_data: str | None = None
) -> str:
    message = f"{socket_id}:{channel}" + (f":{channel_data}" if channel_data is not None else "")
    return f"{key}:{_sign(secret, message)}"


def user_auth(key: str, secret: str, socket_id: str, user_data: str) -> str:
    return f"{key}:{_sign(secret, f'{socket_id}::user::{user_data}')}"


def shared_secret(master_key_base64: str, channel: str) -> str:
    """The per-channel key of a `private-encrypted-` channel (clients decrypt; we never do)."""
    master = base64.b64decode(master_key_base64)
    return base64.b64encode(hashlib.sha256(channel.encode() + master).digest()).decode()


def user_data(user_id: int, name: str, role: str) -> str:
    return orjson.dumps(
        {"id": str(user_id), "user_info": {"id": user_id, "name": name, "role": role}}
    ).decode()


def presence_data(user_id: int, name: str, role: str) -> str:
    return orjson.dumps(
        {"user_id": str(user_id), "user_info": {"id": user_id, "name": name, "role": role}}
    ).decode()
