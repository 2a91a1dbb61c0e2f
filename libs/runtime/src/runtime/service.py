"""What a service is to the runtime: its name, settings, how it starts and, if it owns one, its
database schema. Each service declares one `ServiceDefinition` in its `bootstrap.py` and names
it under the `cams.services` entry point in its `pyproject.toml`; that is all `python -m
runtime <service>` and `./dev up` need to run it."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import Table

from database.migrations import upgrade
from runtime.process import Running
from runtime.settings import ServiceSettings

ENTRY_POINT_GROUP = "cams.services"

S = TypeVar("S", bound=ServiceSettings)


@dataclass(frozen=True)
class Schema:
    """The tables a service owns and the folder of its Alembic revisions."""

    tables: Sequence[Table]
    versions: Path


@dataclass(frozen=True)
class ServiceDefinition(Generic[S]):
    name: str
    settings: type[S]
    start: Callable[[S], Awaitable[Running]]
    database: Schema | None = None


def service_names() -> list[str]:
    """Every service installed in this environment, by name."""
    return sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))


def definition(name: str) -> ServiceDefinition[Any]:
    """The service registered under `name`; LookupError naming the known ones otherwise."""
    found = {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}
    if name not in found:
        raise LookupError(f"no service {name!r}; known: {', '.join(sorted(found)) or 'none'}")
    loaded = found[name].load()
    if not isinstance(loaded, ServiceDefinition):
        raise TypeError(f"entry point {name!r} is not a ServiceDefinition")
    return loaded


async def migrate(service: ServiceDefinition[Any], database_url: str) -> None:
    """Bring `service`'s database to its newest schema (idempotent)."""
    if service.database is None:
        raise ValueError(f"{service.name} has no database")
    await upgrade(database_url, service.database.versions, service.database.tables)
