"""The bell's rules: only one's own notifications, reading and archiving once, read-all up to a
watermark; and a randomised sequence checked against a model of the unread count."""

import random
from typing import Any

import pytest

from contracts.envelope import Actor, Request
from contracts.errors import ErrorCode, ServiceError
from contracts.notifications import (
    ArchiveNotification,
    Category,
    CountUnread,
    ListNotifications,
    MarkAllRead,
    MarkNotificationRead,
    NotificationArchived,
    NotificationMarkedRead,
    NotificationPage,
    NotificationsMarkedRead,
    ReadAll,
)

from .conftest import ADMIN, OTHER_PARENT, PARENT, Deliver, Send
from .events import assigned, checklist, paid
from .fakes import FakeDatabase

pytestmark = pytest.mark.usefixtures("directory")


async def refused(send: Send, command: Request[Any]) -> ErrorCode:
    with pytest.raises(ServiceError) as raised:
        await send(command)
    return raised.value.code


async def count(send: Send, actor: Actor) -> int:
    return int((await send(CountUnread(actor=actor))).count)


async def test_a_recipient_lists_and_counts_only_their_own(deliver: Deliver, send: Send) -> None:
    await deliver(paid(PARENT))
    await deliver(assigned(PARENT))
    await deliver(paid(OTHER_PARENT))

    page: NotificationPage = await send(ListNotifications(actor=PARENT))
    assert [n.category for n in page.items] == [Category.trainer_assigned, Category.payment]
    assert {n.recipient_id for n in page.items} == {PARENT.user_id}
    assert await count(send, PARENT) == 2
    assert await count(send, OTHER_PARENT) == 1

    theirs = (await send(ListNotifications(actor=OTHER_PARENT))).items[0].id
    for command in (
        MarkNotificationRead(actor=PARENT, notification_id=theirs),
        ArchiveNotification(actor=PARENT, notification_id=theirs),
        MarkNotificationRead(actor=PARENT, notification_id=999),
    ):
        assert await refused(send, command) is ErrorCode.not_found


async def test_reading_twice_records_one_event(
    deliver: Deliver, send: Send, database: FakeDatabase
) -> None:
    await deliver(paid())
    [mine] = (await send(ListNotifications(actor=PARENT))).items
    first = await send(MarkNotificationRead(actor=PARENT, notification_id=mine.id))
    again = await send(MarkNotificationRead(actor=PARENT, notification_id=mine.id))
    assert first.read_at is not None and again.read_at == first.read_at
    assert len([e for e in database.outbox if isinstance(e, NotificationMarkedRead)]) == 1
    assert await count(send, PARENT) == 0


async def test_an_archived_notification_no_longer_counts(
    deliver: Deliver, send: Send, database: FakeDatabase
) -> None:
    await deliver(paid())
    [mine] = (await send(ListNotifications(actor=PARENT))).items
    await send(ArchiveNotification(actor=PARENT, notification_id=mine.id))
    await send(ArchiveNotification(actor=PARENT, notification_id=mine.id))
    assert await count(send, PARENT) == 0
    assert (await send(ListNotifications(actor=PARENT))).items == []
    archived = (await send(ListNotifications(actor=PARENT, archived=True))).items
    assert [n.id for n in archived] == [mine.id]
    assert len([e for e in database.outbox if isinstance(e, NotificationArchived)]) == 1


async def test_read_all_stops_at_the_watermark_and_says_so_once(
    deliver: Deliver, send: Send, database: FakeDatabase
) -> None:
    await deliver(checklist(child_id=1))
    await deliver(checklist(child_id=2))
    seen = (await send(ListNotifications(actor=ADMIN))).items[0].id
    await deliver(checklist(child_id=3))  # arrives after the client's last look

    done: ReadAll = await send(MarkAllRead(actor=ADMIN, up_to_id=seen))
    assert done.marked == 2
    assert await count(send, ADMIN) == 1
    assert (await send(MarkAllRead(actor=ADMIN, up_to_id=seen))).marked == 0
    events = [e for e in database.outbox if isinstance(e, NotificationsMarkedRead)]
    assert [(e.recipient_id, e.up_to_id, e.marked) for e in events] == [(ADMIN.user_id, seen, 2)]


async def test_the_list_filters_and_pages(deliver: Deliver, send: Send) -> None:
    for _ in range(5):
        await deliver(paid())
    await deliver(assigned())
    first = (await send(ListNotifications(actor=PARENT))).items
    await send(MarkNotificationRead(actor=PARENT, notification_id=first[0].id))

    unread = await send(ListNotifications(actor=PARENT, unread=True))
    assert [n.category for n in unread.items] == [Category.payment] * 5
    payments = await send(ListNotifications(actor=PARENT, category=Category.payment, limit=2))
    ids = [n.id for n in payments.items]
    while payments.next_cursor:
        payments = await send(
            ListNotifications(
                actor=PARENT, category=Category.payment, limit=2, cursor=payments.next_cursor
            )
        )
        ids += [n.id for n in payments.items]
    assert ids == sorted(ids, reverse=True) and len(ids) == 5
    assert await refused(send, ListNotifications(actor=PARENT, cursor="forged")) is (
        ErrorCode.invalid
    )


async def test_a_random_sequence_keeps_the_count_exact(
    deliver: Deliver, send: Send, database: FakeDatabase
) -> None:
    rng = random.Random(9)
    unread: set[int] = set()
    archived: set[int] = set()
    known: list[int] = []
    for step in range(300):
        action = rng.choice(["create", "create", "read", "read_all", "archive"])
        if action == "create":
            await deliver(paid())
            newest = (await send(ListNotifications(actor=PARENT, limit=1))).items
            if newest and newest[0].id not in known:
                known.append(newest[0].id)
                unread.add(newest[0].id)
            else:  # archived ones are not listed: find it in the fake database
                nid = max(database.notifications)
                known.append(nid)
                unread.add(nid)
        elif action == "read" and known:
            nid = rng.choice(known)
            await send(MarkNotificationRead(actor=PARENT, notification_id=nid))
            unread.discard(nid)
        elif action == "read_all" and known:
            watermark = rng.choice(known)
            done = await send(MarkAllRead(actor=PARENT, up_to_id=watermark))
            expected = {n for n in unread if n <= watermark and n not in archived}
            assert done.marked == len(expected), step
            unread -= expected
        elif action == "archive" and known:
            nid = rng.choice(known)
            await send(ArchiveNotification(actor=PARENT, notification_id=nid))
            archived.add(nid)
        assert await count(send, PARENT) == len(unread - archived), step
    assert len(known) > 50
