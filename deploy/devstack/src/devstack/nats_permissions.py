"""Who may do what on NATS: one user per service (and per realtime role), least privilege.

Every subject comes from `contracts`: a service publishes only its own context's events (into
its own stream, through its outbox) and serves only its own requests; the gateway may send any
request but publish no event but its own (identity); only the realtime router publishes frames
(`live.deliver.>`), and the realtime edge sends no request at all. Replies go to a per-user
inbox prefix (`messaging.connection.inbox_prefix`), so no one reads another's replies, and a
responder answers through `allow_responses` rather than a right to publish on inboxes.

Names that are not subjects (durable consumers, KV buckets) are listed here and checked against
the services by tests.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from contracts import bookings, identity, live, notifications, realtime, trainers
from contracts.catalogue import EVENTS, REQUESTS, STREAMS, stream_of
from contracts.envelope import Request
from contracts.streams import DEAD_LETTERS, StreamSpec, dead_letter_subject
from messaging.connection import inbox_prefix

# The realtime KV buckets (their streams are `KV_<bucket>`, their subjects `$KV.<bucket>.>`).
VERSIONS_BUCKET = "live_refresh_versions"
GAPS_BUCKET = "live_refresh_gaps"
PRESENCE_BUCKET = "realtime_presence"
# The gateway's sign-in attempt counts, shared by its replicas (`gateway.limits.attempts`).
AUTH_ATTEMPTS_BUCKET = "gateway_auth_attempts"
# Core NATS subjects of the realtime instances among themselves (terminate orders).
REALTIME_CLUSTER = "realtime.cluster.>"


@dataclass(frozen=True)
class Consumer:
    """A durable pull consumer a service runs on a stream."""

    stream: StreamSpec
    durable: str


@dataclass
class Grant:
    """The subjects one user may publish to and subscribe to (nothing else)."""

    publish: set[str] = field(default_factory=set)
    subscribe: set[str] = field(default_factory=set)
    # Taken out of what `subscribe` allows: a wildcard subscription that overlaps them is
    # allowed, but NATS delivers nothing on these through it.
    subscribe_deny: set[str] = field(default_factory=set)
    # May answer requests it received (on their reply subjects), once each.
    responds: bool = False

    def __or__(self, other: "Grant") -> "Grant":
        subscribe = self.subscribe | other.subscribe
        # What one side denies, the other may need: a deny never covers an allowed subject.
        deny = {
            d
            for d in self.subscribe_deny | other.subscribe_deny
            if not any(covers(d, s) for s in subscribe)
        }
        return Grant(self.publish | other.publish, subscribe, deny, self.responds or other.responds)


def covers(pattern: str, subject: str) -> bool:
    """Whether NATS subject `pattern` (wildcards `*`, `>`) matches every subject `subject` does
    (`subject` may hold wildcards too)."""
    wanted, given = pattern.split("."), subject.split(".")
    for index, token in enumerate(wanted):
        if token == ">":
            return len(given) > index
        if index >= len(given) or (token != "*" and token != given[index]):
            return False
        if token == "*" and given[index] == ">":
            return False
    return len(given) == len(wanted)


def _events_of(stream: StreamSpec) -> set[str]:
    return {subject for subject in EVENTS if stream_of(subject) == stream}


def _requests_of(context: str) -> set[str]:
    return {subject for subject in REQUESTS if subject.startswith(f"{context}.requests.")}


def _subjects(requests: Iterable[type[Request[Any]]]) -> set[str]:
    return {request.subject for request in requests}


def connection(user: str) -> Grant:
    """What every connection needs: its own inbox, and making sure every contract stream
    exists (each service runs `ensure_streams` at start). Changing a stream's limits is only
    for the service that keeps it (`keeps`)."""
    ensure = {f"$JS.API.STREAM.{op}.{s.name}" for s in STREAMS for op in ("INFO", "CREATE")}
    return Grant(publish=ensure, subscribe={f"{inbox_prefix(user)}.>"})


def keeps(*streams: StreamSpec) -> Grant:
    """Bring these streams to the deployment's limits (each service's `KEEPS`)."""
    return Grant(publish={f"$JS.API.STREAM.UPDATE.{s.name}" for s in streams})


def publishes_events(stream: StreamSpec) -> Grant:
    """Publish this stream's contract events (JetStream answers on the publisher's inbox)."""
    return Grant(publish=_events_of(stream))


def sends(subjects: Iterable[str]) -> Grant:
    return Grant(publish=set(subjects))


def serves(name: str, subjects: Iterable[str]) -> Grant:
    """A NATS micro service `name` answering `subjects` (and the `$SRV` discovery verbs)."""
    verbs = ("PING", "INFO", "STATS")
    discovery = {f"$SRV.{verb}" for verb in verbs} | {f"$SRV.{verb}.{name}" for verb in verbs}
    discovery |= {f"$SRV.{verb}.{name}.*" for verb in verbs}
    return Grant(subscribe=set(subjects) | discovery, responds=True)


def consumes(*consumers: Consumer) -> Grant:
    """Create, fetch from, ack and dead-letter through the named durables only."""
    grant = Grant()
    for c in consumers:
        api = f"$JS.API.CONSUMER.%s.{c.stream.name}.{c.durable}"
        grant.publish |= {api % op for op in ("CREATE", "DURABLE.CREATE", "INFO", "MSG.NEXT")}
        grant.publish |= {
            (api % "CREATE") + ".>",  # the create subject names its filter when it has one
            f"$JS.ACK.{c.stream.name}.{c.durable}.>",
            dead_letter_subject(c.durable),
        }
    return grant


def uses_bucket(bucket: str, *, write: bool = True, watch: bool = False) -> Grant:
    """Open (or create) a KV bucket, read its keys, and if asked write and watch them."""
    stream = f"KV_{bucket}"
    grant = Grant(
        publish={
            "$JS.API.INFO",  # (account limits) creating a bucket whose keys expire asks
            f"$JS.API.STREAM.INFO.{stream}",
            f"$JS.API.STREAM.CREATE.{stream}",
            f"$JS.API.STREAM.MSG.GET.{stream}",
            f"$JS.API.DIRECT.GET.{stream}",
            f"$JS.API.DIRECT.GET.{stream}.>",
        }
    )
    if write:
        grant.publish.add(f"$KV.{bucket}.>")
    if watch:
        # An ordered consumer (ephemeral, recreated after a gap) and its flow control.
        grant.publish |= {
            f"$JS.API.CONSUMER.CREATE.{stream}",
            f"$JS.API.CONSUMER.CREATE.{stream}.>",
            f"$JS.API.CONSUMER.DELETE.{stream}.*",
            f"$JS.API.CONSUMER.INFO.{stream}.*",
            f"$JS.FC.{stream}.>",
        }
        # A core subscription hears every write as it is stored.
        grant.subscribe.add(f"$KV.{bucket}.>")
    return grant


def frames_heard() -> Grant:
    """An edge subscribes once per channel to both kinds of frame (`live.frame_subjects`:
    `live.*.{app}.{channel}`); the other `live.` subjects stay out of its reach."""
    return Grant(
        subscribe={"live.*.>"}, subscribe_deny={*live.LIVE_EVENTS.subjects, "live.requests.>"}
    )


# Durable consumers, by service (the names are the services' own; tests keep them in step).
NOTIFICATIONS_CONSUMERS = tuple(
    Consumer(stream, "notifications_events")
    for stream in (bookings.BOOKINGS_EVENTS, identity.IDENTITY_EVENTS, trainers.TRAINERS_EVENTS)
)
TRAINERS_CONSUMERS = (Consumer(identity.IDENTITY_EVENTS, "trainers_profiles"),)
# The router consumes every stream that holds an event that refreshes a page.
ROUTER_STREAMS = (
    bookings.BOOKINGS_EVENTS,
    live.LIVE_EVENTS,
    notifications.NOTIFICATIONS_EVENTS,
    trainers.TRAINERS_EVENTS,
)
ROUTER_CONSUMERS = tuple(Consumer(stream, "realtime_router") for stream in ROUTER_STREAMS)
WEBHOOK_CONSUMERS = (Consumer(realtime.REALTIME_EVENTS, "webhook_sender"),)


def domain_service(
    name: str, stream: StreamSpec, requests: Iterable[type[Request[Any]]], *consumers: Consumer
) -> Grant:
    return (
        connection(name)
        | publishes_events(stream)
        | keeps(stream, *([DEAD_LETTERS] if consumers else []))
        | serves(name, _requests_of(name))
        | sends(_subjects(requests))
        | consumes(*consumers)
    )


def gateway() -> Grant:
    """The API: any request, the identity events it owns (users), and the sign-in attempt
    counts its replicas share."""
    return (
        connection("gateway")
        | sends(REQUESTS)
        | publishes_events(identity.IDENTITY_EVENTS)
        | keeps(identity.IDENTITY_EVENTS)
        | uses_bucket(AUTH_ATTEMPTS_BUCKET)
    )


def realtime_edge(user: str = "realtime-edge") -> Grant:
    """The Pusher edge: hears frames and the other edges' publications, relays its own,
    publishes lifecycle facts, keeps presence and gap records, reads versions; no requests."""
    return (
        connection(user)
        | Grant(publish={f"{live.RELAY_PREFIX}.>"})
        | frames_heard()
        | publishes_events(realtime.REALTIME_EVENTS)
        | keeps(realtime.REALTIME_EVENTS)
        | Grant(publish={REALTIME_CLUSTER}, subscribe={REALTIME_CLUSTER})
        | uses_bucket(PRESENCE_BUCKET, watch=True)
        | uses_bucket(GAPS_BUCKET, watch=True)
        | uses_bucket(VERSIONS_BUCKET, write=False)
    )


def realtime_router(user: str = "realtime-router") -> Grant:
    """The router: turns events into frames (`live.deliver.>`, only it), keeps the context
    versions, answers `live.requests.*` and sends the webhooks."""
    return (
        connection(user)
        | Grant(publish={f"{live.DELIVER_PREFIX}.>"})
        | serves("realtime", _requests_of("live"))
        | uses_bucket(VERSIONS_BUCKET)
        | consumes(*ROUTER_CONSUMERS, *WEBHOOK_CONSUMERS)
        | keeps(live.LIVE_EVENTS, DEAD_LETTERS)  # live events have no publisher among us
    )


def service_grants() -> dict[str, Grant]:
    """Every service user, as production and the dev stack both define them."""
    return {
        "gateway": gateway(),
        "bookings": domain_service(
            "bookings", bookings.BOOKINGS_EVENTS, [trainers.CheckAssignable]
        ),
        "trainers": domain_service(
            "trainers", trainers.TRAINERS_EVENTS, [bookings.GetSchedule], *TRAINERS_CONSUMERS
        ),
        "notifications": domain_service(
            "notifications", notifications.NOTIFICATIONS_EVENTS, [], *NOTIFICATIONS_CONSUMERS
        ),
        "realtime-edge": realtime_edge(),
        "realtime-router": realtime_router(),
        # One process in both roles (REALTIME_ROLE=all).
        "realtime": realtime_edge("realtime") | realtime_router("realtime"),
    }


def devstack_grant() -> Grant:
    """The dev stack's readiness probe: ping the micro services, nothing else."""
    served = ("bookings", "trainers", "notifications", "realtime")
    return Grant(
        publish={f"$SRV.PING.{name}" for name in served},
        subscribe={f"{inbox_prefix('devstack')}.>"},
    )
