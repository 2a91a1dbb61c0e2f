"""Unit: who sees which sessions in a list, the filters, and paging."""

import datetime as dt
from typing import Any

from contracts.bookings import ListSchedules, ScheduleStatus, UpdateSchedule
from contracts.errors import ErrorCode

from .conftest import ADMIN, OTHER_PARENT, OTHER_TRAINER, PARENT, TESS, TOM, TRAINER, Send
from .steps import DAY, assign, book, plan, refused


async def test_who_sees_which_sessions_and_the_filters_narrow_them(send: Send) -> None:
    mine = await book(send)
    theirs = await book(send, OTHER_PARENT)
    a = await plan(send, mine.id, "09:00", "10:00")
    b = await plan(send, mine.id, "11:00", "12:00", day=DAY + dt.timedelta(days=2))
    c = await plan(send, theirs.id, "10:00", "11:00", actor=OTHER_PARENT)
    d = await plan(send, theirs.id, "13:00", "14:00", actor=OTHER_PARENT)
    await assign(send, a.id, TOM)
    await assign(send, c.id, TOM)
    await assign(send, d.id, TESS)
    await send(UpdateSchedule(actor=ADMIN, schedule_id=b.id, status=ScheduleStatus.cancelled))

    async def listed(**asked: Any) -> list[int]:
        return [s.id for s in (await send(ListSchedules(**asked))).items]

    assert await listed(actor=PARENT) == [b.id, a.id]
    assert await listed(actor=OTHER_PARENT) == [d.id, c.id]
    assert await listed(actor=TRAINER) == [c.id, a.id], "only the sessions assigned to them"
    assert await listed(actor=OTHER_TRAINER) == [d.id]
    assert await listed(actor=ADMIN) == [d.id, c.id, b.id, a.id]
    assert await listed(actor=ADMIN, trainer_id=TOM) == [c.id, a.id]
    assert await listed(actor=TRAINER, trainer_id=TESS) == [], "a filter never widens"
    assert await listed(actor=ADMIN, booking_id=mine.id) == [b.id, a.id]
    assert await listed(actor=ADMIN, child_id=theirs.child_id) == [d.id, c.id]
    assert await listed(actor=PARENT, child_id=theirs.child_id) == []
    assert await listed(actor=ADMIN, status=ScheduleStatus.cancelled) == [b.id]
    assert await listed(actor=ADMIN, date_from=DAY + dt.timedelta(days=1)) == [b.id]
    assert await listed(actor=ADMIN, date_to=DAY) == [d.id, c.id, a.id]
    assert await listed(actor=ADMIN, date_from=DAY, date_to=DAY, trainer_id=TESS) == [d.id]


async def test_a_list_pages_with_an_opaque_cursor(send: Send) -> None:
    booking = await book(send)
    ids = [(await plan(send, booking.id, f"{h:02}:00", f"{h:02}:30")).id for h in range(8, 13)]

    pages = [await send(ListSchedules(actor=PARENT, limit=2))]
    while pages[-1].next_cursor:
        pages.append(await send(ListSchedules(actor=PARENT, limit=2, cursor=pages[-1].next_cursor)))

    assert [[s.id for s in page.items] for page in pages] == [ids[4:2:-1], ids[2:0:-1], ids[0:1]]
    forged = ListSchedules(actor=PARENT, cursor="bm90LWEtY3Vyc29y")
    assert (await refused(send, forged)).code is ErrorCode.invalid
