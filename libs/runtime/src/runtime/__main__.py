"""`python -m runtime <service> [run | migrate | revision "<message>"]`: the one entry point of
every service (run is the default)."""

import asyncio
import sys

from database.migrations import revision
from runtime.process import run_service
from runtime.service import definition, migrate
from runtime.settings import DatabaseServiceSettings

USAGE = 'usage: python -m runtime <service> [run | migrate | revision "<message>"]'


def main(argv: list[str]) -> int:
    if not argv:
        print(USAGE, file=sys.stderr)
        return 2
    try:
        service = definition(argv[0])
    except LookupError as exc:
        print(exc, file=sys.stderr)
        return 2
    command, rest = (argv[1], argv[2:]) if len(argv) > 1 else ("run", [])
    settings = service.settings()
    if command == "run" and not rest:
        run_service(service.name, lambda: service.start(settings))
    elif command in ("migrate", "revision") and (
        service.database is None or not isinstance(settings, DatabaseServiceSettings)
    ):
        print(f"{service.name} has no database", file=sys.stderr)
        return 2
    elif command == "migrate" and not rest:
        asyncio.run(migrate(service, settings.database_url))
    elif command == "revision" and len(rest) == 1 and service.database is not None:
        revision(service.database.versions, service.database.tables, rest[0])
    else:
        print(USAGE, file=sys.stderr)
        return 2
    return 0


sys.exit(main(sys.argv[1:]))
