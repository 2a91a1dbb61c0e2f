"""The whole stack exactly as `./dev up` starts it, on free loopback ports, for end-to-end tests."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from testkit.ports import free_port


class RunningStack:
    def __init__(
        self, data_dir: Path, extra_env: dict[str, str] | None = None, nats_url: str | None = None
    ) -> None:
        self.data_dir = data_dir
        self.gateway_port = free_port()
        self.realtime_port = free_port()
        self.nats_port = free_port()
        self.spans_file = data_dir / "spans.jsonl"
        self.env = {
            **os.environ,
            "CAMS_DATA_DIR": str(data_dir),
            "CAMS_GATEWAY_PORT": str(self.gateway_port),
            "CAMS_REALTIME_PORT": str(self.realtime_port),
            "CAMS_NATS_PORT": str(self.nats_port),
            "OTEL_SPANS_FILE": str(self.spans_file),
            # The metrics listeners' fixed default ports would clash between stacks running at once.
            "REALTIME_METRICS_PORT": str(free_port()),
            "GATEWAY_METRICS_PORT": str(free_port()),
            "CAMS_REALTIME_ROUTER_METRICS_PORT": str(free_port()),
            **(extra_env or {}),
        }
        self.env.pop("NATS_URL", None)
        if nats_url:
            self.env["NATS_URL"] = nats_url
        self._external_nats = nats_url
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}/api/v1"

    @property
    def realtime(self) -> str:
        return f"http://127.0.0.1:{self.realtime_port}"

    @property
    def nats_url(self) -> str:
        return self._external_nats or f"nats://127.0.0.1:{self.nats_port}"

    def nats_login(self, user: str = "operator") -> dict[str, str]:
        """`nats.connect` options to log in as `user` (the operator is allowed everything) where
        the stack runs its own nats-server, which asks for a login; none for a NATS_URL's."""
        stored = self.data_dir / "nats-credentials.json"
        if self._external_nats or not stored.exists():
            return {}
        password = json.loads(stored.read_text())[user]
        return {"user": user, "password": password, "inbox_prefix": f"_INBOX.{user}"}

    def pids(self) -> dict[str, int]:
        """The pid of every process the stack started, by name."""
        run = self.data_dir / "run"
        return {f.stem: int(f.read_text()) for f in run.glob("*.pid")} if run.exists() else {}

    def start(self, timeout: float = 90.0) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [sys.executable, "-m", "devstack", "up"],
            env=self.env,
            stdout=open(self.data_dir / "stack.log", "wb"),  # noqa: SIM115 - the child owns it
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the stack exited: {self.log()[-3000:]}")
            if b"CAMS Live is up." in (self.data_dir / "stack.log").read_bytes():
                return
            time.sleep(0.1)
        raise TimeoutError(f"the stack did not come up: {self.log()[-3000:]}")

    def log(self) -> str:
        return (self.data_dir / "stack.log").read_text(errors="replace")

    def pid_of(self, service: str) -> int:
        return int((self.data_dir / "run" / f"{service}.pid").read_text())

    def signal_service(self, service: str, sig: signal.Signals) -> int:
        pid = self.pid_of(service)
        os.kill(pid, sig)
        return pid

    def ready(self) -> bool:
        try:
            return httpx.get(f"http://127.0.0.1:{self.gateway_port}/readyz", timeout=1).is_success
        except httpx.HTTPError:
            return False

    def __enter__(self) -> "RunningStack":
        self.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    def stop(self, timeout: float = 30.0) -> None:
        if self._process and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGTERM)
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self._process.pid, signal.SIGKILL)
                self._process.wait()
