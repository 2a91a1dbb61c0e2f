"""The bookings service as trainers asks it: this session, as the caller may see it."""

from typing import Protocol

from nats.aio.client import Client

from contracts.bookings import GetSchedule, ScheduleDetails
from contracts.envelope import Actor
from contracts.errors import ErrorCode, ServiceError
from messaging.requests import request

BOOKINGS_AWAY = "the bookings service is unavailable; nothing changed"


class SessionDirectory(Protocol):
    async def session(self, schedule_id: int, actor: Actor) -> ScheduleDetails:
        """The session, asked with the caller as actor: bookings answers not_found to anyone who
        may not see it (its parent, its trainer and admins may). Raises ServiceError
        (unavailable) when bookings does not answer."""
        ...


class NatsSessionDirectory:
    def __init__(self, nc: Client, timeout: float) -> None:
        self._nc = nc
        self._timeout = timeout

    async def session(self, schedule_id: int, actor: Actor) -> ScheduleDetails:
        question = GetSchedule(actor=actor, schedule_id=schedule_id)
        try:
            answer: ScheduleDetails = await request(self._nc, question, timeout=self._timeout)
        except ServiceError as exc:
            if exc.code is not ErrorCode.unavailable:
                raise
            # The gateway answers 503 (docs/faults.md: a domain service down).
            raise ServiceError(ErrorCode.unavailable, BOOKINGS_AWAY) from exc
        return answer
