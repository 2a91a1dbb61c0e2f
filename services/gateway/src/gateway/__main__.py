"""`python -m gateway [migrate]`: run the REST gateway, or apply its schema."""

import asyncio
import sys

from gateway.bootstrap import bootstrap
from gateway.migrate import migrate
from gateway.settings import GatewaySettings
from messaging.runtime import run_service

settings = GatewaySettings()
if sys.argv[1:] == ["migrate"]:
    asyncio.run(migrate(settings.database_url))
else:
    run_service("gateway", lambda: bootstrap(settings))
