"""/broadcasting/auth and /broadcasting/user-auth: who may join which Pusher channel.

pusher-js posts form fields `socket_id` and `channel_name` with the user's Bearer token.
A user may join their own `private-live-refresh.{id}`, admins `private-live-refresh.admin`,
everyone signed in `presence-online`; anything else is 403.
"""

import re
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, status

from contracts.envelope import Role
from contracts.live import ADMIN_CHANNEL, ONLINE_CHANNEL, user_channel
from gateway import pusher_auth
from gateway.deps import CurrentUser, StateDep
from gateway.models import User

router = APIRouter(prefix="/broadcasting", tags=["broadcasting"])

SOCKET_ID = re.compile(r"^\d+\.\d+$")


def _may_join(user: User, channel: str) -> bool:
    assert user.id is not None
    if channel in (user_channel(user.id), ONLINE_CHANNEL):
        return True
    return channel == ADMIN_CHANNEL and user.role is Role.admin


def _check_socket(socket_id: str) -> None:
    if not SOCKET_ID.match(socket_id):
        raise HTTPException(
            422,
            [
                {
                    "loc": ["body", "socket_id"],
                    "msg": "not a Pusher socket id",
                    "type": "value_error",
                }
            ],
        )


@router.post("/auth")
async def authorise_channel(
    socket_id: Annotated[str, Form()],
    channel_name: Annotated[str, Form()],
    user: CurrentUser,
    state: StateDep,
) -> dict[str, str]:
    _check_socket(socket_id)
    if not _may_join(user, channel_name):
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"you may not join {channel_name}")
    settings = state.settings
    key, secret = settings.pusher_app_key, settings.pusher_app_secret.get_secret_value()
    assert user.id is not None
    if channel_name.startswith("presence-"):
        data = pusher_auth.presence_data(user.id, user.name, user.role.value)
        return {
            "auth": pusher_auth.channel_auth(key, secret, socket_id, channel_name, data),
            "channel_data": data,
        }
    answer = {"auth": pusher_auth.channel_auth(key, secret, socket_id, channel_name)}
    master = settings.pusher_encryption_master_key_base64
    if channel_name.startswith("private-encrypted-") and master is not None:
        answer["shared_secret"] = pusher_auth.shared_secret(master.get_secret_value(), channel_name)
    return answer


@router.post("/user-auth")
async def authenticate_user(
    socket_id: Annotated[str, Form()], user: CurrentUser, state: StateDep
) -> dict[str, str]:
    _check_socket(socket_id)
    assert user.id is not None
    settings = state.settings
    data = pusher_auth.user_data(user.id, user.name, user.role.value)
    auth = pusher_auth.user_auth(
        settings.pusher_app_key, settings.pusher_app_secret.get_secret_value(), socket_id, data
    )
    return {"auth": auth, "user_data": data}
