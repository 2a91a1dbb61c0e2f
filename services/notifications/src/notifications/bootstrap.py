"""Composition root of the notifications service.

The dispatcher (domain events → UserNotification) and the bell API arrive with their issue;
today it runs, owns its streams, outbox and inbox, and answers NATS service discovery.
"""

from pathlib import Path

from messaging.service import serve
from notifications.models import TABLES
from notifications.settings import NotificationsSettings
from runtime.process import Running
from runtime.service import Schema, ServiceDefinition
from runtime.wiring import connect_nats, open_database

VERSION = "0.1.0"


async def start(settings: NotificationsSettings) -> Running:
    running = Running("notifications")
    nats = await connect_nats(running, settings.nats_url)
    open_database(running, settings.database_url, nats.js)
    service = await serve(
        nats.nc, "notifications", VERSION, {}, description="In-app notifications and push"
    )
    running.closers.append(service.stop)
    return running


SERVICE = ServiceDefinition(
    name="notifications",
    settings=NotificationsSettings,
    start=start,
    database=Schema(TABLES, Path(__file__).parent / "migrations" / "versions"),
)
