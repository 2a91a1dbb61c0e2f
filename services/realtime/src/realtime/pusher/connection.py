"""One client's Pusher protocol 7 session: handshake, pings, subscriptions, client events, signin.

Transport-agnostic: it reads decoded text messages and writes ready frames through a `Link`.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Any, Protocol

import orjson

from realtime.pusher import signing, wire
from realtime.pusher.apps import App
from realtime.pusher.channels import (
    ChannelKind,
    accepts_client_events,
    is_valid_name,
    kind_of,
    needs_signature,
    server_to_user_channel,
)
from realtime.pusher.config import ServerConfig
from realtime.pusher.hub import Hub
from realtime.pusher.publication import Publication
from realtime.pusher.token_bucket import TokenBucket

log = logging.getLogger("realtime.pusher.connection")

# Close codes, chosen for how pusher-js reacts: 4000-4099 and >= 4300 mean "never come back",
# 4100-4199 "back off, then reconnect", 4200-4299 "reconnect now".
APP_NOT_FOUND = 4001
UNSUPPORTED_PROTOCOL = 4007
NO_PROTOCOL = 4008
UNAUTHORIZED = 4009
OVER_CAPACITY = 4100
RECONNECT = 4200
PONG_NOT_RECEIVED = 4201
CLIENT_EVENT_RATE_LIMIT = 4301  # sent as pusher:error only; the connection stays
# Pusher's 4300-4399 "other errors"; soketi answers whispers of an app without them so too.
CLIENT_EVENTS_DISABLED = 4301


class Link(Protocol):
    """The socket under a connection."""

    def write(self, frame: bytes) -> None: ...

    def close(self, code: int, reason: str) -> None: ...


def new_socket_id() -> str:
    return f"{secrets.randbelow(10**9) + 1}.{secrets.randbelow(10**9) + 1}"


class SubscriptionRefused(Exception):
    def __init__(self, status: int, error: str, type_: str = "AuthError") -> None:
        super().__init__(error)
        self.status, self.error, self.type = status, error, type_


class PusherConnection:
    def __init__(self, hub: Hub, app: App, config: ServerConfig, link: Link) -> None:
        self.hub, self.app, self.config, self.link = hub, app, config, link
        self.socket_id = new_socket_id()
        self.user_id: str | None = None  # set by pusher:signin
        self.channels: set[str] = set()
        self.last_seen = time.monotonic()
        self.ping_sent_at: float | None = None
        self._window = 0
        self._window_events = 0
        self._subscription_tokens = TokenBucket(
            config.subscription_burst, config.subscriptions_per_second
        )
        self._closed = False
        # What this client surely received (see `baseline`): the session observer's position at
        # the last ping it answered, whether frames went out since, and the ping in flight.
        self._confirmed = hub.sessions.position()
        self._confirmed_at = self.last_seen
        self._sent_since_ping = False
        self._ping_position: int | None = None
        self._sent_before_ping = False

    @property
    def log_extra(self) -> dict[str, Any]:
        return {"socket_id": self.socket_id, "user_id": self.user_id, "app_id": self.app.id}

    # -- Subscriber -----------------------------------------------------------------------

    def send_frame(self, frame: bytes) -> None:
        self._sent_since_ping = True
        self.link.write(frame)

    def terminate(self, code: int, reason: str) -> None:
        self.link.close(code, reason)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        established = {
            "socket_id": self.socket_id,
            "activity_timeout": max(1, round(self.config.activity_timeout)),
        }
        self._send("pusher:connection_established", wire.json_string(established))
        log.info("connection established", extra=self.log_extra)

    def closed(self, clean: bool = False) -> None:
        """Forget the connection: its subscriptions, presence memberships and signin.

        Unless the client closed it cleanly (it read all it wanted), its channels may have
        missed frames since `baseline`, which the session observer hears of.
        """
        if self._closed:
            return
        self._closed = True
        if not clean and self.channels:
            self.hub.sessions.lost(self.app.id, self.channels, self.baseline())
        for channel in list(self.channels):
            self.hub.unsubscribe(self.app.id, channel, self)
        self.channels.clear()
        if self.user_id is not None:
            self.hub.sign_out(self.app.id, self.user_id, self)
        log.info("connection closed", extra=self.log_extra)

    def check_idle(self, now: float) -> None:
        """Ping after `activity_timeout` of silence, or of frames sent and not yet confirmed;
        close 4201 if still silent `pong_timeout` after a ping."""
        if self.ping_sent_at is not None:
            if now - self.ping_sent_at > self.config.pong_timeout:
                log.info("no pong, closing", extra=self.log_extra)
                self.terminate(PONG_NOT_RECEIVED, "Pong reply not received")
        elif now - self.last_seen > self.config.activity_timeout or (
            self._sent_since_ping and now - self._confirmed_at > self.config.activity_timeout
        ):
            self.ping_sent_at = self._confirmed_at = now
            if self._ping_position is None:  # else the older ping's pong confirms less
                self._ping_position = self.hub.sessions.position()
            self._sent_before_ping = self._sent_before_ping or self._sent_since_ping
            self._sent_since_ping = False
            self._send("pusher:ping", {})

    def baseline(self) -> int:
        """A position up to which this client surely received every frame: a pong proves it
        read what was written before its ping; with nothing sent since, it missed nothing."""
        if self._sent_since_ping or (self._ping_position is not None and self._sent_before_ping):
            return self._confirmed
        return self.hub.sessions.position()

    # -- incoming -------------------------------------------------------------------------

    def on_message(self, text: bytes | bytearray | memoryview | str) -> None:
        if self._closed:  # frames already read after a close must not resubscribe
            return
        self.last_seen = time.monotonic()
        self.ping_sent_at = None
        try:
            message = orjson.loads(text)
        except orjson.JSONDecodeError:
            self._error("Invalid JSON")
            return
        if not isinstance(message, dict) or not isinstance(message.get("event"), str):
            self._error("A message must be a JSON object with an event name")
            return
        event: str = message["event"]
        data = message.get("data")
        if event == "pusher:ping":
            self._send("pusher:pong", {})
        elif event == "pusher:pong":
            if self._ping_position is not None:
                self._confirmed, self._ping_position = self._ping_position, None
                self._sent_before_ping = False
        elif event == "pusher:subscribe":
            self._subscribe(data if isinstance(data, dict) else {})
        elif event == "pusher:unsubscribe":
            channel = data.get("channel") if isinstance(data, dict) else None
            # Always honoured (refusing would leave the client deaf but still sent to); it
            # spends a token so that subscribe/unsubscribe churn is limited as a whole.
            self._subscription_tokens.take()
            if isinstance(channel, str) and channel in self.channels:
                self.channels.discard(channel)
                self.hub.unsubscribe(self.app.id, channel, self)
        elif event == "pusher:signin":
            self._signin(data if isinstance(data, dict) else {})
        elif event.startswith("client-"):
            self._client_event(event, message.get("channel"), data)
        else:
            self._error(f"Unsupported event: {event[:64]}")

    # -- subscriptions --------------------------------------------------------------------

    def _subscribe(self, data: dict[str, Any]) -> None:
        channel = data.get("channel")
        if not isinstance(channel, str) or not is_valid_name(channel):
            self._error("Invalid channel name")
            return
        try:
            self._within_limits(channel)
            self._authorize_and_join(channel, data)
        except SubscriptionRefused as refused:
            self.hub.metrics.auth_failures.labels(str(refused.status)).inc()
            log.info(
                "subscription refused: %s",
                refused.error,
                extra={**self.log_extra, "channel": channel},
            )
            self._send(
                "pusher:subscription_error",
                {"type": refused.type, "error": refused.error, "status": refused.status},
                channel,
            )
            return
        self.channels.add(channel)
        ready = self.hub.when_ready(self.app.id, channel)
        if ready is None:
            self._confirm(channel)
        else:
            ready.add_done_callback(lambda _: self._confirm(channel))

    def _confirm(self, channel: str) -> None:
        """`subscription_succeeded`, with the presence members as they are at this moment."""
        if self._closed or channel not in self.channels:
            return
        succeeded = "{}"
        if kind_of(channel) is ChannelKind.PRESENCE:
            succeeded = wire.json_string(self.hub.presence_data(self.app.id, channel))
        self._send("pusher_internal:subscription_succeeded", succeeded, channel)
        self.hub.sessions.subscribed(self.app.id, channel, self)

    def _within_limits(self, channel: str) -> None:
        """Raises SubscriptionRefused when the connection may not subscribe to one more."""
        if not self._subscription_tokens.take():
            raise SubscriptionRefused(429, "Subscribing too often, slow down", "LimitReached")
        limit = self.config.max_subscriptions_per_connection
        if channel not in self.channels and len(self.channels) >= limit:
            raise SubscriptionRefused(
                403, f"At most {limit} channels per connection", "LimitReached"
            )
        if kind_of(channel) is ChannelKind.PUBLIC and not self.app.public_channels:
            raise SubscriptionRefused(403, "Public channels are not enabled for this app")

    def _authorize_and_join(self, channel: str, data: dict[str, Any]) -> None:
        """Subscribes if allowed; raises SubscriptionRefused otherwise."""
        kind = kind_of(channel)
        if kind is ChannelKind.SERVER_TO_USER:
            if self.user_id is None or channel != server_to_user_channel(self.user_id):
                raise SubscriptionRefused(403, "Sign in as this user to subscribe")
            self.hub.subscribe(self.app.id, channel, self)
            return
        channel_data = data.get("channel_data") if kind is ChannelKind.PRESENCE else None
        if kind is ChannelKind.PRESENCE and not isinstance(channel_data, str):
            raise SubscriptionRefused(401, "Presence subscriptions need channel_data")
        if needs_signature(kind) and not signing.verify_channel(
            self.app, self.socket_id, channel, data.get("auth"), channel_data
        ):
            raise SubscriptionRefused(401, "Invalid signature")
        if kind is ChannelKind.PRESENCE:
            assert isinstance(channel_data, str)
            user_id, user_info = self._presence_member(channel, channel_data)
            self.hub.join(self.app.id, channel, self, user_id, user_info)
            return
        self.hub.subscribe(self.app.id, channel, self)

    def _presence_member(self, channel: str, channel_data: str) -> tuple[str, Any]:
        # The message's own depth check cannot see inside this string, and user_info nested
        # some 255 levels is under 1 KB yet fails orjson's encoder.
        if wire.nested_deeper_than(channel_data.encode(), self.config.max_json_depth):
            raise SubscriptionRefused(400, "channel_data nests too deeply", "InvalidChannel")
        try:
            member = orjson.loads(channel_data)
        except orjson.JSONDecodeError:
            raise SubscriptionRefused(400, "channel_data is not JSON", "InvalidChannel") from None
        user_id = member.get("user_id") if isinstance(member, dict) else None
        if isinstance(user_id, int) and not isinstance(user_id, bool):
            user_id = str(user_id)
        if not isinstance(user_id, str) or not 0 < len(user_id) <= 128:
            raise SubscriptionRefused(400, "channel_data needs a user_id", "InvalidChannel")
        user_info = member.get("user_info")
        if len(orjson.dumps(user_info)) > self.config.max_user_info_bytes:
            raise SubscriptionRefused(413, "user_info is larger than 1 KB", "InvalidChannel")
        limit = self.config.presence_channel_max_members.get(
            channel, self.config.max_presence_members
        )
        if not self.hub.has_room_for(self.app.id, channel, user_id, limit):  # every instance
            raise SubscriptionRefused(403, "Presence channel is full", "LimitReached")
        return user_id, user_info

    # -- client events --------------------------------------------------------------------

    def _client_event(self, event: str, channel: object, data: object) -> None:
        if not self.app.client_events:
            self._error("Client events are not enabled for this app", CLIENT_EVENTS_DISABLED)
            return
        if not isinstance(channel, str) or channel not in self.channels:
            self._error("Client event rejected: not subscribed to the channel")
            return
        kind = kind_of(channel)
        if not accepts_client_events(kind):
            self._error("Client events are only allowed on private and presence channels")
            return
        payload = data if isinstance(data, str) else wire.json_string(data)
        if len(payload) > self.config.max_event_data_bytes or len(event) > 200:
            self._error("Client event rejected: data larger than 10 KB")
            return
        second = int(time.monotonic())
        if second != self._window:
            self._window, self._window_events = second, 0
        self._window_events += 1
        if self._window_events > self.config.client_events_per_second:
            self._error("Client event rejected due to rate limit", CLIENT_EVENT_RATE_LIMIT)
            return
        user_id = None
        if kind is ChannelKind.PRESENCE:
            state = self.hub.channel(self.app.id, channel)
            user_id = state.user_of_socket.get(self.socket_id) if state else None
        self.hub.notify(
            self.hub.publish(
                Publication(self.app.id, channel, event, payload, self.socket_id, user_id)
            )
        )
        self.hub.notify(
            self.hub.listener.client_event(
                self.app.id, channel, event, payload, self.socket_id, user_id
            )
        )

    # -- signin ---------------------------------------------------------------------------

    def _signin(self, data: dict[str, Any]) -> None:
        user_data = data.get("user_data")
        user_id: object = None
        if isinstance(user_data, str) and signing.verify_user(
            self.app, self.socket_id, data.get("auth"), user_data
        ):
            try:
                parsed = orjson.loads(user_data)
            except orjson.JSONDecodeError:
                parsed = None
            user_id = parsed.get("id") if isinstance(parsed, dict) else None
        if (
            not isinstance(user_id, str)
            or not user_id
            or not is_valid_name(server_to_user_channel(user_id))
        ):
            self.hub.metrics.auth_failures.labels(str(UNAUTHORIZED)).inc()
            log.info("signin refused", extra=self.log_extra)
            self._error(
                "Invalid signin: bad signature or user_data without a valid string id", UNAUTHORIZED
            )
            self.terminate(UNAUTHORIZED, "Invalid signin")
            return
        if self.user_id is not None:
            old = server_to_user_channel(self.user_id)
            self.channels.discard(old)
            self.hub.unsubscribe(self.app.id, old, self)
            self.hub.sign_out(self.app.id, self.user_id, self)
        self.user_id = user_id
        self.hub.sign_in(self.app.id, user_id, self)
        # Events to the user reach this connection from now on, before pusher-js subscribes.
        own = server_to_user_channel(user_id)
        self.hub.subscribe(self.app.id, own, self)
        self.channels.add(own)
        self._send("pusher:signin_success", {"user_data": user_data})
        log.info("signed in", extra=self.log_extra)

    # -- outgoing -------------------------------------------------------------------------

    def _send(self, event: str, data: Any, channel: str | None = None) -> None:
        self.hub.metrics.frames_out.inc()
        self.link.write(wire.event_frame(event, data, channel))

    def _error(self, message: str, code: int | None = None) -> None:
        data: dict[str, Any] = {"message": message}
        if code is not None:
            data["code"] = code
        self._send("pusher:error", data)
