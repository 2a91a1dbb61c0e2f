"""A cluster of real nats-servers (three by default) with JetStream, on free loopback ports.

Each node has its own client, route and monitoring port and its own storage; `urls` names every
node (comma-separated, as services take `NATS_URL`), `nodes[i].url` one. `start` returns once
every node answers `/healthz` and all agree on one JetStream meta leader for the whole cluster.
A node can be stopped (SIGTERM) or killed (SIGKILL) and started again on the same ports and
storage.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from testkit.nats_server import nats_server_binary
from testkit.ports import free_port


class NatsNode:
    def __init__(self, name: str, store_dir: Path, cluster_name: str) -> None:
        self.name, self.store_dir, self.cluster_name = name, store_dir, cluster_name
        self.port, self.route_port, self.monitor_port = free_port(), free_port(), free_port()
        self.routes: list[str] = []
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def route_url(self) -> str:
        return f"nats://127.0.0.1:{self.route_port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        self._process = subprocess.Popen(
            [
                nats_server_binary(),
                "--server_name",
                self.name,
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-m",
                str(self.monitor_port),
                "-js",
                "-sd",
                str(self.store_dir),
                "--cluster_name",
                self.cluster_name,
                "--cluster",
                self.route_url,
                "--routes",
                ",".join(self.routes),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def healthy(self) -> bool:
        if not self.running:
            raise RuntimeError(f"nats-server {self.name} exited")
        return self._get("healthz") is not None

    def meta_leader(self, size: int) -> str | None:
        """The JetStream meta leader this node knows, once it sees `size` peers."""
        jsz = self._get("jsz")
        meta = (jsz or {}).get("meta_cluster", {})
        if not isinstance(meta, dict) or meta.get("cluster_size") != size:
            return None
        leader = meta.get("leader")
        return str(leader) if leader else None

    def _get(self, endpoint: str) -> dict[str, object] | None:
        url = f"http://127.0.0.1:{self.monitor_port}/{endpoint}"
        try:
            with urllib.request.urlopen(url, timeout=0.5) as answer:
                body = json.load(answer)
        except (urllib.error.URLError, OSError, ValueError):
            return None
        return body if isinstance(body, dict) else None

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, sig)
            self._process.wait(timeout=10)
        self._process = None

    def kill(self) -> None:
        self.stop(signal.SIGKILL)


class NatsCluster:
    def __init__(self, root: Path, size: int = 3, name: str = "cams-test") -> None:
        self.nodes = [NatsNode(f"n{i + 1}", root / f"n{i + 1}", name) for i in range(size)]
        for node in self.nodes:
            node.routes = [other.route_url for other in self.nodes if other is not node]

    @property
    def urls(self) -> str:
        return ",".join(node.url for node in self.nodes)

    def start(self, timeout: float = 30.0) -> None:
        for node in self.nodes:
            node.start()
        self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 30.0) -> None:
        """Return once every running node is healthy and all agree on the meta leader."""
        deadline = time.monotonic() + timeout
        while not self._healthy():
            if time.monotonic() > deadline:
                raise TimeoutError("the NATS cluster did not become healthy in time")
            time.sleep(0.1)

    def _healthy(self) -> bool:
        running = [node for node in self.nodes if node.running]
        if not all(node.healthy() for node in running):
            return False
        leaders = {node.meta_leader(len(self.nodes)) for node in running}
        return len(leaders) == 1 and None not in leaders

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()

    def __enter__(self) -> NatsCluster:
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
