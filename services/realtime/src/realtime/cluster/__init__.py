"""Presence and occupancy across realtime instances, from a replicated view of a NATS KV bucket
(docs/architecture.md, "Presence and occupancy across instances")."""

from realtime.cluster.cluster import TERMINATE_SUBJECT, Cluster, ClusterConfig
from realtime.cluster.wiring import cluster_config, start_cluster

__all__ = ["TERMINATE_SUBJECT", "Cluster", "ClusterConfig", "cluster_config", "start_cluster"]
