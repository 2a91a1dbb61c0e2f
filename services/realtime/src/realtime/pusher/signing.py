"""HMAC-SHA256 signatures of the Pusher protocol: channel auth, user auth, HTTP API requests.

The `sign_*` helpers are what an auth endpoint (the gateway) calls; `verify_*` are what the
server calls. All comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping

from realtime.pusher.apps import App, AppRegistry

API_TIMESTAMP_TOLERANCE_S = 600


def hmac_hex(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def sign_channel(app: App, socket_id: str, channel: str, channel_data: str | None = None) -> str:
    """The `auth` value for a private-/presence-/private-encrypted- subscription: "key:hex"."""
    message = (
        f"{socket_id}:{channel}"
        if channel_data is None
        else (f"{socket_id}:{channel}:{channel_data}")
    )
    return f"{app.key}:{hmac_hex(app.secret, message)}"


def sign_user(app: App, socket_id: str, user_data: str) -> str:
    """The `auth` value for `pusher:signin`; `user_data` is the exact JSON string sent along."""
    return f"{app.key}:{hmac_hex(app.secret, f'{socket_id}::user::{user_data}')}"


def shared_secret(app: App, channel: str) -> str:
    """Base64 key a client decrypts a private-encrypted- channel with; the server never does."""
    if app.encryption_master_key is None:
        raise ValueError(f"app {app.id!r} has no encryption master key")
    digest = hashlib.sha256(channel.encode() + app.encryption_master_key).digest()
    return base64.b64encode(digest).decode()


def _matches(app: App, auth: object, expected: str) -> bool:
    return isinstance(auth, str) and hmac.compare_digest(auth.encode(), expected.encode())


def verify_channel(
    app: App, socket_id: str, channel: str, auth: object, channel_data: str | None = None
) -> bool:
    return _matches(app, auth, sign_channel(app, socket_id, channel, channel_data))


def verify_user(app: App, socket_id: str, auth: object, user_data: str) -> bool:
    return _matches(app, auth, sign_user(app, socket_id, user_data))


def sign_request(secret: str, method: str, path: str, params: Mapping[str, str]) -> str:
    """Signature of an HTTP API call: method, path and the sorted, unescaped query."""
    query = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "auth_signature")
    return hmac_hex(secret, f"{method.upper()}\n{path}\n{query}")


def verify_request(
    apps: AppRegistry,
    method: str,
    path: str,
    params: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
) -> App | str:
    """The calling app if the request is signed correctly, else the reason it is not."""
    params = {k.lower(): v for k, v in params.items()}
    app = apps.by_key(params.get("auth_key", ""))
    if app is None:
        return "Unknown auth_key"
    try:
        timestamp = int(params.get("auth_timestamp", ""))
    except ValueError:
        return "Missing or invalid auth_timestamp"
    current = time.time() if now is None else now
    if abs(current - timestamp) > API_TIMESTAMP_TOLERANCE_S:
        return "Timestamp expired: more than 600 s from server time"
    if params.get("auth_version", "1.0") != "1.0":
        return "Unsupported auth_version"
    if body and params.get("body_md5") != hashlib.md5(body).hexdigest():
        return "body_md5 does not match the body"
    expected = sign_request(app.secret, method, path, params)
    if not hmac.compare_digest(params.get("auth_signature", "").encode(), expected.encode()):
        return "Invalid signature"
    return app
