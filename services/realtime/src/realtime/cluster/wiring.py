"""Starting this instance's cluster view under a running service."""

from __future__ import annotations

from collections.abc import Callable

from nats.aio.client import Client
from nats.js import JetStreamContext

from contracts.realtime import ChannelLifecycleEvent
from messaging.connection import BusState
from realtime.cluster.cluster import Cluster, ClusterConfig
from realtime.pusher.hub import Hub
from realtime.settings import RealtimeSettings
from runtime.process import Running


async def start_cluster(
    running: Running,
    nc: Client,
    js: JetStreamContext,
    hub: Hub,
    config: ClusterConfig,
    emit: Callable[[ChannelLifecycleEvent], None],
    bus: BusState | None = None,
) -> Cluster:
    """Take in the bucket, announce this instance, and make it the hub's cluster view.

    Its closer is registered now, so it runs after the server's (closers run in reverse): the
    unsubscriptions of the connections the server closes are still written.
    """
    cluster = Cluster(nc, js, hub, config, emit)
    await cluster.start()
    for coroutine, name in cluster.tasks():
        running.spawn(coroutine, name)
    running.closers.append(cluster.close)
    if bus is not None:
        bus.on_reconnected(cluster.reconnected)
    hub.cluster = cluster
    return cluster


def cluster_config(settings: RealtimeSettings) -> ClusterConfig:
    return ClusterConfig(
        bucket=settings.presence_bucket,
        replicas=settings.presence_replicas,
        heartbeat=settings.presence_heartbeat_seconds,
        instance_ttl=settings.presence_instance_ttl_seconds,
        removal_grace=settings.presence_removal_grace_seconds,
        fact_grace=settings.lifecycle_grace_seconds,
        marker_ttl=settings.presence_marker_ttl_seconds,
        confirm_timeout=settings.presence_confirm_timeout_seconds,
    )
