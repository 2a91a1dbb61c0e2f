"""Integration: children through the bookings service's NATS endpoints, on both databases."""

from datetime import date

import pytest
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg

from contracts.bookings import (
    ChildChecklistSubmitted,
    ChildCreated,
    ChildDeleted,
    ChildDetails,
    ChildPage,
    ChildUpdated,
    CreateChild,
    DeleteChild,
    GetChild,
    ListChildren,
    SubmitChildChecklist,
    UpdateChild,
)
from contracts.catalogue import event_for
from contracts.envelope import Actor, Deleted, Event, Request
from contracts.errors import ErrorCode, ServiceError
from messaging.codec import decode
from messaging.requests import request

from .conftest import ADMIN, OTHER_PARENT, PARENT, TRAINER, events_after, stream_events

pytestmark = pytest.mark.usefixtures("bookings")

BORN = date(2018, 4, 1)


async def add_child(nc: Client, actor: Actor = PARENT, name: str = "Ada") -> ChildDetails:
    reply: ChildDetails = await request(
        nc, CreateChild(actor=actor, parent_id=actor.user_id, name=name, date_of_birth=BORN)
    )
    return reply


async def refused(nc: Client, message: Request) -> ErrorCode:
    """The error code the service answers `message` with (failing if it succeeds)."""
    with pytest.raises(ServiceError) as raised:
        await request(nc, message)
    return raised.value.code


def typed(msg: RawStreamMsg) -> Event:
    """The stream message as the event contract its subject names."""
    contract = event_for(msg.subject or "")
    assert contract is not None, msg.subject
    return decode(contract, msg.data or b"")


async def test_a_parent_adds_a_child_and_reads_it_back(nc: Client) -> None:
    created = await add_child(nc)

    assert (created.parent_id, created.name, created.date_of_birth) == (10, "Ada", BORN)
    assert created.checklist is None and created.checklist_submitted_at is None
    fetched = await request(nc, GetChild(actor=PARENT, child_id=created.id))
    assert fetched.model_dump(exclude={"created_at", "updated_at"}) == created.model_dump(
        exclude={"created_at", "updated_at"}
    )
    assert fetched.created_at == created.created_at


async def test_a_list_is_newest_first_and_pages_with_an_opaque_cursor(nc: Client) -> None:
    ids = [(await add_child(nc, name=f"child {i}")).id for i in range(5)]

    pages: list[ChildPage] = [await request(nc, ListChildren(actor=PARENT, limit=2))]
    while pages[-1].next_cursor:
        pages.append(
            await request(nc, ListChildren(actor=PARENT, limit=2, cursor=pages[-1].next_cursor))
        )

    assert [[c.id for c in page.items] for page in pages] == [ids[4:2:-1], ids[2:0:-1], ids[0:1]]
    assert pages[-1].next_cursor is None


async def test_a_forged_cursor_is_invalid(nc: Client) -> None:
    assert await refused(nc, ListChildren(actor=PARENT, cursor="bm90LWEtY3Vyc29y")) is (
        ErrorCode.invalid
    )


async def test_a_parent_updates_a_child(nc: Client) -> None:
    child = await add_child(nc)

    updated = await request(nc, UpdateChild(actor=PARENT, child_id=child.id, name="Ada L."))

    assert (updated.name, updated.date_of_birth) == ("Ada L.", BORN)
    assert updated.updated_at >= child.updated_at
    assert (await request(nc, GetChild(actor=PARENT, child_id=child.id))).name == "Ada L."


async def test_an_update_changes_only_the_fields_it_names(nc: Client) -> None:
    child = await add_child(nc)

    # Every field travels on the wire; None means "leave as is", so nothing is ever cleared.
    renamed = await request(
        nc, UpdateChild(actor=PARENT, child_id=child.id, name=None, date_of_birth=date(2019, 2, 3))
    )

    assert (renamed.name, renamed.date_of_birth) == ("Ada", date(2019, 2, 3))
    fetched = await request(nc, GetChild(actor=PARENT, child_id=child.id))
    assert (fetched.name, fetched.date_of_birth) == ("Ada", date(2019, 2, 3))


async def test_a_parent_submits_the_checklist(nc: Client) -> None:
    child = await add_child(nc)
    answers = {"allergies": "none", "swims": True, "emergency_contacts": ["+44 1"]}

    submitted = await request(
        nc, SubmitChildChecklist(actor=PARENT, child_id=child.id, answers=answers)
    )

    assert submitted.checklist == answers
    assert submitted.checklist_submitted_at is not None
    fetched = await request(nc, GetChild(actor=PARENT, child_id=child.id))
    assert fetched.checklist == answers


async def test_a_parent_deletes_a_child(nc: Client) -> None:
    child = await add_child(nc)

    assert await request(nc, DeleteChild(actor=PARENT, child_id=child.id)) == Deleted(id=child.id)

    assert await refused(nc, GetChild(actor=PARENT, child_id=child.id)) is ErrorCode.not_found
    assert (await request(nc, ListChildren(actor=PARENT))).items == []


async def test_a_bad_request_is_refused_with_field_errors(nc: Client) -> None:
    raw = CreateChild.model_construct(actor=PARENT, parent_id=10, name="", date_of_birth=BORN)

    with pytest.raises(ServiceError) as raised:
        await request(nc, raw)

    assert raised.value.code is ErrorCode.invalid
    assert [f.loc for f in raised.value.fields] == [["name"]]


# --- who may do what ---------------------------------------------------------------------


async def test_a_parent_cannot_see_or_touch_another_parents_child(
    nc: Client, js: JetStreamContext
) -> None:
    theirs = await add_child(nc, OTHER_PARENT, name="Olivia")
    await events_after(js, 1)

    for message in (
        GetChild(actor=PARENT, child_id=theirs.id),
        UpdateChild(actor=PARENT, child_id=theirs.id, name="Mine now"),
        DeleteChild(actor=PARENT, child_id=theirs.id),
        SubmitChildChecklist(actor=PARENT, child_id=theirs.id, answers={"a": 1}),
    ):
        # Someone else's child looks exactly like one that does not exist.
        assert await refused(nc, message) is ErrorCode.not_found, message
    assert await refused(nc, GetChild(actor=PARENT, child_id=999_999)) is ErrorCode.not_found

    assert (await request(nc, ListChildren(actor=PARENT))).items == []
    untouched = await request(nc, GetChild(actor=OTHER_PARENT, child_id=theirs.id))
    assert (untouched.name, untouched.checklist) == ("Olivia", None)
    assert len(await stream_events(js)) == 1, "a refused request emits nothing"


async def test_a_parent_cannot_add_a_child_for_someone_else(nc: Client) -> None:
    message = CreateChild(
        actor=PARENT, parent_id=OTHER_PARENT.user_id, name="X", date_of_birth=BORN
    )
    assert await refused(nc, message) is ErrorCode.forbidden


async def test_a_trainer_cannot_list_or_add_children(nc: Client) -> None:
    assert await refused(nc, ListChildren(actor=TRAINER)) is ErrorCode.forbidden
    assert (
        await refused(
            nc, CreateChild(actor=TRAINER, parent_id=TRAINER.user_id, name="X", date_of_birth=BORN)
        )
        is ErrorCode.forbidden
    )


async def test_an_admin_sees_and_manages_every_child(nc: Client) -> None:
    mine = await add_child(nc, PARENT, name="Ada")
    theirs = await add_child(nc, OTHER_PARENT, name="Olivia")

    everyone = await request(nc, ListChildren(actor=ADMIN))
    assert [c.id for c in everyone.items] == [theirs.id, mine.id]
    one_parent = await request(nc, ListChildren(actor=ADMIN, parent_id=PARENT.user_id))
    assert [c.id for c in one_parent.items] == [mine.id]

    renamed = await request(nc, UpdateChild(actor=ADMIN, child_id=theirs.id, name="Liv"))
    assert renamed.name == "Liv"
    added = await request(
        nc, CreateChild(actor=ADMIN, parent_id=OTHER_PARENT.user_id, name="Sib", date_of_birth=BORN)
    )
    assert added.parent_id == OTHER_PARENT.user_id


# --- events ------------------------------------------------------------------------------


async def test_every_mutation_emits_its_event_on_the_bookings_stream(
    nc: Client, js: JetStreamContext
) -> None:
    child = await add_child(nc)
    await request(nc, UpdateChild(actor=PARENT, child_id=child.id, name="Ada L."))
    await request(nc, SubmitChildChecklist(actor=PARENT, child_id=child.id, answers={"ok": True}))
    await request(nc, DeleteChild(actor=ADMIN, child_id=child.id))
    await request(nc, ListChildren(actor=PARENT))  # queries emit nothing

    events = [typed(msg) for msg in await events_after(js, 4)]

    assert [type(e) for e in events] == [
        ChildCreated,
        ChildUpdated,
        ChildChecklistSubmitted,
        ChildDeleted,
    ]
    assert all((e.child_id, e.parent_id) == (child.id, PARENT.user_id) for e in events)
    assert [e.actor for e in events] == [PARENT, PARENT, PARENT, ADMIN]
    assert events[2].child_name == "Ada L."
    stored = await stream_events(js)
    assert [(m.headers or {})["Nats-Msg-Id"] for m in stored] == [str(e.event_id) for e in events]
    assert len(stored) == 4
