"""`python -m realtime`: run the WebSocket edge (Pusher protocol 7) and live refresh router."""

from messaging.runtime import run_service
from realtime.bootstrap import bootstrap
from realtime.settings import RealtimeSettings

settings = RealtimeSettings()
run_service("realtime", lambda: bootstrap(settings))
