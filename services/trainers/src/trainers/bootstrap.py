"""Composition root of the trainers service.

Its endpoints (availability, absence, time entries, activity) arrive with their issue; today it
runs, owns its streams and outbox, and answers NATS service discovery.
"""

from messaging.runtime import Running
from messaging.service import serve
from messaging.wiring import wire
from trainers.settings import TrainersSettings

VERSION = "0.1.0"


async def bootstrap(settings: TrainersSettings) -> Running:
    running = Running("trainers")
    wired = await wire(running, settings.nats_url, settings.database_url)
    service = await serve(wired.nc, "trainers", VERSION, {}, description="Trainers and their time")
    running.closers.append(service.stop)
    return running
