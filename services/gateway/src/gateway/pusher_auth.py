"""The gateway's answers to pusher-js: channel and sign-in authorisations for a signed-in user,
signed by `pusher_signing` with the app in the settings. A user's `user_info` is
`{id, name, role}` (docs/rest.md)."""

import base64

import orjson

from gateway.schemas import UserPublic
from gateway.settings import GatewaySettings
from pusher_signing import shared_secret, sign_channel, sign_user


def _member(user: UserPublic, id_field: str) -> str:
    # The exact JSON string the signature covers and the client passes on, byte for byte.
    info = {"id": user.id, "name": user.name, "role": user.role.value}
    return orjson.dumps({id_field: str(user.id), "user_info": info}).decode()


def channel_authorisation(
    settings: GatewaySettings, user: UserPublic, socket_id: str, channel: str
) -> dict[str, str]:
    """`{"auth"}`, with `channel_data` for a presence channel and `shared_secret` for an
    encrypted one (when the app has a master key)."""
    key, secret = settings.pusher_app_key, settings.pusher_app_secret.get_secret_value()
    if channel.startswith("presence-"):
        data = _member(user, "user_id")
        return {"auth": sign_channel(key, secret, socket_id, channel, data), "channel_data": data}
    answer = {"auth": sign_channel(key, secret, socket_id, channel)}
    master = settings.pusher_encryption_master_key_base64
    if channel.startswith("private-encrypted-") and master is not None:
        answer["shared_secret"] = shared_secret(
            base64.b64decode(master.get_secret_value()), channel
        )
    return answer


def user_authentication(
    settings: GatewaySettings, user: UserPublic, socket_id: str
) -> dict[str, str]:
    """`{"auth", "user_data"}` for `pusher:signin`."""
    data = _member(user, "id")
    key, secret = settings.pusher_app_key, settings.pusher_app_secret.get_secret_value()
    return {"auth": sign_user(key, secret, socket_id, data), "user_data": data}
