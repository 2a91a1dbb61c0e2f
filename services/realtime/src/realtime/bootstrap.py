"""Composition root of the realtime service, in two roles (docs/architecture.md, "Two roles"):

- the edge: the Pusher server, its NATS fan-out (relaying what its clients and HTTP API publish
  on `live.relay`), recovery, presence across instances and lifecycle facts;
- the router: live refresh routing (the only publisher on `live.deliver`), the GetContextVersions
  responder, and the webhooks.

`REALTIME_ROLE=all` (the default) runs both in one process.
"""

from contracts.live import LIVE_EVENTS, GetContextVersions
from contracts.realtime import REALTIME_EVENTS
from contracts.streams import DEAD_LETTERS
from messaging.batch_consumer import BatchConsumer
from messaging.jetstream_start import patiently
from messaging.service import serve
from realtime.cluster import cluster_config, start_cluster
from realtime.fanout import NatsFanout
from realtime.lifecycle import ClientEvents, LifecyclePublisher, Listeners
from realtime.live_refresh.metrics import LiveRefreshMetrics
from realtime.live_refresh.recovery import GapRecords, LiveRecovery
from realtime.live_refresh.router import LiveRefreshRouter
from realtime.live_refresh.triggers import routed_streams, routed_subjects
from realtime.live_refresh.versions import ContextVersionStore
from realtime.live_refresh.watermark import Watermark
from realtime.metrics_listener import MetricsListener
from realtime.pusher.apps import AppRegistry
from realtime.pusher.config import ServerConfig
from realtime.pusher.hub import Hub
from realtime.pusher.metrics import Metrics
from realtime.pusher.server import start_server
from realtime.settings import RealtimeSettings, Role
from realtime.webhooks import start_webhooks
from runtime.process import Running
from runtime.service import ServiceDefinition
from runtime.wiring import Nats, connect_nats

VERSION = "0.1.0"
# The NATS micro service of the router role: the dev stack's readiness pings `$SRV.PING.realtime`.
SERVICE_NAME = "realtime"
# The streams whose limits each role's start keeps up to date (the others it only creates if
# missing): the edge's lifecycle facts; the live events no other service publishes, and the
# dead letters of the router's consumers.
KEEPS = {
    Role.edge: (REALTIME_EVENTS,),
    Role.router: (LIVE_EVENTS, DEAD_LETTERS),
    Role.all: (REALTIME_EVENTS, LIVE_EVENTS, DEAD_LETTERS),
}


async def start(settings: RealtimeSettings) -> Running:
    running = Running("realtime")
    nats = await connect_nats(running, settings.nats_url, keeps=KEEPS[settings.role])
    versions = await patiently(
        lambda: ContextVersionStore.open(
            nats.nc, settings.router_ack_timeout_seconds, settings.live_refresh_replicas
        ),
        "context versions bucket",
    )
    # Served on the edge's HTTP listener (`/metrics`), or the router's own when it runs apart.
    metrics = Metrics()
    live_metrics = LiveRefreshMetrics(metrics.registry)
    if settings.role in (Role.all, Role.edge):
        await start_edge(running, settings, nats, versions, metrics, live_metrics)
    if settings.role in (Role.all, Role.router):
        await start_router(running, settings, nats, versions, metrics, live_metrics)
    return running


async def start_edge(
    running: Running,
    settings: RealtimeSettings,
    nats: Nats,
    versions: ContextVersionStore,
    metrics: Metrics,
    live_metrics: LiveRefreshMetrics,
) -> None:
    """The Pusher server and what holds or serves its clients."""
    nc, js = nats.nc, nats.js
    gaps = await patiently(
        lambda: GapRecords.open(js, settings.recovery_keep_seconds, settings.live_refresh_replicas),
        "gap records bucket",
    )
    watermark = Watermark(settings.recovery_margin_seconds)

    fanout = NatsFanout(nc, watermark)
    running.spawn(fanout.run(), "interest-subscriptions")
    lifecycle = LifecyclePublisher(
        js,
        grace=settings.lifecycle_grace_seconds,
        max_queued=settings.lifecycle_max_queued,
        registry=metrics.registry,
    )
    lifecycle.start()
    # Closed after the server (closers run in reverse): the last vacated facts still go out.
    running.closers.append(lifecycle.close)
    hub = Hub(
        AppRegistry(app.to_app() for app in settings.apps),
        publisher=fanout,
        listener=Listeners(fanout, ClientEvents(lifecycle)),
        metrics=metrics,
    )
    fanout.hub = hub
    # Before the cluster: it tells recovery of instances that died holding channels, the
    # first time as it takes in the bucket.
    recovery = LiveRecovery(hub, settings.live_app_id, versions, gaps, watermark, live_metrics)
    hub.sessions = recovery
    # Presence and occupancy across instances; the cluster's occupancy and membership facts
    # go out through lifecycle (the hub's listener gives it only client events).
    await start_cluster(running, nc, js, hub, cluster_config(settings), lifecycle.emit, nats.bus)
    hub.metrics.watch_bus(nats.bus)
    await recovery.watch(nc)
    nats.bus.on_disconnected(recovery.bus_lost)
    nats.bus.on_reconnected(recovery.bus_returned)
    running.spawn(recovery.write_gaps(), "gap-records")
    # Closed after the server: the gap records of the connections it closed still get written.
    running.closers.append(recovery.close)
    config = ServerConfig(
        activity_timeout=settings.activity_timeout_seconds,
        pong_timeout=settings.pong_timeout_seconds,
        **settings.protocol_limits(),
        **settings.transport_limits(),
    )
    server = await start_server(
        hub,
        config,
        host=settings.host,
        port=settings.port,
        readiness=lambda: nc.is_connected,
        metrics_host=settings.metrics_host,
        metrics_port=settings.metrics_port or None,  # 0: no metrics listener
    )
    running.closers.append(server.close)
    # On SIGTERM, before the rest stops: clients move elsewhere, spread over drain_seconds.
    running.drain_first(lambda: server.drain(settings.drain_seconds), settings.drain_seconds)


async def start_router(
    running: Running,
    settings: RealtimeSettings,
    nats: Nats,
    versions: ContextVersionStore,
    metrics: Metrics,
    live_metrics: LiveRefreshMetrics,
) -> None:
    """Live refresh routing, the GetContextVersions responder and the webhooks: the durable
    consumers, none of which holds a client."""
    js = nats.js
    start_webhooks(
        running,
        js,
        (app.to_webhook_app() for app in settings.apps),
        metrics,
        max_deliver=settings.webhook_max_deliver,
        timeout=settings.webhook_timeout_seconds,
    )

    router = LiveRefreshRouter(nats.nc, versions, settings.live_app_id, live_metrics)
    for stream in routed_streams():
        consumer = BatchConsumer(
            js,
            stream,
            "realtime_router",
            router.route,
            subjects=routed_subjects(stream),
            batch=settings.router_batch,
        )
        running.spawn(consumer.run(), f"router:{stream.name}")

    if settings.role is Role.router and settings.metrics_port:
        # Router lag, routed events and webhooks, with no edge's listener to show them.
        listener = MetricsListener.start(settings.metrics_host, settings.metrics_port, metrics)
        running.closers.append(listener.close)

    # Also the router role's readiness: it has no public listener, so it answers `$SRV.PING`.
    service = await serve(
        nats.nc,
        SERVICE_NAME,
        VERSION,
        {GetContextVersions: versions.answer},
        description="Live refresh routing and context versions",
    )
    running.closers.append(service.stop)


SERVICE = ServiceDefinition(name="realtime", settings=RealtimeSettings, start=start)
