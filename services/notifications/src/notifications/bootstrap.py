"""Composition root of the notifications service: the bell and preferences endpoints, the feed
endpoint, the consumers (users directory, dispatcher, activity feed) and the retention job.
`handlers()` takes the unit of work as a parameter, so unit tests pass a fake."""

from collections.abc import Awaitable, Callable
from pathlib import Path

from contracts import notifications as c
from contracts.bookings import BOOKINGS_EVENTS
from contracts.envelope import Event
from contracts.identity import IDENTITY_EVENTS, UserCreated
from contracts.streams import StreamSpec
from contracts.trainers import TRAINERS_EVENTS
from database.inbox import exactly_once
from messaging.consumer import DurableConsumer, subjects_of
from messaging.service import Handlers, bind, serve
from notifications.adapters.tables import TABLES, map_aggregates
from notifications.consumers import dispatcher, feed, identity
from notifications.consumers.in_flight import InFlight
from notifications.domain.rules import RULES
from notifications.handlers import activity, bell, preferences
from notifications.retention import RetentionJob
from notifications.settings import NotificationsSettings
from notifications.unit_of_work import SqlNotificationsUnitOfWork, UnitOfWork
from runtime.process import Running
from runtime.service import Schema, ServiceDefinition
from runtime.wiring import connect_nats, keep_processed_requests, open_database

VERSION = "0.2.0"
# The streams whose every event becomes a feed entry.
FEED_STREAMS = (BOOKINGS_EVENTS, TRAINERS_EVENTS, IDENTITY_EVENTS)

Consumer = Callable[[Event, UnitOfWork], Awaitable[None]]


def handlers(new_uow: Callable[[], UnitOfWork]) -> Handlers:
    return {
        c.ListNotifications: bind(bell.list_notifications, new_uow),
        c.CountUnread: bind(bell.count_unread, new_uow),
        c.MarkNotificationRead: bind(bell.mark_read, new_uow),
        c.MarkAllRead: bind(bell.mark_all_read, new_uow),
        c.ArchiveNotification: bind(bell.archive, new_uow),
        c.GetNotificationPreferences: bind(preferences.get_preferences, new_uow),
        c.UpdateNotificationPreferences: bind(preferences.update_preferences, new_uow),
        c.ListActivity: bind(activity.list_activity, new_uow),
    }


def dispatched_subjects(stream: StreamSpec) -> list[str]:
    """The subjects of the rules' events that `stream` carries."""
    prefixes = [pattern.removesuffix(">") for pattern in stream.subjects]
    return [e.subject for e in RULES if any(e.subject.startswith(p) for p in prefixes)]


async def start(settings: NotificationsSettings) -> Running:
    running = Running("notifications")
    nats = await connect_nats(running, settings.nats_url)
    database = open_database(running, settings.database_url, nats.js)
    map_aggregates()

    def new_uow() -> SqlNotificationsUnitOfWork:
        return SqlNotificationsUnitOfWork(database.engine, after_commit=database.relay.committed)

    in_flight = InFlight()

    def consume(stream: StreamSpec, durable: str, handler: Consumer, subjects: list[str]) -> None:
        consumer = DurableConsumer(
            nats.js,
            stream,
            durable,
            in_flight.shielded(exactly_once(durable, new_uow, handler)),
            subjects=subjects,
            max_deliver=settings.max_deliver,
            ack_wait=settings.ack_wait_seconds,
        )
        running.spawn(consumer.run(), f"{durable}:{stream.name}")

    consume(IDENTITY_EVENTS, identity.DURABLE, identity.on_user_created, subjects_of(UserCreated))
    for stream in (BOOKINGS_EVENTS, TRAINERS_EVENTS):
        consume(stream, dispatcher.DURABLE, dispatcher.dispatch, dispatched_subjects(stream))
    for stream in FEED_STREAMS:
        consume(stream, feed.DURABLE, feed.record, list(stream.subjects))

    # Closers run in reverse: handlings under way end before the engine is disposed.
    running.closers.append(in_flight.wait)

    job = RetentionJob(new_uow, settings.ages(), settings.retention_interval_seconds)
    running.spawn(job.run(), "retention", stop=job.stop)

    processed = keep_processed_requests(running, database, settings.model_config["env_prefix"])

    service = await serve(
        nats.nc,
        "notifications",
        VERSION,
        handlers(new_uow),
        description="In-app notifications, their preferences and the activity feed",
        processed=processed,
    )
    running.closers.append(service.stop)
    return running


SERVICE = ServiceDefinition(
    name="notifications",
    settings=NotificationsSettings,
    start=start,
    database=Schema(TABLES, Path(__file__).parent / "migrations" / "versions"),
)
