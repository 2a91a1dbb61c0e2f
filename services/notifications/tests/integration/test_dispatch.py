"""Integration: notifications made from real events on JetStream exactly once, the bell over
NATS, dead letters, and a restart while events flow; on SQLite and PostgreSQL."""

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts import bookings as b
from contracts.bookings import BOOKINGS_EVENTS
from contracts.envelope import Actor, Request
from contracts.errors import ErrorCode, ServiceError
from contracts.notifications import (
    ArchiveNotification,
    ListActivity,
    ListNotifications,
    MarkAllRead,
    MarkNotificationRead,
    NotificationCreated,
    NotificationPage,
)
from contracts.streams import DEAD_LETTERS, dead_letter_subject
from messaging.requests import request
from notifications.bootstrap import start
from notifications.consumers.events import DURABLE as CONSUMER
from notifications.settings import NotificationsSettings
from runtime.process import Running
from testkit.contracts import assert_valid
from testkit.nats_server import NatsServer
from testkit.waiting import eventually

from .conftest import (
    ADMIN,
    OTHER_PARENT,
    PARENT,
    TRAINER,
    directory_has,
    emitted,
    publish,
    settings_for,
    settled,
    typed,
    unread,
)


def checklist(child_id: int = 7, parent: Actor = PARENT) -> b.ChildChecklistSubmitted:
    return b.ChildChecklistSubmitted(
        child_id=child_id, parent_id=parent.user_id, child_name="Sam", actor=parent
    )


def assigned(schedule_id: int = 3, parent: Actor = PARENT) -> b.TrainerAssigned:
    return b.TrainerAssigned(
        schedule_id=schedule_id,
        booking_id=4,
        parent_id=parent.user_id,
        trainer_user_id=TRAINER.user_id,
        trainer_id=7,
        session_date=date(2026, 12, 3),
        trainer_name=TRAINER.name,
        child_name="Sam",
        actor=ADMIN,
    )


def paid(payment_id: int, parent: Actor = PARENT) -> b.PaymentProcessed:
    return b.PaymentProcessed(
        payment_id=payment_id,
        booking_id=4,
        payer_id=parent.user_id,
        amount=Decimal("25.00"),
        currency="GBP",
        actor=parent,
    )


async def mine(nc: Client, actor: Actor, **filters: Any) -> NotificationPage:
    return await request(nc, ListNotifications(actor=actor, limit=200, **filters))


async def dispatched(js: JetStreamContext) -> bool:
    return await settled(js, BOOKINGS_EVENTS.name, CONSUMER)


@pytest.mark.usefixtures("notifications")
async def test_a_checklist_reaches_the_admin_once_and_no_one_else(
    nc: Client, js: JetStreamContext
) -> None:
    await directory_has(js, ADMIN, PARENT, OTHER_PARENT, TRAINER)
    event = checklist()
    await publish(js, event)
    await eventually(lambda: unread(nc, ADMIN))

    # A redelivery past the stream's duplicate window, then the same event under a fresh id.
    await publish(js, event, msg_id="redelivered")
    await publish(js, event, msg_id="another-id")
    await publish(js, assigned())  # a marker: handled after the copies
    await eventually(lambda: unread(nc, PARENT))
    await eventually(lambda: dispatched(js))

    [note] = (await mine(nc, ADMIN)).items
    assert (note.title, note.body, note.link) == (
        "Child checklist submitted",
        "Sam's checklist was submitted",
        "/children/7",
    )
    assert await unread(nc, ADMIN) == 1
    assert await unread(nc, TRAINER) == 1
    assert (await mine(nc, OTHER_PARENT)).items == []
    assert [n.body for n in (await mine(nc, PARENT)).items] == [
        "Tom Trainer will lead Sam's session on 2026-12-03"
    ]


@pytest.mark.usefixtures("notifications")
async def test_the_bell_over_nats(nc: Client, js: JetStreamContext) -> None:
    await directory_has(js, PARENT, OTHER_PARENT)
    for i in range(3):
        await publish(js, paid(i))
    await publish(js, paid(9, OTHER_PARENT))
    await eventually(lambda: dispatched(js))
    items = (await mine(nc, PARENT)).items
    theirs = (await mine(nc, OTHER_PARENT)).items[0]
    assert await unread(nc, PARENT) == 3

    async def refused(message: Request[Any]) -> ErrorCode:
        with pytest.raises(ServiceError) as raised:
            await request(nc, message)
        return raised.value.code

    for command in (
        MarkNotificationRead(actor=PARENT, notification_id=theirs.id),
        ArchiveNotification(actor=PARENT, notification_id=theirs.id),
    ):
        assert await refused(command) is ErrorCode.not_found
    assert await refused(ListActivity(actor=PARENT)) is ErrorCode.forbidden

    await request(nc, MarkNotificationRead(actor=PARENT, notification_id=items[-1].id))
    await request(nc, ArchiveNotification(actor=PARENT, notification_id=items[0].id))
    assert await unread(nc, PARENT) == 1
    done = await request(nc, MarkAllRead(actor=PARENT, up_to_id=items[0].id))
    assert done.marked == 1
    assert await unread(nc, PARENT) == 0
    assert await unread(nc, OTHER_PARENT) == 1

    # Every event the service emitted keeps its contract.
    async def all_out() -> list[Any]:
        out = await emitted(js)
        return out if len(out) >= 7 else []  # 4 created, read, archived, all read

    for msg in await all_out():
        assert_valid(msg.data or b"", msg.subject or "")
    feed = await request(nc, ListActivity(actor=ADMIN))
    assert {e.verb for e in feed.items} >= {"processed", "created"}


@pytest.mark.usefixtures("notifications")
async def test_an_undecodable_event_is_dead_lettered_and_the_rest_flow(
    nc: Client, js: JetStreamContext
) -> None:
    await directory_has(js, PARENT)
    deadletter = await js.subscribe(dead_letter_subject(CONSUMER))
    await js.publish(b.PaymentProcessed.subject, b'{"not": "a payment"}')
    await publish(js, paid(1))
    await eventually(lambda: unread(nc, PARENT))
    msg = await deadletter.next_msg(timeout=10)
    assert msg.headers and msg.headers["Cams-Original-Subject"] == b.PaymentProcessed.subject
    assert (await js.stream_info(DEAD_LETTERS.name)).state.messages >= 1


async def test_stopped_while_events_flow_then_restarted_every_notification_once(
    nats_server: NatsServer, migrated: str, nc: Client
) -> None:
    settings: NotificationsSettings = settings_for(nats_server.url, migrated)
    running: Running = await start(settings)
    js = nc.jetstream()
    try:
        await directory_has(js, PARENT)
        events = [paid(i) for i in range(40)]
        for event in events[:20]:
            await publish(js, event)
        await running.stop()
        for event in events[20:]:
            await publish(js, event)
        for event in events[:5]:  # duplicates under fresh ids
            await publish(js, event, msg_id=f"again-{event.event_id}")
        running = await start(settings)
        await eventually(lambda: dispatched(js), timeout=30)
        assert await unread(nc, PARENT) == 40
        created = [typed(m) for m in await eventually(lambda: _created(js, 40), timeout=15)]
        assert len({e.notification_id for e in created if isinstance(e, NotificationCreated)}) == 40
    finally:
        await running.stop()


async def _created(js: JetStreamContext, count: int) -> list[Any]:
    found = [m for m in await emitted(js) if m.subject == NotificationCreated.subject]
    return found if len(found) >= count else []
