"""The activity feed: every domain event of bookings, trainers and identity becomes one feed
entry (the unique event id is the last guard of once). Run by `consumers.events`."""

from contracts.envelope import Event
from notifications.domain.activity import ActivityEntry
from notifications.unit_of_work import UnitOfWork


async def record(event: Event, uow: UnitOfWork) -> None:
    """Write the entry of `event` (run by `exactly_once` in an entered unit of work)."""
    await uow.activity.insert(ActivityEntry.of(event))  # a second entry of an event is none
