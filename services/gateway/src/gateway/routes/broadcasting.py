"""/broadcasting/auth and /broadcasting/user-auth: who may join which Pusher channel.

pusher-js posts form fields `socket_id` and `channel_name` with the user's Bearer token.
A user may join their own `private-live-refresh.{id}`, admins `private-live-refresh.admin`,
everyone signed in `presence-online`; anything else is 403 (docs/rest.md).
"""

import re
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, status

from contracts.envelope import Role
from contracts.live import ADMIN_CHANNEL, ONLINE_CHANNEL, user_channel
from gateway import pusher_auth
from gateway.routes.deps import CurrentUser, StateDep
from gateway.routes.errors import field_error, refusals
from gateway.schemas import UserPublic

router = APIRouter(prefix="/broadcasting", tags=["broadcasting"], responses=refusals(401, 403))

# ASCII digits in full: `\d` takes any Unicode digit, and `$` a trailing newline.
SOCKET_ID = re.compile(r"[0-9]{1,20}\.[0-9]{1,20}")


def _may_join(user: UserPublic, channel: str) -> bool:
    if channel in (user_channel(user.id), ONLINE_CHANNEL):
        return True
    return channel == ADMIN_CHANNEL and user.role is Role.admin


def _check_socket(socket_id: str) -> None:
    if not SOCKET_ID.fullmatch(socket_id):
        raise field_error("body", "socket_id", "not a Pusher socket id")


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
    return pusher_auth.channel_authorisation(state.settings, user, socket_id, channel_name)


@router.post("/user-auth")
async def authenticate_user(
    socket_id: Annotated[str, Form()], user: CurrentUser, state: StateDep
) -> dict[str, str]:
    _check_socket(socket_id)
    return pusher_auth.user_authentication(state.settings, user, socket_id)
