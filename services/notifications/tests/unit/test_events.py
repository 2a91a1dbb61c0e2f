"""The one consumer of domain events: an event's feed entry, its notifications and (from
identity) the users directory, all in the unit of work it is handed, committed once."""

from contracts.bookings import ChildCreated
from contracts.identity import UserCreated
from contracts.notifications import ActivityRecorded, NotificationCreated
from notifications.consumers.events import handle

from .conftest import ADMIN, PARENT, TRAINER
from .events import assigned
from .fakes import FakeDatabase, FakeUnitOfWork


async def _handled(database: FakeDatabase, *events: object) -> None:
    for event in events:
        async with FakeUnitOfWork(database) as uow:
            await handle(event, uow)  # type: ignore[arg-type]
            await uow.commit()


async def test_a_new_user_joins_the_directory_and_the_feed_in_one_commit() -> None:
    database = FakeDatabase()
    event = UserCreated(
        user_id=ADMIN.user_id, email="a@example.com", name=ADMIN.name, role=ADMIN.role
    )
    await _handled(database, event)
    assert database.users[ADMIN.user_id].role is ADMIN.role
    [entry] = database.entries.values()
    assert entry.event_id == str(event.event_id)
    assert database.commits == 1


async def test_a_bookings_event_makes_its_entry_and_its_notifications_once() -> None:
    database = FakeDatabase()
    for actor in (PARENT, TRAINER, ADMIN):
        await _handled(
            database,
            UserCreated(
                user_id=actor.user_id,
                email=f"u{actor.user_id}@example.com",
                name=actor.name,
                role=actor.role,
            ),
        )
    event = assigned()
    await _handled(database, event, event)  # a copy the inbox did not stop
    told = sorted(n.recipient_id for n in database.notifications.values())
    assert told == sorted([PARENT.user_id, TRAINER.user_id])
    assert [e.event_id for e in database.entries.values()].count(str(event.event_id)) == 1
    kinds = [type(e) for e in database.outbox]
    assert kinds.count(NotificationCreated) == 2
    assert kinds.count(ActivityRecorded) == 4  # three users announced, one assignment


async def test_an_event_no_rule_names_still_reaches_the_feed() -> None:
    database = FakeDatabase()
    await _handled(database, ChildCreated(child_id=7, parent_id=PARENT.user_id, actor=PARENT))
    assert len(database.entries) == 1
    assert database.notifications == {}
