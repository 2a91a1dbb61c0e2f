"""The dispatcher's decisions: admins from the users directory, preferences honoured, required
pairs always delivered, each (event, recipient, category) once."""

import pytest

from contracts.notifications import (
    Category,
    Channel,
    NotificationCreated,
    PreferenceChoice,
    UpdateNotificationPreferences,
)

from .conftest import ADMIN, OTHER_ADMIN, PARENT, TRAINER, Deliver, Send
from .events import assigned, cancelled, checklist, paid
from .fakes import FakeDatabase

pytestmark = pytest.mark.usefixtures("directory")


def told(database: FakeDatabase) -> list[tuple[int, Category]]:
    return sorted((n.recipient_id, n.category) for n in database.notifications.values())


async def test_a_checklist_reaches_every_admin_of_the_directory(
    deliver: Deliver, database: FakeDatabase
) -> None:
    await deliver(checklist())
    assert told(database) == [
        (ADMIN.user_id, Category.child_checklist),
        (OTHER_ADMIN.user_id, Category.child_checklist),
    ]
    created = [e for e in database.outbox if isinstance(e, NotificationCreated)]
    assert sorted(e.recipient_id for e in created) == [ADMIN.user_id, OTHER_ADMIN.user_id]
    assert {e.title for e in created} == {"Child checklist submitted"}


async def test_no_admin_known_yet_means_no_one_is_told(database: FakeDatabase) -> None:
    from notifications.consumers.dispatcher import dispatch

    from .conftest import _deliverer

    empty = FakeDatabase()
    await _deliverer(empty, dispatch)(checklist())
    assert empty.notifications == {}


async def test_the_same_event_twice_makes_nothing_twice(
    deliver: Deliver, database: FakeDatabase
) -> None:
    event = assigned()
    await deliver(event)
    await deliver(event)  # the inbox bypassed: the (event, recipient, category) key holds
    assert told(database) == [
        (PARENT.user_id, Category.trainer_assigned),
        (TRAINER.user_id, Category.trainer_assigned),
    ]
    assert len([e for e in database.outbox if isinstance(e, NotificationCreated)]) == 2


async def test_a_recipient_who_turned_a_category_off_is_not_told(
    deliver: Deliver, send: Send, database: FakeDatabase
) -> None:
    off = PreferenceChoice(
        category=Category.trainer_assigned, channel=Channel.in_app, enabled=False
    )
    await send(UpdateNotificationPreferences(actor=PARENT, items=[off]))
    await deliver(assigned())
    assert told(database) == [(TRAINER.user_id, Category.trainer_assigned)]


async def test_an_admin_who_turned_checklists_off_is_not_told(
    deliver: Deliver, send: Send, database: FakeDatabase
) -> None:
    off = PreferenceChoice(category=Category.child_checklist, channel=Channel.in_app, enabled=False)
    await send(UpdateNotificationPreferences(actor=ADMIN, items=[off]))
    await deliver(checklist())
    assert told(database) == [(OTHER_ADMIN.user_id, Category.child_checklist)]


async def test_required_pairs_are_delivered_whatever_is_stored(
    deliver: Deliver, database: FakeDatabase
) -> None:
    # A row that could never be written through the API (say, from before a rule was required).
    from notifications.domain.preferences import NotificationPreference

    for user, category in (
        (PARENT.user_id, Category.payment),
        (TRAINER.user_id, Category.session_cancelled),
    ):
        database.preferences[(user, category, Channel.in_app)] = NotificationPreference(
            user, category, Channel.in_app, False
        )
    await deliver(paid())
    await deliver(cancelled())
    assert told(database) == [
        (PARENT.user_id, Category.payment),
        (PARENT.user_id, Category.session_cancelled),
        (TRAINER.user_id, Category.session_cancelled),
    ]


async def test_events_without_a_rule_make_nothing(deliver: Deliver, database: FakeDatabase) -> None:
    from contracts.bookings import ChildCreated

    await deliver(ChildCreated(child_id=1, parent_id=PARENT.user_id, actor=PARENT))
    assert database.notifications == {}
