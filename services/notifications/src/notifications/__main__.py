"""`python -m notifications [migrate]`: run the notifications service, or apply its schema."""

import asyncio
import sys

from messaging.runtime import run_service
from notifications.bootstrap import bootstrap
from notifications.migrate import migrate
from notifications.settings import NotificationsSettings

settings = NotificationsSettings()
if sys.argv[1:] == ["migrate"]:
    asyncio.run(migrate(settings.database_url))
else:
    run_service("notifications", lambda: bootstrap(settings))
