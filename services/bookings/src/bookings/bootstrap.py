"""Composition root of the bookings service: which handler answers which request, and the parts
it runs on. `handlers()` takes the unit of work as a parameter, so unit tests pass a fake."""

from collections.abc import Callable
from pathlib import Path

from bookings.adapters.tables import TABLES, map_aggregates
from bookings.handlers import children
from bookings.settings import BookingsSettings
from bookings.unit_of_work import SqlBookingsUnitOfWork, UnitOfWork
from contracts import bookings as c
from messaging.service import Handlers, bind, serve
from runtime.process import Running
from runtime.service import Schema, ServiceDefinition
from runtime.wiring import connect_nats, open_database

VERSION = "0.1.0"


def handlers(new_uow: Callable[[], UnitOfWork]) -> Handlers:
    return {
        c.CreateChild: bind(children.create_child, new_uow),
        c.ListChildren: bind(children.list_children, new_uow),
        c.GetChild: bind(children.get_child, new_uow),
        c.UpdateChild: bind(children.update_child, new_uow),
        c.DeleteChild: bind(children.delete_child, new_uow),
        c.SubmitChildChecklist: bind(children.submit_checklist, new_uow),
    }


async def start(settings: BookingsSettings) -> Running:
    running = Running("bookings")
    nats = await connect_nats(running, settings.nats_url)
    database = open_database(running, settings.database_url, nats.js)
    map_aggregates()

    def new_uow() -> UnitOfWork:
        return SqlBookingsUnitOfWork(database.engine, after_commit=database.relay.wake)

    service = await serve(
        nats.nc,
        "bookings",
        VERSION,
        handlers(new_uow),
        description="Children, bookings, sessions and payments",
    )
    running.closers.append(service.stop)
    return running


SERVICE = ServiceDefinition(
    name="bookings",
    settings=BookingsSettings,
    start=start,
    database=Schema(TABLES, Path(__file__).parent / "migrations" / "versions"),
)
