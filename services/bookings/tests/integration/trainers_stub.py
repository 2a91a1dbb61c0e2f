"""A stand-in trainers service on NATS for the tests that are not about trainers: it answers
CheckAssignable from a table, and can hold questions until several are open at once, so that
two assignments are sure to be in flight together."""

import asyncio
import contextlib

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from contracts.envelope import Actor
from contracts.trainers import Assignability, AssignabilityProblem, CheckAssignable
from messaging.codec import decode, encode


class StubTrainers:
    def __init__(self) -> None:
        self.trainers: dict[int, Actor] = {}
        self.asked: list[CheckAssignable] = []
        self.hold_until = 0  # answer none until this many questions have arrived
        self.hold_seconds = 3.0  # but never hold one longer than this
        self._arrived = asyncio.Condition()
        self._subscription: Subscription | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def add(self, trainer_id: int, user: Actor) -> None:
        self.trainers[trainer_id] = user

    async def start(self, nc: Client) -> None:
        # A plain subscription whose callback only starts a task: a NATS subscription hands
        # over its messages one at a time, and held questions must not hold up the next.
        async def receive(msg: Msg) -> None:
            task = asyncio.create_task(self._answer(msg))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        self._subscription = await nc.subscribe(CheckAssignable.subject, cb=receive)
        await nc.flush()

    async def stop(self) -> None:
        if self._subscription is not None:
            await self._subscription.unsubscribe()
            self._subscription = None

    async def _answer(self, msg: Msg) -> None:
        question = decode(CheckAssignable, msg.data)
        async with self._arrived:
            self.asked.append(question)
            self._arrived.notify_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._arrived.wait_for(lambda: len(self.asked) >= self.hold_until),
                    self.hold_seconds,
                )
        await msg.respond(encode(self.answer(question)))

    def answer(self, question: CheckAssignable) -> Assignability:
        user = self.trainers.get(question.trainer_id)
        if user is None:
            return Assignability(
                trainer_id=question.trainer_id,
                assignable=False,
                problem=AssignabilityProblem.no_such_trainer,
                reason=f"trainer {question.trainer_id} not found",
            )
        return Assignability(
            trainer_id=question.trainer_id,
            assignable=True,
            trainer_user_id=user.user_id,
            trainer_name=user.name,
        )
