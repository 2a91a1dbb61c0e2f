"""The Pusher HTTP API (publish, channel queries, terminate) and the ops endpoints, as handlers;
`MetricsEndpoint` answers on the metrics listener, apart from the public port.

Each request maps to `HttpResponse`; the server turns that into bytes. Signatures are checked
against the path as sent and as decoded, since SDKs sign the raw channel name. Channel queries
answer for every instance, from what the hub already holds; terminate reaches every instance.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote

import orjson

from realtime.pusher import signing
from realtime.pusher.apps import App
from realtime.pusher.channels import ChannelKind, is_valid_name, is_valid_socket_id, kind_of
from realtime.pusher.config import ServerConfig
from realtime.pusher.connection import UNAUTHORIZED
from realtime.pusher.hub import Hub
from realtime.pusher.metrics import Metrics
from realtime.pusher.publication import Publication

Readiness = Callable[[], bool | Awaitable[bool]]
_ROUTES: list[tuple[str, str, re.Pattern[str]]] = [
    ("POST", "events", re.compile(r"^/apps/([^/]+)/events$")),
    ("POST", "batch_events", re.compile(r"^/apps/([^/]+)/batch_events$")),
    ("GET", "channels", re.compile(r"^/apps/([^/]+)/channels$")),
    ("GET", "channel", re.compile(r"^/apps/([^/]+)/channels/([^/]+)$")),
    ("GET", "users", re.compile(r"^/apps/([^/]+)/channels/([^/]+)/users$")),
    ("POST", "terminate", re.compile(r"^/apps/([^/]+)/users/([^/]+)/terminate_connections$")),
    # pusher-http-python 3.3 posts here, without the app id
    ("POST", "terminate", re.compile(r"^/users/([^/]+)/terminate_connections$")),
]


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()


class HttpHandler(Protocol):
    async def handle(self, method: str, target: str, body: bytes) -> HttpResponse: ...


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def json_response(status: int, body: Any) -> HttpResponse:
    return HttpResponse(status, orjson.dumps(body))


class MetricsEndpoint:
    """GET /metrics, for the metrics listener only."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    async def handle(self, method: str, target: str, body: bytes) -> HttpResponse:
        if target.partition("?")[0] != "/metrics":
            return json_response(404, {"error": "Not found"})
        if method != "GET":
            return json_response(405, {"error": "Method not allowed"})
        return HttpResponse(200, self.metrics.render(), "text/plain; version=0.0.4")


class HttpApi:
    def __init__(self, hub: Hub, config: ServerConfig, readiness: Readiness | None = None) -> None:
        self.hub, self.config = hub, config
        self.readiness = readiness

    async def handle(self, method: str, target: str, body: bytes) -> HttpResponse:
        raw_path, _, query = target.partition("?")
        path = unquote(raw_path)
        if method == "GET" and path == "/healthz":
            return json_response(200, {"status": "ok"})
        if method == "GET" and path == "/readyz":
            ready = await self._ready()
            return json_response(200 if ready else 503, {"ready": ready})
        for route_method, endpoint, pattern in _ROUTES:
            match = pattern.match(path)
            if match is None:
                continue
            if method != route_method:
                return json_response(405, {"error": "Method not allowed"})
            try:
                params = dict(parse_qsl(query, keep_blank_values=True))
                app = self._authenticate(method, raw_path, path, params, body, match, endpoint)
                response = await self._dispatch(endpoint, app, match, params, body)
            except ApiError as error:
                response = json_response(error.status, {"error": str(error)})
            self.hub.metrics.http_api_calls.labels(endpoint, str(response.status)).inc()
            return response
        return json_response(404, {"error": "Not found"})

    async def _ready(self) -> bool:
        if self.readiness is None:
            return True
        result = self.readiness()
        return bool(await result) if inspect.isawaitable(result) else bool(result)

    def _authenticate(
        self,
        method: str,
        raw_path: str,
        path: str,
        params: dict[str, str],
        body: bytes,
        match: re.Match[str],
        endpoint: str,
    ) -> App:
        outcome = signing.verify_request(self.hub.apps, method, path, params, body)
        if isinstance(outcome, str) and raw_path != path:
            outcome = signing.verify_request(self.hub.apps, method, raw_path, params, body)
        if isinstance(outcome, str):
            self.hub.metrics.auth_failures.labels("401").inc()
            raise ApiError(401, outcome)
        if path.startswith("/apps/") and outcome.id != match.group(1):
            if self.hub.apps.by_id(match.group(1)) is None:
                raise ApiError(404, "Unknown app")
            raise ApiError(401, "auth_key does not belong to this app")
        return outcome

    async def _dispatch(
        self,
        endpoint: str,
        app: App,
        match: re.Match[str],
        params: dict[str, str],
        body: bytes,
    ) -> HttpResponse:
        if endpoint == "events":
            return await self._events(app, _json_object(body))
        if endpoint == "batch_events":
            return await self._batch(app, _json_object(body))
        if endpoint == "channels":
            return self._channels(app, params)
        if endpoint == "channel":
            return self._channel(app, match.group(2), params)
        if endpoint == "users":
            return self._users(app, match.group(2))
        user_id = match.group(match.lastindex or 1)
        reason = "Connections of this user were terminated"
        elsewhere = self.hub.terminate_user(app.id, user_id, UNAUTHORIZED, reason)
        if elsewhere is not None:
            await elsewhere
        return json_response(200, {})

    # -- publishing -----------------------------------------------------------------------

    def _event(self, body: dict[str, Any], channels: list[Any]) -> tuple[str, str, str | None]:
        name, data, socket_id = body.get("name"), body.get("data"), body.get("socket_id")
        if not isinstance(name, str) or not 0 < len(name) <= 200:
            raise ApiError(400, "name must be a string of at most 200 characters")
        if not isinstance(data, str):
            raise ApiError(400, "data must be a string")
        if len(data.encode()) > self.config.max_event_data_bytes:
            raise ApiError(413, "data is larger than 10 KB")
        if socket_id is not None and not is_valid_socket_id(socket_id):
            raise ApiError(400, "socket_id is invalid")
        if not channels or not all(is_valid_name(c) for c in channels):
            raise ApiError(400, "channels must be valid channel names")
        if len(channels) > 1 and any(kind_of(c) is ChannelKind.ENCRYPTED for c in channels):
            raise ApiError(400, "An encrypted channel must be the only channel of an event")
        return name, data, socket_id

    async def _events(self, app: App, body: dict[str, Any]) -> HttpResponse:
        channels = body.get("channels", [body["channel"]] if "channel" in body else [])
        if not isinstance(channels, list):
            raise ApiError(400, "channels must be a list")
        if len(channels) > self.config.max_channels_per_event:
            raise ApiError(400, "at most 100 channels per event")
        name, data, socket_id = self._event(body, channels)
        for channel in channels:
            await self.hub.publish(Publication(app.id, channel, name, data, socket_id))
        return json_response(200, {})

    async def _batch(self, app: App, body: dict[str, Any]) -> HttpResponse:
        batch = body.get("batch")
        if not isinstance(batch, list) or not all(isinstance(e, dict) for e in batch):
            raise ApiError(400, "batch must be a list of events")
        if len(batch) > self.config.max_batch_events:
            raise ApiError(400, "at most 10 events per batch")
        events = [(e.get("channel"), *self._event(e, [e.get("channel")])) for e in batch]
        for channel, name, data, socket_id in events:
            await self.hub.publish(Publication(app.id, channel, name, data, socket_id))
        return json_response(200, {"batch": [{} for _ in events]})

    # -- queries --------------------------------------------------------------------------

    def _channels(self, app: App, params: dict[str, str]) -> HttpResponse:
        prefix = params.get("filter_by_prefix", "")
        info = _info(params)
        if "user_count" in info and not prefix.startswith("presence-"):
            raise ApiError(400, "user_count needs filter_by_prefix=presence-")
        found: dict[str, Any] = {}
        for name in self.hub.occupied_channels(app.id):
            if name.startswith(prefix):
                found[name] = self._counts(app, name, info)
        return json_response(200, {"channels": found})

    def _counts(self, app: App, channel: str, info: set[str]) -> dict[str, int]:
        counts: dict[str, int] = {}
        if "subscription_count" in info:
            counts["subscription_count"] = self.hub.subscription_count(app.id, channel)
        if "user_count" in info:
            counts["user_count"] = len(self.hub.members_of(app.id, channel))
        return counts

    def _channel(self, app: App, channel: str, params: dict[str, str]) -> HttpResponse:
        if not is_valid_name(channel):
            raise ApiError(400, "Invalid channel name")
        info = _info(params)
        presence = kind_of(channel) is ChannelKind.PRESENCE
        if "user_count" in info and not presence:
            raise ApiError(400, "user_count is only available for presence channels")
        occupied = self.hub.subscription_count(app.id, channel) > 0
        return json_response(200, {"occupied": occupied, **self._counts(app, channel, info)})

    def _users(self, app: App, channel: str) -> HttpResponse:
        if not is_valid_name(channel):
            raise ApiError(400, "Invalid channel name")
        if kind_of(channel) is not ChannelKind.PRESENCE:
            raise ApiError(400, "Users are only known on presence channels")
        users = [{"id": user_id} for user_id in self.hub.members_of(app.id, channel)]
        return json_response(200, {"users": users})


def _info(params: dict[str, str]) -> set[str]:
    return {part for part in params.get("info", "").split(",") if part}


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ApiError(400, "Body is not JSON") from None
    if not isinstance(parsed, dict):
        raise ApiError(400, "Body must be a JSON object")
    return parsed
