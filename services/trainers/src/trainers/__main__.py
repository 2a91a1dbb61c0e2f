"""`python -m trainers [migrate]`: run the trainers service, or apply its schema."""

import asyncio
import sys

from messaging.runtime import run_service
from trainers.bootstrap import bootstrap
from trainers.migrate import migrate
from trainers.settings import TrainersSettings

settings = TrainersSettings()
if sys.argv[1:] == ["migrate"]:
    asyncio.run(migrate(settings.database_url))
else:
    run_service("trainers", lambda: bootstrap(settings))
