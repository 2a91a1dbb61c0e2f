"""Composition root of the trainers service: which handler answers which request, the consumer
that makes trainer profiles, and the parts it runs on. `handlers()` takes the unit of work, the
port to bookings and the clock as parameters, so unit tests pass fakes."""

from collections.abc import Callable
from functools import partial
from pathlib import Path

from contracts import trainers as c
from contracts.identity import IDENTITY_EVENTS, UserCreated
from contracts.streams import DEAD_LETTERS
from database.inbox import exactly_once
from messaging.consumer import DurableConsumer, subjects_of
from messaging.service import Handlers, bind, serve
from runtime.process import Running
from runtime.service import Schema, ServiceDefinition
from runtime.wiring import connect_nats, keep_processed_requests, open_database
from trainers.adapters.sessions import NatsSessionDirectory, SessionDirectory
from trainers.adapters.tables import TABLES, map_aggregates
from trainers.clock import BusinessClock
from trainers.consumers import identity
from trainers.handlers import (
    absences,
    activity_logs,
    assignability,
    availability,
    session_activity,
    time_entries,
    trainers,
)
from trainers.settings import MAX_AVAILABILITY_DATES, SESSION_ACTIVITY_LOGS, TrainersSettings
from trainers.unit_of_work import SqlTrainersUnitOfWork, UnitOfWork

VERSION = "0.1.0"
# The streams whose limits its start keeps up to date (the others it only creates if missing):
# its events, and the dead letters its consumer parks.
KEEPS = (c.TRAINERS_EVENTS, DEAD_LETTERS)


def handlers(
    new_uow: Callable[[], UnitOfWork],
    sessions: SessionDirectory,
    max_availability_dates: int = MAX_AVAILABILITY_DATES,
    clock: BusinessClock | None = None,
    session_activity_logs: int = SESSION_ACTIVITY_LOGS,
) -> Handlers:
    clock = clock or BusinessClock()
    replace = partial(availability.replace_availability, max_dates=max_availability_dates)
    logs = session_activity_logs
    clock_in = partial(time_entries.clock_in, sessions=sessions, clock=clock, logs_limit=logs)
    clock_out = partial(time_entries.clock_out, sessions=sessions, clock=clock, logs_limit=logs)
    update_activity = partial(
        time_entries.update_current_activity, sessions=sessions, clock=clock, logs_limit=logs
    )
    return {
        c.ListTrainers: bind(trainers.list_trainers, new_uow),
        c.GetTrainer: bind(trainers.get_trainer, new_uow),
        c.GetMyTrainerProfile: bind(trainers.get_my_profile, new_uow),
        c.GetAvailability: bind(availability.get_availability, new_uow),
        c.ReplaceAvailability: bind(replace, new_uow),
        c.RequestAbsence: bind(absences.request_absence, new_uow),
        c.ListAbsenceRequests: bind(absences.list_absence_requests, new_uow),
        c.GetAbsenceRequest: bind(absences.get_absence_request, new_uow),
        c.DecideAbsenceRequest: bind(absences.decide_absence_request, new_uow),
        c.WithdrawAbsenceRequest: bind(absences.withdraw_absence_request, new_uow),
        c.CheckAssignable: bind(assignability.check_assignable, new_uow),
        c.ClockIn: bind(clock_in, new_uow),
        c.ClockOut: bind(clock_out, new_uow),
        c.UpdateCurrentActivity: bind(update_activity, new_uow),
        c.GetSessionActivity: bind(
            partial(session_activity.get_session_activity, sessions=sessions, logs_limit=logs),
            new_uow,
        ),
        c.GetDayActivity: bind(session_activity.get_day_activity, new_uow),
        c.CreateActivityLog: bind(
            partial(activity_logs.create_activity_log, sessions=sessions, clock=clock), new_uow
        ),
        c.UpdateActivityLog: bind(
            partial(activity_logs.update_activity_log, sessions=sessions, clock=clock), new_uow
        ),
        c.ListActivityLogs: bind(
            partial(activity_logs.list_activity_logs, sessions=sessions), new_uow
        ),
    }


async def start(settings: TrainersSettings) -> Running:
    running = Running("trainers")
    nats = await connect_nats(running, settings.nats_url, keeps=KEEPS)
    database = open_database(running, settings.database_url, nats.js)
    map_aggregates()

    def new_uow() -> SqlTrainersUnitOfWork:
        return SqlTrainersUnitOfWork(database.engine, after_commit=database.relay.committed)

    profiles = DurableConsumer(
        nats.js,
        IDENTITY_EVENTS,
        identity.DURABLE,
        exactly_once(identity.DURABLE, new_uow, identity.on_user_created),
        subjects=subjects_of(UserCreated),
    )
    running.spawn(profiles.run(), f"{identity.DURABLE}:{IDENTITY_EVENTS.name}")

    processed = keep_processed_requests(running, database, settings.model_config["env_prefix"])

    service = await serve(
        nats.nc,
        "trainers",
        VERSION,
        handlers(
            new_uow,
            NatsSessionDirectory(nats.nc, settings.bookings_timeout_seconds),
            settings.max_availability_dates,
            BusinessClock(settings.business_zone()),
            settings.session_activity_logs,
        ),
        description="Trainers, their availability, absences and time",
        processed=processed,
    )
    running.closers.append(service.stop)
    return running


SERVICE = ServiceDefinition(
    name="trainers",
    settings=TrainersSettings,
    start=start,
    database=Schema(TABLES, Path(__file__).parent / "migrations" / "versions"),
)
