"""Demo users for the dev profile (docs/rest.md): admin, parent (with a child), trainer."""

import logging
from datetime import date

from nats.aio.client import Client

from contracts.bookings import CreateChild
from contracts.envelope import Actor, Role
from contracts.errors import ServiceError
from gateway import users
from gateway.state import GatewayState
from messaging.requests import request

log = logging.getLogger(__name__)

DEMO_USERS = (
    ("admin@cams.test", "Ada Admin", Role.admin),
    ("parent@cams.test", "Pat Parent", Role.parent),
    ("trainer@cams.test", "Tom Trainer", Role.trainer),
)


async def seed_demo_users(state: GatewayState) -> None:
    """Create the demo users once; the parent's first child is asked of the bookings service."""
    password = state.settings.dev_password.get_secret_value()
    for email, name, role in DEMO_USERS:
        if await users.is_registered(state.new_uow(), email):
            continue
        user = await users.create(state.new_uow(), email, name, role, password)
        if role is Role.parent:
            await _first_child(state.nc, Actor(user_id=user.id, role=role, name=name))


async def _first_child(nc: Client, parent: Actor) -> None:
    try:
        await request(
            nc,
            CreateChild(
                actor=parent, parent_id=parent.user_id, name="Sam", date_of_birth=date(2018, 5, 1)
            ),
            timeout=10,
        )
    except ServiceError as exc:
        log.warning("demo child not created: %s", exc.message)
