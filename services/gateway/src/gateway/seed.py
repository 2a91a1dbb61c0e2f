"""Demo data for the dev profile (docs/howto.md): admin, parent and trainer users; the parent's
child; the trainer available today and the next 14 days; a booking with a session today."""

import asyncio
import logging
from datetime import date, time, timedelta

from nats.aio.client import Client

from contracts import bookings as b
from contracts import trainers as t
from contracts.envelope import Actor, R, Request, Role
from contracts.errors import ErrorCode, ServiceError
from gateway import users
from gateway.business_day import today_in
from gateway.state import GatewayState
from messaging.requests import request

log = logging.getLogger(__name__)

DEMO_USERS = (
    ("admin@cams.test", "Ada Admin", Role.admin),
    ("parent@cams.test", "Pat Parent", Role.parent),
    ("trainer@cams.test", "Tom Trainer", Role.trainer),
)
AVAILABLE_DAYS = 15  # today and the next 14
SESSION = (time(16, 0), time(17, 0), "Main hall")
PROFILE_WAIT_SECONDS = 30.0


async def seed_demo_users(state: GatewayState) -> None:
    """Create the demo users once; the parent's first child is asked of the bookings service."""
    password = state.settings.dev_password.get_secret_value()
    for email, name, role in DEMO_USERS:
        if await users.is_registered(state.new_uow(), email):
            continue
        user = await users.create(state.new_uow(), email, name, role, password)
        if role is Role.parent:
            await _ask(
                state.nc,
                b.CreateChild(
                    actor=_actor(user.id, role, name),
                    parent_id=user.id,
                    name="Sam",
                    date_of_birth=date(2018, 5, 1),
                ),
            )


async def seed_demo_day(state: GatewayState) -> None:
    """On every start, so the demo always has a today: the trainer available from today for
    `AVAILABLE_DAYS`, and the parent's child booked with a session today. Runs in the background:
    the trainer's profile appears only once the trainers service has read `UserCreated`."""
    # The business day, the one the trainers service lets the demo trainer clock in on.
    today = today_in(state.settings.business_zone)
    trainer = await _demo_actor(state, "trainer@cams.test")
    if trainer is not None:
        await _trainer_available(state.nc, trainer, today)
    parent = await _demo_actor(state, "parent@cams.test")
    if parent is not None:
        await _session_today(state.nc, parent, today)


async def _demo_actor(state: GatewayState, email: str) -> Actor | None:
    user = await users.find_by_email(state.new_uow(), email)
    return None if user is None else _actor(user.id, user.role, user.name)


def _actor(user_id: int, role: Role, name: str) -> Actor:
    return Actor(user_id=user_id, role=role, name=name)


async def _trainer_available(nc: Client, trainer: Actor, today: date) -> None:
    profile = await _profile_of(nc, trainer)
    if profile is None:
        log.warning("demo trainer has no profile after %ss", PROFILE_WAIT_SECONDS)
        return
    known = await _ask(nc, t.GetAvailability(actor=trainer, trainer_id=profile.id))
    days = {today + timedelta(days=n) for n in range(AVAILABLE_DAYS)}
    if known is not None and not days <= set(known.dates):
        await _ask(
            nc,
            t.ReplaceAvailability(
                actor=trainer, trainer_id=profile.id, dates=sorted(days | set(known.dates))
            ),
        )


async def _profile_of(nc: Client, trainer: Actor) -> t.TrainerDetails | None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PROFILE_WAIT_SECONDS
    while loop.time() < deadline:
        try:
            return await request(nc, t.GetMyTrainerProfile(actor=trainer), timeout=5)
        except ServiceError as exc:
            if exc.code not in (ErrorCode.not_found, ErrorCode.unavailable):
                raise
        await asyncio.sleep(0.5)
    return None


async def _session_today(nc: Client, parent: Actor, today: date) -> None:
    children = await _ask(nc, b.ListChildren(actor=parent, limit=1))
    if children is None or not children.items:
        return
    child = children.items[0]
    booked = await _ask(
        nc, b.ListBookings(actor=parent, child_id=child.id, status=b.BookingStatus.active, limit=1)
    )
    if booked is None:
        return
    booking = (
        booked.items[0]
        if booked.items
        else await _ask(nc, b.CreateBooking(actor=parent, child_id=child.id, notes="Demo booking"))
    )
    if booking is None:
        return
    sessions = await _ask(
        nc, b.ListSchedules(actor=parent, booking_id=booking.id, date_from=today, date_to=today)
    )
    if sessions is not None and not sessions.items:
        start, end, location = SESSION
        await _ask(
            nc,
            b.CreateSchedule(
                actor=parent,
                booking_id=booking.id,
                date=today,
                start_time=start,
                end_time=end,
                location=location,
            ),
        )


async def _ask(nc: Client, message: Request[R]) -> R | None:
    """A seeding step that fails is logged and skipped: the stack runs without demo data."""
    try:
        return await request(nc, message, timeout=10)
    except ServiceError as exc:
        log.warning("demo data: %s refused: %s", message.subject, exc.message)
        return None
