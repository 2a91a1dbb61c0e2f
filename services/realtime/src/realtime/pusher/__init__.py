"""A Pusher Channels protocol 7 server: WebSocket edge, HTTP API and ops endpoints on one port."""

from realtime.pusher.apps import App, AppRegistry
from realtime.pusher.config import ServerConfig
from realtime.pusher.hub import Hub, LocalPublisher
from realtime.pusher.publication import Publication
from realtime.pusher.seams import HubListener, NullListener, Publisher
from realtime.pusher.server import RunningServer, start_server
from realtime.pusher.signing import shared_secret, sign_channel, sign_user

__all__ = [
    "App",
    "AppRegistry",
    "Hub",
    "HubListener",
    "LocalPublisher",
    "NullListener",
    "Publication",
    "Publisher",
    "RunningServer",
    "ServerConfig",
    "shared_secret",
    "sign_channel",
    "sign_user",
    "start_server",
]
