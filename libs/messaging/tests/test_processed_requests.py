"""Integration: a request sent with `REQUEST_ID_HEADER` is applied once (`messaging.service`,
`database.processed_requests`), on a real nats-server and on SQLite and PostgreSQL: a repeat of
its id gets the first answer without the handler running again, also when two tries run at
once; other ids and requests without the header run as before."""

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, timedelta

import orjson
import pytest
from nats.aio.client import Client
from nats.micro.request import ERROR_CODE_HEADER
from nats.micro.service import Service
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from contracts.bookings import ChildDetails, CreateChild, DeleteChild, UpdateChild
from contracts.envelope import REQUEST_ID_HEADER, Actor, Deleted, Role, utc_now
from contracts.errors import ErrorCode, ServiceError
from database.engine import create_tables
from database.processed_requests import (
    PROCESSED_REQUESTS_TABLE,
    ProcessedRequests,
    ProcessedRequestSettings,
)
from database.unit_of_work import SqlUnitOfWork
from messaging.codec import encode
from messaging.requests import request
from messaging.service import Handlers, serve

from .conftest import Widget

ADMIN = Actor(user_id=1, role=Role.admin, name="Ada")
CHILD = CreateChild(actor=ADMIN, parent_id=2, name="Bo", date_of_birth=date(2019, 1, 1))


class Widgets:
    """The handlers under test: a create commits one widget row; a delete commits and then
    fails (as a payment that is stored, then declined); each counts its runs."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.runs: Counter[str] = Counter()
        self.entered = 0
        self.both_entered = asyncio.Event()
        self.wait_for_both = False

    async def create(self, command: CreateChild) -> ChildDetails:
        self.runs["create"] += 1
        self.entered += 1
        if self.entered >= 2:
            self.both_entered.set()
        if self.wait_for_both:  # both tries past their check before either commits
            await asyncio.wait_for(self.both_entered.wait(), timeout=10)
        async with SqlUnitOfWork(self.engine) as uow:
            widget = Widget(name=command.name)
            uow.session.add(widget)
            await uow.commit()
        now = utc_now()
        return ChildDetails(
            id=widget.id or 0,
            parent_id=command.parent_id,
            name=command.name,
            date_of_birth=command.date_of_birth,
            created_at=now,
            updated_at=now,
        )

    async def delete(self, command: DeleteChild) -> Deleted:
        self.runs["delete"] += 1
        async with SqlUnitOfWork(self.engine) as uow:
            uow.session.add(Widget(name=f"deleting {command.child_id}"))
            await uow.commit()
        raise ServiceError(ErrorCode.conflict, f"child {command.child_id} has bookings")

    async def update(self, command: UpdateChild) -> ChildDetails:
        """Two transactions with a wait between them, as a payment around its charge."""
        self.runs["update"] += 1
        async with SqlUnitOfWork(self.engine) as uow:
            uow.session.add(Widget(name=f"before {command.child_id}"))
            await uow.commit()
        await asyncio.sleep(0.01)
        async with SqlUnitOfWork(self.engine) as uow:
            widget = Widget(name=f"after {command.child_id}")
            uow.session.add(widget)
            await uow.commit()
        now = utc_now()
        born = date(2019, 1, 1)
        return ChildDetails(
            id=widget.id or 0,
            parent_id=2,
            name=widget.name,
            date_of_birth=born,
            created_at=now,
            updated_at=now,
        )

    def handlers(self) -> Handlers:
        return {CreateChild: self.create, DeleteChild: self.delete, UpdateChild: self.update}


@pytest.fixture
async def widgets(engine: AsyncEngine) -> Widgets:
    await create_tables(engine, [PROCESSED_REQUESTS_TABLE])
    return Widgets(engine)


@pytest.fixture
async def processed(engine: AsyncEngine) -> ProcessedRequests:
    return ProcessedRequests(engine, ProcessedRequestSettings())


@pytest.fixture
async def service(
    nc: Client, widgets: Widgets, processed: ProcessedRequests
) -> AsyncIterator[Service]:
    served = await serve(nc, "widgets", "1.0.0", widgets.handlers(), processed=processed)
    yield served
    await served.stop()


async def stored_widgets(engine: AsyncEngine) -> int:
    async with SqlUnitOfWork(engine) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(Widget)) or 0)


async def test_the_same_request_id_twice_runs_the_handler_once_and_answers_the_same(
    nc: Client, service: Service, widgets: Widgets
) -> None:
    first = await request(nc, CHILD, request_id="retry-1")
    again = await request(nc, CHILD, request_id="retry-1")

    assert again == first
    assert widgets.runs["create"] == 1
    assert await stored_widgets(widgets.engine) == 1


async def test_an_error_answered_after_a_commit_is_answered_again_without_a_rerun(
    nc: Client, service: Service, widgets: Widgets
) -> None:
    for _ in range(2):
        with pytest.raises(ServiceError) as raised:
            await request(nc, DeleteChild(actor=ADMIN, child_id=7), request_id="delete-7")
        assert (raised.value.code, raised.value.message) == (
            ErrorCode.conflict,
            "child 7 has bookings",
        )
    assert widgets.runs["delete"] == 1
    assert await stored_widgets(widgets.engine) == 1


async def test_a_handler_of_two_transactions_is_run_once_too(
    nc: Client, service: Service, widgets: Widgets
) -> None:
    first = await request(nc, UpdateChild(actor=ADMIN, child_id=3), request_id="two-steps")
    again = await request(nc, UpdateChild(actor=ADMIN, child_id=3), request_id="two-steps")

    assert again == first
    assert widgets.runs["update"] == 1
    assert await stored_widgets(widgets.engine) == 2


async def test_different_request_ids_and_requests_without_one_each_run(
    nc: Client, service: Service, widgets: Widgets
) -> None:
    a = await request(nc, CHILD, request_id="one")
    b = await request(nc, CHILD, request_id="two")
    c = await request(nc, CHILD)
    d = await request(nc, CHILD)

    assert len({a.id, b.id, c.id, d.id}) == 4
    assert widgets.runs["create"] == 4
    assert await stored_widgets(widgets.engine) == 4


async def test_two_tries_of_one_request_id_at_once_make_one_change_and_one_answer(
    nc: Client, widgets: Widgets, processed: ProcessedRequests
) -> None:
    """Two services in different queue groups both get the one request, and both run it up
    to their commits together: the primary key lets one commit; the other answers its answer."""
    widgets.wait_for_both = True
    served = [
        await serve(nc, name, "1.0.0", widgets.handlers(), processed=processed)
        for name in ("widgets-a", "widgets-b")
    ]
    try:
        inbox = nc.new_inbox()
        answers = await nc.subscribe(inbox, max_msgs=2)
        await nc.publish(
            CreateChild.subject, encode(CHILD), reply=inbox, headers={REQUEST_ID_HEADER: "race"}
        )
        replies = [await answers.next_msg(timeout=20) for _ in range(2)]
    finally:
        for service in served:
            await service.stop()

    assert [ERROR_CODE_HEADER in (r.headers or {}) for r in replies] == [False, False]
    assert replies[0].data == replies[1].data
    assert widgets.runs["create"] == 2
    assert await stored_widgets(widgets.engine) == 1
    assert orjson.loads(replies[0].data)["name"] == "Bo"


async def test_a_request_id_older_than_the_retention_is_pruned_and_runs_again(
    nc: Client, service: Service, widgets: Widgets, processed: ProcessedRequests
) -> None:
    await request(nc, CHILD, request_id="old")
    retention = timedelta(seconds=processed.settings.processed_requests_retention_seconds)

    assert await processed.prune() == 0
    assert await processed.prune(now=utc_now() + retention + timedelta(seconds=1)) == 1
    await request(nc, CHILD, request_id="old")
    assert widgets.runs["create"] == 2


async def test_a_repeat_of_a_try_that_committed_but_kept_no_answer_is_never_run_again(
    nc: Client, widgets: Widgets, engine: AsyncEngine
) -> None:
    """A try that committed and then died before keeping its answer (its row is written here
    as it left it): a repeat answers `unavailable` while that try might still be finishing,
    `conflict` once it cannot be; the handler runs for neither."""
    settings = ProcessedRequestSettings(
        processed_requests_wait_seconds=0.1, processed_requests_lost_after_seconds=60
    )
    served = await serve(
        nc, "widgets", "1.0.0", widgets.handlers(), processed=ProcessedRequests(engine, settings)
    )
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(PROCESSED_REQUESTS_TABLE),
                [
                    {"request_id": "finishing", "created_at": utc_now()},
                    {"request_id": "died", "created_at": utc_now() - timedelta(minutes=2)},
                ],
            )
        with pytest.raises(ServiceError) as finishing:
            await request(nc, CHILD, request_id="finishing")
        with pytest.raises(ServiceError) as died:
            await request(nc, CHILD, request_id="died")
    finally:
        await served.stop()

    assert finishing.value.code is ErrorCode.unavailable
    assert died.value.code is ErrorCode.conflict
    assert "answer was lost" in died.value.message
    assert widgets.runs["create"] == 0


async def test_a_request_id_longer_than_the_column_is_refused(
    nc: Client, service: Service, widgets: Widgets
) -> None:
    with pytest.raises(ServiceError) as raised:
        await request(nc, CHILD, request_id="x" * 65)
    assert raised.value.code is ErrorCode.invalid
    assert widgets.runs["create"] == 0
