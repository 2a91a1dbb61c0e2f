"""Composition root of the bookings service: which handler answers which request, and the parts
it runs on. `handlers()` takes the unit of work and the ports as parameters, so unit tests pass
fakes."""

from collections.abc import Callable
from functools import partial
from pathlib import Path

from bookings.adapters.payments import DevelopmentProcessor, PaymentProcessor
from bookings.adapters.tables import TABLES, map_aggregates
from bookings.adapters.trainer_directory import NatsTrainerDirectory, TrainerDirectory
from bookings.handlers import bookings, children, day, payments, schedule_queries, schedules
from bookings.settings import SCHEDULES_OF_DAY_LIMIT, BookingsSettings
from bookings.unit_of_work import SqlBookingsUnitOfWork, UnitOfWork
from contracts import bookings as c
from messaging.service import Handlers, bind, serve
from runtime.process import Running
from runtime.service import Schema, ServiceDefinition
from runtime.wiring import connect_nats, keep_processed_requests, open_database

VERSION = "0.1.0"
# The streams whose limits its start keeps up to date (the others it only creates if missing).
KEEPS = (c.BOOKINGS_EVENTS,)


def handlers(
    new_uow: Callable[[], UnitOfWork],
    trainers: TrainerDirectory,
    processor: PaymentProcessor | None = None,
    schedules_of_day_limit: int = SCHEDULES_OF_DAY_LIMIT,
) -> Handlers:
    processor = processor or DevelopmentProcessor()
    return {
        c.CreateChild: bind(children.create_child, new_uow),
        c.ListChildren: bind(children.list_children, new_uow),
        c.GetChild: bind(children.get_child, new_uow),
        c.UpdateChild: bind(children.update_child, new_uow),
        c.DeleteChild: bind(children.delete_child, new_uow),
        c.SubmitChildChecklist: bind(children.submit_checklist, new_uow),
        c.CreateBooking: bind(bookings.create_booking, new_uow),
        c.ListBookings: bind(bookings.list_bookings, new_uow),
        c.GetBooking: bind(bookings.get_booking, new_uow),
        c.UpdateBooking: bind(bookings.update_booking, new_uow),
        c.DeleteBooking: bind(bookings.delete_booking, new_uow),
        c.CreateSchedule: bind(schedules.create_schedule, new_uow),
        c.ListSchedules: bind(schedule_queries.list_schedules, new_uow),
        c.GetSchedule: bind(schedule_queries.get_schedule, new_uow),
        c.UpdateSchedule: bind(partial(schedules.update_schedule, trainers=trainers), new_uow),
        c.DeleteSchedule: bind(schedules.delete_schedule, new_uow),
        c.AssignTrainer: bind(partial(schedules.assign_trainer, trainers=trainers), new_uow),
        c.CancelSchedulesOfDay: bind(day.cancel_schedules_of_day, new_uow),
        c.ListSchedulesOfDay: bind(
            partial(schedule_queries.list_schedules_of_day, limit=schedules_of_day_limit),
            new_uow,
        ),
        c.MakePayment: bind(partial(payments.make_payment, processor=processor), new_uow),
        c.ListPayments: bind(payments.list_payments, new_uow),
    }


async def start(settings: BookingsSettings) -> Running:
    running = Running("bookings")
    nats = await connect_nats(running, settings.nats_url, keeps=KEEPS)
    database = open_database(running, settings.database_url, nats.js)
    map_aggregates()

    def new_uow() -> UnitOfWork:
        return SqlBookingsUnitOfWork(database.engine, after_commit=database.relay.committed)

    processed = keep_processed_requests(running, database, settings.model_config["env_prefix"])

    service = await serve(
        nats.nc,
        "bookings",
        VERSION,
        handlers(
            new_uow,
            NatsTrainerDirectory(nats.nc, settings.trainers_timeout_seconds),
            DevelopmentProcessor(settings.payments_decline_amounts),
            settings.schedules_of_day_limit,
        ),
        description="Children, bookings, sessions and payments",
        processed=processed,
    )
    running.closers.append(service.stop)
    return running


SERVICE = ServiceDefinition(
    name="bookings",
    settings=BookingsSettings,
    start=start,
    database=Schema(TABLES, Path(__file__).parent / "migrations" / "versions"),
)
