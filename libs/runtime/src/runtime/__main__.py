"""`python -m runtime <service> [run | migrate | revision "<message>"]`: the one entry point of
every service (run is the default)."""

import asyncio
import sys

from database.migrations import revision
from runtime.process import run_service
from runtime.profile import EXIT_CONFIG, Profile, ProfileError, current_profile, production_refusals
from runtime.service import definition, migrate
from runtime.settings import DatabaseServiceSettings

USAGE = 'usage: python -m runtime <service> [run | migrate | revision "<message>"]'


def use_uvloop() -> None:
    """Run the service on uvloop (libuv) where it is installed: a leaner event loop for every
    socket, timer and callback. `asyncio.run` in `run_service` then makes a uvloop loop."""
    try:
        import uvloop
    except ImportError:  # not on Windows
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


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
    try:
        profile = current_profile()
    except ProfileError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG
    settings = service.settings()
    if profile is Profile.production and command in ("run", "migrate"):
        refusals = production_refusals(settings)
        if command == "migrate":  # it reads nothing but its database URL
            refusals = [r for r in refusals if r.variable.endswith("_DATABASE_URL")]
        for refusal in refusals:
            print(refusal, file=sys.stderr)
        if refusals:
            return EXIT_CONFIG
    if command == "run" and not rest:
        use_uvloop()
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
