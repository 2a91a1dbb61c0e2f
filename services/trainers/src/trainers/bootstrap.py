"""Composition root of the trainers service.

Its endpoints (availability, absence, time entries, activity) arrive with their issue; today it
runs, owns its streams, outbox and inbox, and answers NATS service discovery.
"""

from pathlib import Path

from messaging.service import serve
from runtime.process import Running
from runtime.service import Schema, ServiceDefinition
from runtime.wiring import connect_nats, open_database
from trainers.models import TABLES
from trainers.settings import TrainersSettings

VERSION = "0.1.0"


async def start(settings: TrainersSettings) -> Running:
    running = Running("trainers")
    nats = await connect_nats(running, settings.nats_url)
    open_database(running, settings.database_url, nats.js)
    service = await serve(nats.nc, "trainers", VERSION, {}, description="Trainers and their time")
    running.closers.append(service.stop)
    return running


SERVICE = ServiceDefinition(
    name="trainers",
    settings=TrainersSettings,
    start=start,
    database=Schema(TABLES, Path(__file__).parent / "migrations" / "versions"),
)
