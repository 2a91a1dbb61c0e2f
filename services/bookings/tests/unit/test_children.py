"""Unit: every children rule and the access matrix, through the handlers the service binds,
on a fake unit of work (no database, no NATS)."""

from datetime import date
from typing import Any

import pytest

from bookings.domain.child import Child
from contracts.bookings import (
    ChildChecklistSubmitted,
    ChildCreated,
    ChildDeleted,
    ChildDetails,
    ChildUpdated,
    CreateChild,
    DeleteChild,
    GetChild,
    ListChildren,
    SubmitChildChecklist,
    UpdateChild,
)
from contracts.envelope import Actor, Deleted, Request
from contracts.errors import ErrorCode, ServiceError

from .conftest import ADMIN, OTHER_PARENT, PARENT, TRAINER, Send
from .fakes import FakeDatabase

BORN = date(2018, 4, 1)


async def add_child(send: Send, actor: Actor = PARENT, name: str = "Ada") -> ChildDetails:
    reply: ChildDetails = await send(
        CreateChild(actor=actor, parent_id=actor.user_id, name=name, date_of_birth=BORN)
    )
    return reply


async def refused(send: Send, command: Request[Any]) -> ErrorCode:
    with pytest.raises(ServiceError) as raised:
        await send(command)
    return raised.value.code


async def test_a_parent_registers_a_child_and_its_event_names_it(
    send: Send, database: FakeDatabase
) -> None:
    child = await add_child(send)

    assert (child.parent_id, child.name, child.date_of_birth) == (PARENT.user_id, "Ada", BORN)
    assert child.checklist is None and child.checklist_submitted_at is None
    assert child.created_at == child.updated_at
    [event] = database.outbox
    assert isinstance(event, ChildCreated)
    assert (event.child_id, event.parent_id, event.actor) == (child.id, PARENT.user_id, PARENT)


async def test_an_update_changes_only_the_fields_it_names(
    send: Send, database: FakeDatabase
) -> None:
    child = await add_child(send)

    renamed = await send(UpdateChild(actor=PARENT, child_id=child.id, name="Ada L."))
    moved = await send(UpdateChild(actor=PARENT, child_id=child.id, date_of_birth=date(2019, 2, 3)))

    assert (renamed.name, renamed.date_of_birth) == ("Ada L.", BORN)
    assert (moved.name, moved.date_of_birth) == ("Ada L.", date(2019, 2, 3))
    assert moved.updated_at >= renamed.updated_at >= child.updated_at
    assert [type(e) for e in database.outbox] == [ChildCreated, ChildUpdated, ChildUpdated]


async def test_a_submitted_checklist_is_kept_and_its_event_carries_the_childs_name(
    send: Send, database: FakeDatabase
) -> None:
    child = await add_child(send, name="Sam")
    answers = {"allergies": "none", "swims": True}

    submitted = await send(SubmitChildChecklist(actor=PARENT, child_id=child.id, answers=answers))

    assert submitted.checklist == answers
    assert submitted.checklist_submitted_at == submitted.updated_at
    assert (await send(GetChild(actor=PARENT, child_id=child.id))).checklist == answers
    event = database.outbox[-1]
    assert isinstance(event, ChildChecklistSubmitted)
    assert (event.child_id, event.child_name, event.actor) == (child.id, "Sam", PARENT)


async def test_a_deleted_child_is_gone_and_its_event_says_so(
    send: Send, database: FakeDatabase
) -> None:
    child = await add_child(send)

    assert await send(DeleteChild(actor=ADMIN, child_id=child.id)) == Deleted(id=child.id)

    assert await refused(send, GetChild(actor=PARENT, child_id=child.id)) is ErrorCode.not_found
    assert database.children == {}
    event = database.outbox[-1]
    assert isinstance(event, ChildDeleted)
    assert (event.child_id, event.parent_id, event.actor) == (child.id, PARENT.user_id, ADMIN)


async def test_a_list_is_newest_first_and_pages_with_an_opaque_cursor(send: Send) -> None:
    ids = [(await add_child(send, name=f"child {i}")).id for i in range(5)]

    pages = [await send(ListChildren(actor=PARENT, limit=2))]
    while pages[-1].next_cursor:
        pages.append(await send(ListChildren(actor=PARENT, limit=2, cursor=pages[-1].next_cursor)))

    assert [[c.id for c in page.items] for page in pages] == [ids[4:2:-1], ids[2:0:-1], ids[0:1]]


async def test_a_forged_cursor_is_invalid(send: Send) -> None:
    forged = ListChildren(actor=PARENT, cursor="bm90LWEtY3Vyc29y")
    assert await refused(send, forged) is ErrorCode.invalid


async def test_queries_emit_nothing(send: Send, database: FakeDatabase) -> None:
    child = await add_child(send)
    await send(GetChild(actor=PARENT, child_id=child.id))
    await send(ListChildren(actor=ADMIN))
    assert len(database.outbox) == 1


# --- who may do what ---------------------------------------------------------------------

NOT_FOUND, FORBIDDEN, ALLOWED = ErrorCode.not_found, ErrorCode.forbidden, None

# (actor, outcome on the parent's own child): someone else's child looks like no child at all.
ACTORS_ON_A_CHILD = [
    (PARENT, ALLOWED),
    (ADMIN, ALLOWED),
    (OTHER_PARENT, NOT_FOUND),
    (TRAINER, NOT_FOUND),
]


def commands_on(actor: Actor, child_id: int) -> list[Request[Any]]:
    return [
        GetChild(actor=actor, child_id=child_id),
        UpdateChild(actor=actor, child_id=child_id, name="Renamed"),
        SubmitChildChecklist(actor=actor, child_id=child_id, answers={"ok": True}),
        DeleteChild(actor=actor, child_id=child_id),
    ]


@pytest.mark.parametrize(("actor", "outcome"), ACTORS_ON_A_CHILD)
async def test_who_may_read_change_and_delete_a_child(
    send: Send, database: FakeDatabase, actor: Actor, outcome: ErrorCode | None
) -> None:
    child = await add_child(send, PARENT)
    before = database.children[child.id].__dict__.copy()

    for command in commands_on(actor, child.id):
        if outcome is None:
            await send(command)
        else:
            assert await refused(send, command) is outcome, command

    if outcome is not None:
        assert len(database.outbox) == 1, "a refused request emits nothing"
        after = database.children[child.id].__dict__
        assert {k: after[k] for k in ("name", "checklist", "updated_at")} == {
            k: before[k] for k in ("name", "checklist", "updated_at")
        }, "and changes nothing"
    else:
        assert child.id not in database.children, "the last command deleted it"


@pytest.mark.parametrize(
    ("actor", "parent_id", "outcome"),
    [
        (PARENT, PARENT.user_id, ALLOWED),
        (PARENT, OTHER_PARENT.user_id, FORBIDDEN),
        (ADMIN, OTHER_PARENT.user_id, ALLOWED),
        (TRAINER, TRAINER.user_id, FORBIDDEN),
    ],
)
async def test_who_may_register_a_child_for_whom(
    send: Send, database: FakeDatabase, actor: Actor, parent_id: int, outcome: ErrorCode | None
) -> None:
    command = CreateChild(actor=actor, parent_id=parent_id, name="X", date_of_birth=BORN)
    if outcome is None:
        assert (await send(command)).parent_id == parent_id
        assert len(database.outbox) == 1
    else:
        assert await refused(send, command) is outcome
        assert database.children == {} and database.outbox == []


async def test_who_sees_which_children_in_a_list(send: Send) -> None:
    mine = await add_child(send, PARENT, name="Ada")
    theirs = await add_child(send, OTHER_PARENT, name="Olivia")

    assert [c.id for c in (await send(ListChildren(actor=PARENT))).items] == [mine.id]
    # A parent cannot widen the list by naming another parent.
    asked = ListChildren(actor=PARENT, parent_id=OTHER_PARENT.user_id)
    assert [c.id for c in (await send(asked)).items] == [mine.id]
    assert [c.id for c in (await send(ListChildren(actor=ADMIN))).items] == [theirs.id, mine.id]
    one_parent = ListChildren(actor=ADMIN, parent_id=PARENT.user_id)
    assert [c.id for c in (await send(one_parent)).items] == [mine.id]
    assert await refused(send, ListChildren(actor=TRAINER)) is FORBIDDEN


# --- the aggregate itself ----------------------------------------------------------------


def test_a_new_child_records_its_creation_only_once_it_has_an_id() -> None:
    child = Child.register(PARENT, PARENT.user_id, "Ada", BORN)

    with pytest.raises(RuntimeError, match="no id yet"):
        child.collect_events()
    child.id = 7
    [created] = child.collect_events()
    assert isinstance(created, ChildCreated) and created.child_id == 7
    assert child.collect_events() == [], "events are handed over once"


def test_a_child_records_its_changes_in_order() -> None:
    child = Child.register(ADMIN, PARENT.user_id, "Ada", BORN)
    child.id = 3
    child.change(PARENT, "Ada L.", None)
    child.submit_checklist(PARENT, {"a": 1})
    child.remove(ADMIN, has_bookings=False)

    assert child.removed
    assert [type(e) for e in child.collect_events()] == [
        ChildCreated,
        ChildUpdated,
        ChildChecklistSubmitted,
        ChildDeleted,
    ]
