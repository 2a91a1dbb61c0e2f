"""Composition root of the realtime service: the Pusher edge, NATS fan-out, the router,
lifecycle facts and their webhooks."""

from contracts.live import GetContextVersions
from messaging.consumer import DurableConsumer
from messaging.service import serve
from realtime.fanout import NatsFanout
from realtime.lifecycle import LifecyclePublisher, Listeners
from realtime.live_refresh.router import LiveRefreshRouter
from realtime.live_refresh.triggers import routed_streams, routed_subjects
from realtime.live_refresh.versions import ContextVersionStore
from realtime.pusher.apps import AppRegistry
from realtime.pusher.config import ServerConfig
from realtime.pusher.hub import Hub
from realtime.pusher.server import start_server
from realtime.settings import RealtimeSettings
from realtime.webhooks import start_webhooks
from runtime.process import Running
from runtime.service import ServiceDefinition
from runtime.wiring import connect_nats

VERSION = "0.1.0"


async def start(settings: RealtimeSettings) -> Running:
    running = Running("realtime")
    nats = await connect_nats(running, settings.nats_url)
    nc, js = nats.nc, nats.js
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
    for stream in routed_streams():
        subjects = routed_subjects(stream)
        consumer = DurableConsumer(js, stream, "realtime_router", router.handle, subjects=subjects)
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


SERVICE = ServiceDefinition(name="realtime", settings=RealtimeSettings, start=start)
