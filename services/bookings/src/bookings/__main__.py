"""`python -m bookings [migrate]`: run the bookings service, or apply its schema."""

import asyncio
import sys

from bookings.bootstrap import bootstrap
from bookings.migrate import migrate
from bookings.settings import BookingsSettings
from messaging.runtime import run_service

settings = BookingsSettings()
if sys.argv[1:] == ["migrate"]:
    asyncio.run(migrate(settings.database_url))
else:
    run_service("bookings", lambda: bootstrap(settings))
