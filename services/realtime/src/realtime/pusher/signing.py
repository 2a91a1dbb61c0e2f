"""The Pusher signatures (`pusher_signing`) with realtime's apps: a subscription or sign-in is
checked against its connection's app, and an HTTP API call finds its app by `auth_key`."""

from __future__ import annotations

from collections.abc import Mapping

import pusher_signing
from realtime.pusher.apps import App, AppRegistry


def sign_channel(app: App, socket_id: str, channel: str, channel_data: str | None = None) -> str:
    """The `auth` value for a private-/presence-/private-encrypted- subscription: "key:hex"."""
    return pusher_signing.sign_channel(app.key, app.secret, socket_id, channel, channel_data)


def sign_user(app: App, socket_id: str, user_data: str) -> str:
    """The `auth` value for `pusher:signin`; `user_data` is the exact JSON string sent along."""
    return pusher_signing.sign_user(app.key, app.secret, socket_id, user_data)


def shared_secret(app: App, channel: str) -> str:
    """Base64 key a client decrypts a private-encrypted- channel with; the server never does."""
    if app.encryption_master_key is None:
        raise ValueError(f"app {app.id!r} has no encryption master key")
    return pusher_signing.shared_secret(app.encryption_master_key, channel)


def verify_channel(
    app: App, socket_id: str, channel: str, auth: object, channel_data: str | None = None
) -> bool:
    return pusher_signing.verify_channel(
        app.key, app.secret, socket_id, channel, auth, channel_data
    )


def verify_user(app: App, socket_id: str, auth: object, user_data: str) -> bool:
    return pusher_signing.verify_user(app.key, app.secret, socket_id, auth, user_data)


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
    refusal = pusher_signing.request_refusal(app.secret, method, path, params, body, now=now)
    return app if refusal is None else refusal
