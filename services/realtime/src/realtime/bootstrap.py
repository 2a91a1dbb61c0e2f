"""Composition root of the realtime service: the Pusher edge, NATS fan-out, the router,
lifecycle facts and their webhooks."""

from contracts.live import GetContextVersions
from contracts.streams import BOOKINGS_EVENTS, LIVE_EVENTS, NOTIFICATIONS_EVENTS, TRAINERS_EVENTS
from messaging.connection import connect
from messaging.consumer import DurableConsumer
from messaging.runtime import Running
from messaging.service import serve
from messaging.streams import ensure_streams
from realtime.fanout import NatsFanout
from realtime.lifecycle import LifecyclePublisher, Listeners
from realtime.pusher.apps import AppRegistry
from realtime.pusher.config import ServerConfig
from realtime.pusher.hub import Hub
from realtime.pusher.server import start_server
from realtime.router import LiveRefreshRouter
from realtime.settings import RealtimeSettings
from realtime.versions import ContextVersionStore
from realtime.webhooks import start_webhooks

VERSION = "0.1.0"
ROUTED_STREAMS = (BOOKINGS_EVENTS, TRAINERS_EVENTS, NOTIFICATIONS_EVENTS, LIVE_EVENTS)


async def bootstrap(settings: RealtimeSettings) -> Running:
    running = Running("realtime")
    nc = await connect(settings.nats_url, "realtime")
    running.closers.append(nc.drain)
    js = nc.jetstream()
    await ensure_streams(js)
    versions = await ContextVersionStore.open(js)

    fanout = NatsFanout(nc)
    running.spawn(fanout.run(), "interest-subscriptions")
    lifecycle = LifecyclePublisher(js, grace=settings.lifecycle_grace_seconds)
    lifecycle.start()
    # Closed after the server (closers run in reverse): the last vacated facts still go out.
    running.closers.append(lifecycle.close)
    hub = Hub(
        AppRegistry(app.to_app() for app in settings.apps),
        publisher=fanout,
        listener=Listeners(fanout, lifecycle),
    )
    fanout.hub = hub
    config = ServerConfig(
        activity_timeout=settings.activity_timeout_seconds,
        pong_timeout=settings.pong_timeout_seconds,
    )
    server = await start_server(
        hub, config, host=settings.host, port=settings.port, readiness=lambda: nc.is_connected
    )
    running.closers.append(server.close)

    start_webhooks(
        running,
        js,
        (app.to_webhook_app() for app in settings.apps),
        hub.metrics,
        max_deliver=settings.webhook_max_deliver,
        timeout=settings.webhook_timeout_seconds,
    )

    router = LiveRefreshRouter(nc, versions, settings.live_app_id)
    for stream in ROUTED_STREAMS:
        consumer = DurableConsumer(js, stream, "realtime_router", router.handle)
        running.spawn(consumer.run(), f"router:{stream.name}")

    service = await serve(
        nc,
        "realtime",
        VERSION,
        {GetContextVersions: versions.answer},
        description="Pusher edge and live refresh routing",
    )
    running.closers.append(service.stop)
    return running
