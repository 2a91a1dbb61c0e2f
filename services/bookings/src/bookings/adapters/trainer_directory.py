"""The trainers service as bookings asks it: may this trainer take a session then?"""

import datetime as dt
from typing import Protocol

from nats.aio.client import Client

from contracts.envelope import Actor
from contracts.errors import ErrorCode, ServiceError
from contracts.trainers import Assignability, CheckAssignable
from messaging.requests import request


class TrainerDirectory(Protocol):
    async def assignable(
        self, trainer_id: int, date: dt.date, start: dt.time, end: dt.time, actor: Actor
    ) -> Assignability:
        """Raises ServiceError(unavailable) when the trainers service does not answer."""
        ...


class NatsTrainerDirectory:
    def __init__(self, nc: Client, timeout: float) -> None:
        self._nc = nc
        self._timeout = timeout

    async def assignable(
        self, trainer_id: int, date: dt.date, start: dt.time, end: dt.time, actor: Actor
    ) -> Assignability:
        question = CheckAssignable(
            actor=actor, trainer_id=trainer_id, date=date, start_time=start, end_time=end
        )
        try:
            answer: Assignability = await request(self._nc, question, timeout=self._timeout)
        except ServiceError as exc:
            if exc.code is not ErrorCode.unavailable:
                raise
            # The gateway answers 503 (docs/faults.md: a domain service down).
            message = f"the trainers service is unavailable ({exc.message}); nothing was changed"
            raise ServiceError(ErrorCode.unavailable, message) from exc
        return answer
