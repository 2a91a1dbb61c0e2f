"""The requests a service has applied, by the id their sender gave them, with their answers.

A sender that may send a request twice (the gateway retrying a POST under its Idempotency-Key,
after its first try timed out with the outcome unknown) names it with `REQUEST_ID_HEADER`. The
request layer (`messaging.service`) runs the handler inside `running(request_id)`; the unit of
work's commit then inserts the id in the same transaction as the change (`record_applied`) and
holds that transaction open (`HeldCommit`) until the handler returns, so that its answer
commits with the change. A repeat of the id finds the row and gets the answer; the handler
does not run again. (A handler of several transactions commits the first before the next one
begins; its answer is kept on the row right after it returns.)

Only a request that committed something is recorded: one that changed nothing may simply run
again. Two tries at once both run; the primary key fails the second's commit (`AlreadyApplied`),
which rolls its change back, and it answers the first's answer.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from pydantic import Field as SettingField
from pydantic_settings import BaseSettings
from sqlalchemy import Column, LargeBinary, Row, Update, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from contracts.envelope import utc_now
from contracts.errors import ErrorCode, ServiceError

log = logging.getLogger(__name__)

REQUEST_ID_MAX_LENGTH = 64


class ProcessedRequestSettings(BaseSettings):
    """Read with the service's own prefix: `ProcessedRequestSettings(_env_prefix="BOOKINGS_")`."""

    # How long an applied request id and its answer are kept; a repeat later than this runs
    # again (as long as the gateway keeps an Idempotency-Key: GATEWAY_IDEMPOTENCY_TTL_SECONDS).
    processed_requests_retention_seconds: int = SettingField(default=86_400, ge=60)
    # How often expired ids are deleted, and how many per transaction.
    processed_requests_prune_interval_seconds: float = SettingField(default=300.0, gt=0)
    processed_requests_prune_batch: int = SettingField(default=1000, ge=1)
    # How long a repeat waits for the answer of a first try that committed and is still
    # finishing, before it answers `unavailable` (try again); well below the gateway's
    # GATEWAY_REQUEST_TIMEOUT_SECONDS (3 s), so that the repeat's answer reaches it.
    processed_requests_wait_seconds: float = SettingField(default=1.0, ge=0)
    # A first try that committed but kept no answer for this long died in between (only a
    # handler of several transactions can): a repeat answers `conflict` (applied, answer lost)
    # rather than `unavailable` forever.
    processed_requests_lost_after_seconds: float = SettingField(default=60.0, gt=0)


class ProcessedRequest(SQLModel, table=True):
    __tablename__ = "processed_requests"

    request_id: str = Field(primary_key=True, max_length=REQUEST_ID_MAX_LENGTH)
    # The encoded reply, or the encoded error reply when `error` names its code; NULL only
    # while a handler of several transactions is between its first commit and its answer.
    reply: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    error: str | None = Field(default=None, max_length=50)
    created_at: datetime = Field(default_factory=utc_now, index=True)


PROCESSED_REQUESTS_TABLE = ProcessedRequest.__table__  # type: ignore[attr-defined]
_T = PROCESSED_REQUESTS_TABLE


class AlreadyApplied(Exception):
    """Another try of the same request id committed first; this try's change rolled back."""

    def __init__(self, request_id: str) -> None:
        super().__init__(f"request {request_id} was already applied")
        self.request_id = request_id


class HeldCommit:
    """The transaction of a request's first commit, held open so that its answer commits with
    it. It commits as soon as it may no longer wait: with the answer when the handler returns
    (`RunningRequest.settle`); without it, and the answer kept a moment later, when the handler
    opens another unit of work, or awaits anything once the unit of work's block has ended
    (the payment charge between two transactions must not hold the first one open)."""

    def __init__(
        self, request: "RunningRequest", session: AsyncSession, after_commit: Callable[[], None]
    ) -> None:
        self.request = request
        self.session = session
        self._after_commit = after_commit
        self._background: asyncio.Task[None] | None = None
        self._started = False

    def let_go(self) -> None:
        """The unit of work's block ended: commit at the handler's next wait, if it has one."""
        if self._background is None:
            self._background = asyncio.create_task(self._commit(None))

    async def commit(self, answer: "Answer | None") -> bool:
        """Commit now (or wait for the commit under way); whether `answer` went with it."""
        if self._background is not None:
            if self._started:
                await self._background
                return False
            self._background.cancel()  # not begun: its coroutine never runs
        await self._commit(answer)
        return answer is not None

    async def _commit(self, answer: "Answer | None") -> None:
        self._started = True
        try:
            if answer is not None:
                connection = await self.session.connection()
                await connection.execute(_keep(self.request.request_id, answer))
            await self.session.commit()
        finally:
            await self.session.close()
        self.request.applied = True
        self._after_commit()


@dataclass
class RunningRequest:
    """The request id a handler runs under: whether one of its commits recorded it, and the
    transaction that did while it is held for the answer."""

    request_id: str
    applied: bool = False
    held: HeldCommit | None = None

    def hold(self, session: AsyncSession, after_commit: Callable[[], None]) -> None:
        if self.held is None:
            self.held = HeldCommit(self, session, after_commit)

    async def release(self) -> None:
        """Commit a held transaction without the answer (kept on its row later)."""
        held, self.held = self.held, None
        if held is not None:
            await held.commit(None)

    async def settle(self, answer: "Answer") -> bool:
        """After the handler: commit a held transaction with `answer`; whether it went with it
        (if not, and the request applied, the answer is to be kept on its row)."""
        held, self.held = self.held, None
        return held is not None and await held.commit(answer)


_running: ContextVar[RunningRequest | None] = ContextVar("running_request", default=None)


@contextlib.contextmanager
def running(request_id: str) -> Iterator[RunningRequest]:
    """Run a handler under `request_id`: the first commit of its units of work records it."""
    current = RunningRequest(request_id)
    token = _running.set(current)
    try:
        yield current
    finally:
        _running.reset(token)


async def record_applied(session: AsyncSession) -> RunningRequest | None:
    """In a unit of work's commit, before the change is written: insert the running request's
    id (once per request); the caller then holds its transaction (`RunningRequest.hold`) rather
    than committing it. None: no request to record, commit as usual.

    Raises AlreadyApplied when another try of the id holds the row."""
    current = _running.get()
    if current is None or current.applied:
        return None
    if current.held is not None:
        if current.held.session is session:  # a second commit in the same block
            return current
        await current.release()
        return None
    connection = await session.connection()
    try:
        await connection.execute(
            insert(_T), {"request_id": current.request_id, "created_at": utc_now()}
        )
    except IntegrityError as exc:
        raise AlreadyApplied(current.request_id) from exc
    return current


async def release_held() -> None:
    """At the start of a unit of work: what the request committed before goes through first."""
    current = _running.get()
    if current is not None:
        await current.release()


def let_go(session: AsyncSession) -> bool:
    """At the end of a unit of work's block: whether `session` is held for its request's answer
    (then it is not closed now, and commits at the handler's next wait or its end)."""
    current = _running.get()
    if current is None or current.held is None or current.held.session is not session:
        return False
    current.held.let_go()
    return True


def _keep(request_id: str, answer: "Answer") -> Update:
    return (
        update(_T)
        .where(_T.c.request_id == request_id, _T.c.reply.is_(None))
        .values(reply=answer.body, error=answer.error)
    )


@dataclass(frozen=True)
class Answer:
    """What a request was answered: an encoded reply, or an encoded error reply and its code."""

    body: bytes
    error: str | None = None


@dataclass
class ProcessedRequests:
    """The table, for the request layer: the answer of an earlier try, keeping one, pruning."""

    engine: AsyncEngine
    settings: ProcessedRequestSettings = field(default_factory=ProcessedRequestSettings)
    poll_interval: float = 0.05

    async def earlier_answer(self, request_id: str) -> Answer | None:
        """The answer of a try of `request_id` that applied; None when none did.

        Raises ServiceError: `unavailable` while that try has not answered yet (still running),
        `conflict` when it never will (it died between its commit and its answer)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.processed_requests_wait_seconds
        while True:
            row = await self._find(request_id)
            if row is None:
                return None
            if row.reply is not None:
                return Answer(row.reply, row.error)
            if loop.time() >= deadline:
                break
            await asyncio.sleep(self.poll_interval)
        lost_after = timedelta(seconds=self.settings.processed_requests_lost_after_seconds)
        if utc_now() - _aware(row.created_at) >= lost_after:
            raise ServiceError(
                ErrorCode.conflict,
                "this request was applied, but its answer was lost; read the resource to see it",
            )
        raise ServiceError(
            ErrorCode.unavailable, "the first try of this request is still running; try again"
        )

    async def keep(self, request_id: str, answer: Answer) -> None:
        """Keep the answer of the try that applied `request_id`, when it did not commit with it
        (a handler of several transactions)."""
        async with self.engine.begin() as connection:
            await connection.execute(_keep(request_id, answer))

    async def prune(self, now: datetime | None = None) -> int:
        """Delete ids older than the retention, a batch per transaction; how many."""
        retention = timedelta(seconds=self.settings.processed_requests_retention_seconds)
        before = (now or utc_now()) - retention
        batch = self.settings.processed_requests_prune_batch
        deleted = 0
        while True:
            oldest = (
                select(_T.c.request_id)
                .where(_T.c.created_at < before)
                .limit(batch)
                .scalar_subquery()
            )
            async with self.engine.begin() as connection:
                result = await connection.execute(delete(_T).where(_T.c.request_id.in_(oldest)))
            deleted += result.rowcount
            if result.rowcount < batch:
                return deleted

    async def _find(self, request_id: str) -> Row[tuple[bytes | None, str | None, datetime]] | None:
        async with self.engine.connect() as connection:
            found = await connection.execute(
                select(_T.c.reply, _T.c.error, _T.c.created_at).where(_T.c.request_id == request_id)
            )
            return found.first()


def _aware(moment: datetime) -> datetime:
    # A driver may hand back a naive datetime; it was written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass
class PruneJob:
    """Runs `ProcessedRequests.prune` every interval until `stop`, which lets a pass finish its
    transaction rather than cutting it."""

    requests: ProcessedRequests
    _stopping: asyncio.Event = field(default_factory=asyncio.Event)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        interval = self.requests.settings.processed_requests_prune_interval_seconds
        while not self._stopping.is_set():
            try:
                deleted = await self.requests.prune()
                if deleted:
                    log.info("pruned %d processed request ids", deleted)
            except Exception:
                log.exception("pruning processed request ids failed; trying again next time")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), interval)
