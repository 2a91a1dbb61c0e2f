"""The activity feed: each event one entry read off its subject; for admins only, filtered."""

from datetime import UTC, date, datetime, timedelta

import pytest

from contracts import trainers as t
from contracts.bookings import ChildCreated
from contracts.errors import ErrorCode, ServiceError
from contracts.notifications import ActivityPage, ActivityRecorded, FeedObject, ListActivity
from notifications.retention import Ages, prune_once

from .conftest import ADMIN, PARENT, TRAINER, Deliver, Send
from .events import assigned, paid
from .fakes import FakeDatabase, FakeUnitOfWork


async def test_an_event_becomes_one_entry(
    feed: Deliver, send: Send, database: FakeDatabase
) -> None:
    event = ChildCreated(child_id=7, parent_id=PARENT.user_id, actor=PARENT)
    await feed(event)
    await feed(event)
    page: ActivityPage = await send(ListActivity(actor=ADMIN))
    [entry] = page.items
    assert (entry.actor, entry.verb, entry.object, entry.target) == (
        PARENT,
        "created",
        FeedObject(type="child", id=7),
        None,
    )
    assert entry.summary == "Pat Parent created child 7"
    assert entry.event_id == str(event.event_id)
    [recorded] = [e for e in database.outbox if isinstance(e, ActivityRecorded)]
    assert (recorded.entry_id, recorded.verb, recorded.object_type) == (
        entry.id,
        "created",
        "child",
    )


async def test_objects_and_targets_follow_the_mapping(feed: Deliver, send: Send) -> None:
    await feed(assigned())
    await feed(paid())
    clocked = t.TrainerClockedIn(
        schedule_id=3,
        trainer_id=7,
        trainer_user_id=20,
        parent_id=10,
        at=datetime(2026, 12, 3, 9, tzinfo=UTC),
        actor=TRAINER,
    )
    await feed(clocked)
    items = (await send(ListActivity(actor=ADMIN))).items
    assert [(e.verb, e.object, e.target) for e in items] == [
        ("clocked_in", FeedObject(type="time_entry", id=3), None),
        ("processed", FeedObject(type="payment", id=5), FeedObject(type="booking", id=4)),
        ("trainer_assigned", FeedObject(type="schedule", id=3), FeedObject(type="booking", id=4)),
    ]


async def test_only_admins_read_the_feed(send: Send) -> None:
    for actor in (PARENT, TRAINER):
        with pytest.raises(ServiceError) as raised:
            await send(ListActivity(actor=actor))
        assert raised.value.code is ErrorCode.forbidden


async def test_filters_narrow_the_feed(feed: Deliver, send: Send) -> None:
    day = datetime(2026, 12, 3, 23, 59, tzinfo=UTC)
    await feed(ChildCreated(child_id=1, parent_id=10, actor=PARENT, occurred_at=day))
    await feed(
        ChildCreated(child_id=2, parent_id=10, actor=PARENT, occurred_at=day + timedelta(minutes=2))
    )
    await feed(assigned())

    async def ids(**filters: object) -> list[int | None]:
        page = await send(ListActivity(actor=ADMIN, **filters))
        return [e.object.id for e in page.items]

    assert await ids(actor_id=PARENT.user_id) == [2, 1]
    assert await ids(verb="trainer_assigned") == [3]
    assert await ids(object_type="child") == [2, 1]
    assert await ids(date_from=date(2026, 12, 3), date_to=date(2026, 12, 3)) == [1]
    assert await ids(date_from=date(2026, 12, 4), date_to=date(2026, 12, 4)) == [2]


async def test_retention_deletes_old_read_notifications_and_entries_in_batches(
    database: FakeDatabase, deliver: Deliver, feed: Deliver
) -> None:
    old = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(7):
        await deliver(paid())
        await feed(ChildCreated(child_id=1, parent_id=10, actor=PARENT, occurred_at=old))
    for i, n in enumerate(database.notifications.values()):
        n.created_at = old
        n.read_at = old if i < 5 else None  # unread ones stay, however old
    await feed(ChildCreated(child_id=2, parent_id=10, actor=PARENT))

    now = old + timedelta(days=200)
    deleted = await prune_once(lambda: FakeUnitOfWork(database), Ages(90, 180, batch=2), now)
    assert deleted == (5, 7)
    assert len(database.notifications) == 2 and len(database.entries) == 1
