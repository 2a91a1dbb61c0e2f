"""One transaction for a command: domain rows and staged outbox events commit together."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel.ext.asyncio.session import AsyncSession


class UnitOfWork:
    def __init__(
        self, engine: AsyncEngine, after_commit: Callable[[], None] = lambda: None
    ) -> None:
        self.engine = engine
        self._after_commit = after_commit

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Commit on leaving the block, roll back on an exception; then wake the outbox relay."""
        async with (
            AsyncSession(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session
        self._after_commit()

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            yield session
